//! The HTTP backend against a scripted stand-in server on 127.0.0.1: retries, timeouts,
//! error messages, `n` splitting, fail-over, concurrency limits, the API key, the response
//! body cap, redirects and the model identity.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use planbench_core::{
    AnswerProbsRequest, ChatMessage, GenError, GenerateRequest, Generator, Prompt, Role,
    SamplingParams,
};
use planbench_models::http::{Endpoint, HttpConfig, HttpGenerator};
use serde_json::{json, Value};

/// A request as the stand-in saw it.
struct Seen {
    /// 1 for the first request the server received.
    number: usize,
    method: String,
    path: String,
    /// Header lines, names lowercased.
    headers: Vec<(String, String)>,
    body: Value,
}

/// What the stand-in answers.
enum Reply {
    Json(u16, Value),
    Raw(u16, &'static str),
    /// A status, extra header lines and a JSON body.
    WithHeaders(u16, &'static str, Value),
    /// Accept the request and answer nothing for this long.
    Hang(Duration),
    /// Answer after this delay.
    Delayed(Duration, Value),
    /// 200 with no `Content-Length`, then bytes until the client hangs up; counts them.
    Endless(Arc<AtomicUsize>),
    /// 200 that declares a `Content-Length` of this many bytes, sends a few and stalls.
    Declared(u64),
}

/// A scripted HTTP server: each request is answered by `script` in its own thread; the
/// requests whose answer is being prepared (including its delay) count as concurrent.
struct StandIn {
    url: String,
    requests: Arc<AtomicUsize>,
    max_concurrent: Arc<AtomicUsize>,
}

impl StandIn {
    fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let max_concurrent = Arc::new(AtomicUsize::new(0));
        let current = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (requests2, max2) = (requests.clone(), max_concurrent.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (script, requests, max, current) = (
                    script.clone(),
                    requests2.clone(),
                    max2.clone(),
                    current.clone(),
                );
                thread::spawn(move || {
                    let answer = |seen: &Seen| {
                        let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(now, Ordering::SeqCst);
                        let reply = script(seen);
                        if let Reply::Delayed(duration, _) | Reply::Hang(duration) = &reply {
                            thread::sleep(*duration);
                        }
                        current.fetch_sub(1, Ordering::SeqCst);
                        reply
                    };
                    serve(stream, &answer, &requests);
                });
            }
        });
        Self {
            url,
            requests,
            max_concurrent,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, script: &dyn Fn(&Seen) -> Reply, requests: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let seen = Seen {
        number: requests.fetch_add(1, Ordering::SeqCst) + 1,
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let (status, extra, text) = match script(&seen) {
        Reply::Json(status, value) => (status, "", value.to_string()),
        Reply::Raw(status, text) => (status, "", text.to_owned()),
        Reply::WithHeaders(status, extra, value) => (status, extra, value.to_string()),
        // The delays have passed already (see `StandIn::start`).
        Reply::Hang(_) => return,
        Reply::Delayed(_, value) => (200, "", value.to_string()),
        Reply::Endless(sent) => return send_endless(stream, &sent),
        Reply::Declared(length) => {
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{\"choices\": ["
            );
            thread::sleep(Duration::from_secs(5));
            return;
        }
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{text}",
        text.len()
    );
}

/// Writes a body without end (valid JSON as far as it goes) until the client hangs up.
fn send_endless(mut stream: TcpStream, sent: &AtomicUsize) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() || stream.write_all(b"{\"pad\": \"").is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    while stream.write_all(&chunk).is_ok() {
        sent.fetch_add(chunk.len(), Ordering::SeqCst);
    }
}

/// A chat response with one choice per text.
fn chat_reply(texts: &[String]) -> Value {
    let choices: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}))
        .collect();
    json!({"choices": choices, "usage": {"prompt_tokens": 3, "completion_tokens": 2 * texts.len()}})
}

fn ok_reply() -> Reply {
    Reply::Json(200, chat_reply(&["fine".to_string()]))
}

fn config(urls: &[&str]) -> HttpConfig {
    let mut config = HttpConfig::new(urls[0], "stand-in");
    config.base_urls = urls.iter().map(|u| u.to_string()).collect();
    config.retry_base_delay = Duration::from_millis(10);
    config.request_timeout = Duration::from_secs(5);
    config.max_retries = 3;
    // These tests count requests; the identification requests are tested on their own below.
    config.identify_model = false;
    config
}

fn request(n: usize) -> GenerateRequest {
    GenerateRequest {
        affinity: None,
        prompt: Prompt::Chat(vec![ChatMessage::new(Role::User, "hello")]),
        assistant_prefix: String::new(),
        params: SamplingParams {
            n,
            temperature: 0.7,
            seed: 10,
            ..SamplingParams::default()
        },
    }
}

fn backend_error(result: Result<impl std::fmt::Debug, GenError>) -> String {
    match result {
        Err(GenError::Backend(message)) => message,
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn http_retries_500s_then_succeeds() {
    let server = StandIn::start(|seen| match seen.number {
        1 | 2 => Reply::Json(500, json!({"error": {"message": "boom"}})),
        _ => ok_reply(),
    });
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let generation = generator.generate(&request(1)).await.unwrap();
    assert_eq!(generation.completions, ["fine"]);
    assert_eq!(server.requests(), 3);
    assert_eq!(
        (
            generation.usage.prompt_tokens,
            generation.usage.completion_tokens
        ),
        (3, 2)
    );
    assert!(!generation.usage.approximate);
}

#[tokio::test]
async fn http_gives_up_after_max_retries_with_the_last_error() {
    let server = StandIn::start(|_| {
        Reply::Json(503, json!({"error": {"message": "overloaded, try later"}}))
    });
    let mut config = config(&[&server.url]);
    config.max_retries = 2;
    let generator = HttpGenerator::new(config).unwrap();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(message.contains("3 attempts"), "{message}");
    assert!(
        message.contains("503") && message.contains("overloaded, try later"),
        "{message}"
    );
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn http_garbage_json_is_retried_then_reported() {
    let server = StandIn::start(|seen| match seen.number {
        1 => Reply::Raw(200, "{\"choices\": [oops"),
        _ => ok_reply(),
    });
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    assert_eq!(
        generator.generate(&request(1)).await.unwrap().completions,
        ["fine"]
    );
    assert_eq!(server.requests(), 2);

    let server = StandIn::start(|_| Reply::Raw(200, "<html>proxy error</html>"));
    let mut config = config(&[&server.url]);
    config.max_retries = 1;
    let generator = HttpGenerator::new(config).unwrap();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("malformed response") && message.contains("proxy error"),
        "{message}"
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn http_429_honours_retry_after() {
    let server = StandIn::start(|seen| match seen.number {
        1 => Reply::WithHeaders(
            429,
            "Retry-After: 1\r\n",
            json!({"error": {"message": "slow down"}}),
        ),
        _ => ok_reply(),
    });
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let started = Instant::now();
    assert_eq!(
        generator.generate(&request(1)).await.unwrap().completions,
        ["fine"]
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn http_hanging_server_times_out_on_each_attempt() {
    let server = StandIn::start(|_| Reply::Hang(Duration::from_secs(5)));
    let mut config = config(&[&server.url]);
    config.request_timeout = Duration::from_millis(300);
    config.max_retries = 1;
    let generator = HttpGenerator::new(config).unwrap();
    let started = Instant::now();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("timed out") && message.contains("2 attempts"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn http_400_is_not_retried_and_quotes_the_server() {
    let server = StandIn::start(|_| {
        Reply::Json(
            400,
            json!({"error": {"message": "the prompt exceeds the context size", "code": 400}}),
        )
    });
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("400") && message.contains("the prompt exceeds the context size"),
        "{message}"
    );
    assert_eq!(server.requests(), 1);
}

/// Answers like llama-server with two slots: 400 above n = 2, else one choice per seed.
fn two_slot_server(seen: &Seen) -> Reply {
    let n = seen.body["n"].as_u64().unwrap();
    let seed = seen.body["seed"].as_u64().unwrap();
    if n > 2 {
        return Reply::Json(
            400,
            json!({"error": {"code": 400, "message": format!("Field 'n': Value must be between 1 <= value <= 2, but got {n}")}}),
        );
    }
    let texts: Vec<String> = (0..n).map(|i| format!("s{}", seed + i)).collect();
    Reply::Json(200, chat_reply(&texts))
}

#[tokio::test]
async fn http_splits_n_when_the_server_refuses_it() {
    let server = StandIn::start(two_slot_server);
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let generation = generator.generate(&request(5)).await.unwrap();
    assert_eq!(generation.completions, ["s10", "s11", "s12", "s13", "s14"]);
    assert_eq!(generator.n_cap(), Some(2));
    // The refused request, then 2 + 2 + 1.
    assert_eq!(server.requests(), 4);
    // The cap is remembered: no refused request the second time.
    let again = generator.generate(&request(5)).await.unwrap();
    assert_eq!(again.completions, generation.completions);
    assert_eq!(server.requests(), 7);
}

#[tokio::test]
async fn http_splits_n_when_the_server_ignores_it() {
    let server = StandIn::start(|seen| {
        let seed = seen.body["seed"].as_u64().unwrap();
        Reply::Json(200, chat_reply(&[format!("s{seed}")]))
    });
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let generation = generator.generate(&request(3)).await.unwrap();
    assert_eq!(generation.completions, ["s10", "s11", "s12"]);
    assert_eq!(generator.n_cap(), Some(1));
    assert_eq!(
        (
            generation.usage.prompt_tokens,
            generation.usage.completion_tokens
        ),
        (9, 6)
    );
    assert!(!generation.usage.approximate);
}

#[tokio::test]
async fn http_fails_over_to_a_live_replica() {
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let server = StandIn::start(|_| ok_reply());
    let mut config = config(&[&dead, &server.url]);
    config.max_retries = 1;
    let generator = HttpGenerator::new(config).unwrap();
    for _ in 0..4 {
        assert_eq!(
            generator.generate(&request(1)).await.unwrap().completions,
            ["fine"]
        );
    }
    assert_eq!(server.requests(), 4);
}

#[tokio::test]
async fn http_limits_requests_in_flight_per_replica() {
    let server = StandIn::start(|_| {
        Reply::Delayed(
            Duration::from_millis(200),
            chat_reply(&["slow".to_string()]),
        )
    });
    let mut config = config(&[&server.url]);
    config.max_concurrency = 2;
    let generator = HttpGenerator::new(config).unwrap();
    let request = request(1);
    let calls = (0..6).map(|_| generator.generate(&request));
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()));
    assert_eq!(server.requests(), 6);
    assert_eq!(server.max_concurrent.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn http_sends_the_api_key_without_keeping_it() {
    let var = "PLANBENCH_HTTP_FAULTS_TEST_KEY";
    let seen_auth = Arc::new(Mutex::new(Vec::new()));
    let record = seen_auth.clone();
    let server = StandIn::start(move |seen| {
        let auth = seen
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .map(|(_, v)| v.clone());
        record.lock().unwrap().push((seen.path.clone(), auth));
        ok_reply()
    });
    let mut config = config(&[&server.url]);
    config.api_key_env = Some(var.to_owned());
    assert!(
        matches!(HttpGenerator::new(config.clone()), Err(GenError::InvalidRequest(m)) if m.contains(var))
    );
    std::env::set_var(var, "sk-secret-123");
    let generator = HttpGenerator::new(config).unwrap();
    generator.generate(&request(1)).await.unwrap();
    assert_eq!(
        *seen_auth.lock().unwrap(),
        [(
            "/v1/chat/completions".to_string(),
            Some("Bearer sk-secret-123".to_string())
        )]
    );
    assert!(!format!("{generator:?}").contains("sk-secret"));
    assert_eq!(generator.identity(), "http:stand-in");
}

#[tokio::test]
async fn http_answer_probs_fall_back_and_are_counted() {
    let server = StandIn::start(|seen| {
        assert_eq!(seen.body["max_tokens"], 1);
        assert_eq!(seen.body["logprobs"], 5);
        assert_eq!(seen.path, "/v1/completions");
        let top = if seen.number == 1 {
            json!({" Yes": -0.5f64, "Yes": -2.0f64, " No": -1.5f64})
        } else {
            json!({" No": (0.25f64).ln(), " Maybe": -3.0f64})
        };
        Reply::Json(
            200,
            json!({"choices": [{"index": 0, "text": " Yes", "logprobs": {"tokens": [" Yes"], "top_logprobs": [top]}}]}),
        )
    });
    let mut config = config(&[&server.url]);
    config.endpoint = Endpoint::Completions;
    let generator = HttpGenerator::new(config).unwrap();
    let request = AnswerProbsRequest {
        affinity: None,
        prompt: Prompt::Text("Is Paris in France? Answer:".into()),
        answers: vec!["Yes".into(), "No".into()],
    };
    let first = generator.answer_probs(&request).await.unwrap();
    assert!((first.probs[0] - ((-0.5f64).exp() + (-2.0f64).exp())).abs() < 1e-9);
    assert!((first.probs[1] - (-1.5f64).exp()).abs() < 1e-9);
    assert_eq!(generator.answer_fallbacks(), 0);
    assert!(first.usage.approximate, "no usage was reported");

    let second = generator.answer_probs(&request).await.unwrap();
    assert!((second.probs[0] - 0.75).abs() < 1e-9 && (second.probs[1] - 0.25).abs() < 1e-9);
    assert_eq!(generator.answer_fallbacks(), 1);
}

#[tokio::test]
async fn http_oversized_bodies_fail_at_the_cap_without_retries() {
    // A body longer than the cap, with its length declared.
    let big = "y".repeat(300 * 1024);
    let server = StandIn::start(move |_| Reply::Json(200, chat_reply(std::slice::from_ref(&big))));
    let mut config = config(&[&server.url]);
    config.max_response_bytes = 256 * 1024;
    let generator = HttpGenerator::new(config).unwrap();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("exceeds the limit of 262144 bytes")
            && message.contains("max_response_bytes"),
        "{message}"
    );
    assert_eq!(server.requests(), 1, "not retried");

    // The same body fits under the default cap.
    let fits = "y".repeat(300 * 1024);
    let server = StandIn::start(move |_| Reply::Json(200, chat_reply(std::slice::from_ref(&fits))));
    let generator = HttpGenerator::new(config_for(&server.url)).unwrap();
    let generation = generator.generate(&request(1)).await.unwrap();
    assert_eq!(generation.completions[0].len(), 300 * 1024);
}

fn config_for(url: &str) -> HttpConfig {
    config(&[url])
}

#[tokio::test]
async fn http_endless_body_is_cut_at_the_cap() {
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let server = StandIn::start(move |_| Reply::Endless(counter.clone()));
    let mut config = config(&[&server.url]);
    config.max_response_bytes = 1 << 20;
    config.request_timeout = Duration::from_secs(30);
    let generator = HttpGenerator::new(config).unwrap();
    let started = Instant::now();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("exceeds the limit of 1048576 bytes"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1);
    // The stand-in stops once the client has hung up: it got little past the cap (what the
    // socket buffers held), not an unbounded stream.
    thread::sleep(Duration::from_millis(300));
    let before = sent.load(Ordering::SeqCst);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(sent.load(Ordering::SeqCst), before, "still sending");
    assert!(before < 64 << 20, "{before} bytes sent");
}

#[tokio::test]
async fn http_declared_oversized_body_fails_before_reading() {
    let server = StandIn::start(|_| Reply::Declared(1 << 40));
    let mut config = config(&[&server.url]);
    config.request_timeout = Duration::from_secs(30);
    let generator = HttpGenerator::new(config).unwrap();
    let started = Instant::now();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(
        message.contains("exceeds the limit of 16777216 bytes")
            && message.contains("Content-Length: 1099511627776"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not wait for the body: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn http_api_key_never_goes_over_plain_http_to_another_host() {
    let var = "PLANBENCH_HTTP_FAULTS_INSECURE_KEY";
    std::env::set_var(var, "sk-not-for-the-wire");
    for url in ["http://10.255.255.1:8080", "http://example.com/v1"] {
        let mut config = config(&[url]);
        config.api_key_env = Some(var.to_owned());
        match HttpGenerator::new(config.clone()) {
            Err(GenError::InvalidRequest(m)) => assert!(
                m.contains("plain http") && m.contains(url) && m.contains("allow_insecure_key"),
                "{m}"
            ),
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
        // Forced: accepted (no request is sent here).
        config.allow_insecure_key = true;
        assert!(HttpGenerator::new(config).is_ok(), "{url}");
    }
    // https anywhere, and plain http to loopback, need no opt-in.
    let mut config = config(&["https://api.example.com", "http://localhost:9"]);
    config.api_key_env = Some(var.to_owned());
    assert!(HttpGenerator::new(config).is_ok());
    // Without a key no variable matters.
    assert!(HttpGenerator::new(config_for("http://10.255.255.1:8080")).is_ok());
}

#[tokio::test]
async fn http_sends_no_key_unless_asked() {
    std::env::set_var("OPENAI_API_KEY", "sk-ambient");
    let seen_auth = Arc::new(Mutex::new(Vec::new()));
    let record = seen_auth.clone();
    let server = StandIn::start(move |seen| {
        let auth = seen.headers.iter().any(|(n, _)| n == "authorization");
        record.lock().unwrap().push(auth);
        ok_reply()
    });
    let mut config = config(&[&server.url]);
    config.identify_model = true;
    let generator = HttpGenerator::new(config).unwrap();
    generator.generate(&request(1)).await.unwrap();
    let seen = seen_auth.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "models, probe, request");
    assert!(seen.iter().all(|&auth| !auth), "{seen:?}");
}

#[tokio::test]
async fn http_redirects_are_not_followed() {
    let elsewhere = StandIn::start(|_| ok_reply());
    let location = format!("Location: {}/v1/chat/completions\r\n", elsewhere.url);
    let location: &'static str = Box::leak(location.into_boxed_str());
    let server = StandIn::start(move |_| Reply::WithHeaders(307, location, json!({})));
    let generator = HttpGenerator::new(config(&[&server.url])).unwrap();
    let message = backend_error(generator.generate(&request(1)).await);
    assert!(message.contains("307"), "{message}");
    assert_eq!(elsewhere.requests(), 0);
}

/// A stand-in that answers `/v1/models` like llama-server (one entry whose `created` is the
/// time of the answer) with `meta`, and completions with `fingerprint`.
fn llama_like(meta: Value, fingerprint: &'static str, text: &'static str) -> StandIn {
    StandIn::start(move |seen| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if seen.path == "/v1/models" {
            assert_eq!(seen.method, "GET");
            return Reply::Json(
                200,
                json!({"object": "list", "data": [{"id": "weights.gguf", "object": "model",
                    "created": now, "owned_by": "llamacpp", "aliases": [], "meta": meta}]}),
            );
        }
        let mut reply = chat_reply(&[text.to_string()]);
        reply["system_fingerprint"] = json!(fingerprint);
        reply["created"] = json!(now);
        Reply::Json(200, reply)
    })
}

fn identified(urls: &[&str]) -> Result<HttpGenerator, GenError> {
    let mut config = config(urls);
    config.identify_model = true;
    config.max_retries = 1;
    HttpGenerator::new(config)
}

#[tokio::test]
async fn http_identity_tells_weights_apart_under_one_name() {
    let meta_a =
        json!({"n_params": 494032768, "size": 491400032, "n_ctx": 4096, "n_vocab": 151936});
    let meta_b =
        json!({"n_params": 1543714304, "size": 1117320736, "n_ctx": 4096, "n_vocab": 151936});
    let a = llama_like(meta_a.clone(), "b11312-0c1e5709", "from a");
    let b = llama_like(meta_b, "b11312-0c1e5709", "from b");
    let id_a = identified(&[&a.url]).unwrap().identity();
    let id_b = identified(&[&b.url]).unwrap().identity();
    assert!(id_a.starts_with("http:stand-in {"), "{id_a}");
    assert!(
        id_a.contains("494032768") && id_a.contains("b11312-0c1e5709"),
        "{id_a}"
    );
    assert!(
        !id_a.contains("created") && !id_a.contains("n_ctx") && !id_a.contains(&a.url),
        "no answer time, slot context or address: {id_a}"
    );
    assert_ne!(id_a, id_b);

    // The same weights on another port (with another slot context): the same identity.
    let mut meta_a2 = meta_a;
    meta_a2["n_ctx"] = json!(8192);
    let a2 = llama_like(meta_a2, "b11312-0c1e5709", "from a2");
    assert_eq!(identified(&[&a2.url]).unwrap().identity(), id_a);
    // Another build of the server: another identity.
    let a3 = llama_like(
        json!({"n_params": 494032768, "size": 491400032, "n_vocab": 151936}),
        "b9999-deadbeef",
        "x",
    );
    assert_ne!(identified(&[&a3.url]).unwrap().identity(), id_a);

    // Through the response cache: b never answers from a's entries; a2 does.
    let path = std::env::temp_dir().join(format!(
        "planbench-http-identity-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let cache = Arc::new(planbench_core::cache::ResponseCache::open(&path).unwrap());
    let cached = |url: &str| {
        planbench_core::cache::CachedGenerator::new(
            Arc::new(identified(&[url]).unwrap()),
            cache.clone(),
        )
    };
    let ask = request(1);
    assert_eq!(
        cached(&a.url).generate(&ask).await.unwrap().completions,
        ["from a"]
    );
    assert_eq!(
        cached(&b.url).generate(&ask).await.unwrap().completions,
        ["from b"]
    );
    let from_a2 = cached(&a2.url);
    let before = a2.requests();
    assert_eq!(
        from_a2.generate(&ask).await.unwrap().completions,
        ["from a"]
    );
    assert_eq!(a2.requests(), before, "answered from the cache");
    drop(cache);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn http_replicas_must_serve_the_same_model() {
    let a = llama_like(json!({"n_params": 1}), "fp", "a");
    let b = llama_like(json!({"n_params": 2}), "fp", "b");
    match identified(&[&a.url, &b.url]) {
        Err(GenError::InvalidRequest(m)) => assert!(m.contains("different models"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A dead replica is skipped while another answers; none answering is an error.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let one = identified(&[&dead, &a.url]).unwrap().identity();
    assert_eq!(one, identified(&[&a.url]).unwrap().identity());
    let message = backend_error(identified(&[&dead]));
    assert!(
        message.contains("no replica answered") && message.contains("identify_model"),
        "{message}"
    );
}

#[tokio::test]
async fn http_identity_of_servers_that_say_little() {
    // An OpenAI-like list: the named entry, with a stable `created`.
    let openai = StandIn::start(|seen| {
        if seen.path == "/v1/models" {
            return Reply::Json(
                200,
                json!({"data": [{"id": "other", "created": 1, "owned_by": "x"},
                                {"id": "stand-in", "created": 1686935002, "owned_by": "org"}]}),
            );
        }
        ok_reply()
    });
    assert_eq!(
        identified(&[&openai.url]).unwrap().identity(),
        r#"http:stand-in {"model":{"created":1686935002,"id":"stand-in","owned_by":"org"}}"#
    );
    // A list without this model is a configuration error.
    let wrong = StandIn::start(|seen| {
        if seen.path == "/v1/models" {
            return Reply::Json(200, json!({"data": [{"id": "x"}, {"id": "y"}]}));
        }
        ok_reply()
    });
    match identified(&[&wrong.url]) {
        Err(GenError::InvalidRequest(m)) => {
            assert!(m.contains("does not list") && m.contains("x, y"), "{m}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // No listing, only a fingerprint.
    let bare = StandIn::start(|seen| {
        if seen.path == "/v1/models" {
            return Reply::Json(404, json!({"error": "not found"}));
        }
        let mut reply = chat_reply(&["ok".to_string()]);
        reply["system_fingerprint"] = json!("fp_44709d6fcb");
        Reply::Json(200, reply)
    });
    assert_eq!(
        identified(&[&bare.url]).unwrap().identity(),
        r#"http:stand-in {"system_fingerprint":"fp_44709d6fcb"}"#
    );
    // Nothing at all: the name only.
    let silent = StandIn::start(|seen| {
        if seen.path == "/v1/models" {
            return Reply::Json(404, json!({"error": "not found"}));
        }
        ok_reply()
    });
    assert_eq!(
        identified(&[&silent.url]).unwrap().identity(),
        "http:stand-in"
    );
}

#[tokio::test]
async fn http_fingerprint_changes_are_counted() {
    let server = StandIn::start(|seen| {
        if seen.path == "/v1/models" {
            return Reply::Json(404, json!({}));
        }
        let mut reply = chat_reply(&["ok".to_string()]);
        // The probe and the first request see one configuration, later requests another.
        reply["system_fingerprint"] = json!(if seen.number <= 3 { "fp_a" } else { "fp_b" });
        Reply::Json(200, reply)
    });
    let generator = identified(&[&server.url]).unwrap();
    generator.generate(&request(1)).await.unwrap();
    assert_eq!(generator.fingerprint_changes(), 0);
    generator.generate(&request(1)).await.unwrap();
    generator.generate(&request(1)).await.unwrap();
    assert_eq!(generator.fingerprint_changes(), 2);
}
