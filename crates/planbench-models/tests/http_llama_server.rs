//! The HTTP backend against a real llama.cpp `llama-server` on 127.0.0.1 (CPU, 2 slots).
//!
//! Needs the default model (`scripts/fetch-model.sh`) and the server program
//! (`scripts/llama-server.sh`); `scripts/setup.sh` runs both. `PLANBENCH_LLAMA_SERVER` may name
//! another `llama-server` program.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use planbench_core::{
    AnswerProbsRequest, ChatMessage, GenerateRequest, Generation, Generator, Prompt, Role,
    SamplingParams,
};
use planbench_models::http::server::{LlamaServerProcess, ServerOptions};
use planbench_models::http::{Endpoint, HttpConfig, HttpGenerator};

const MODEL: &str = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
const SLOTS: usize = 2;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The server shared by the tests running at the same time; it stops when the last one ends.
/// One test at a time on the shared server: requests of other tests in the same batch would
/// change the batch layout, and with it the sampled text of the reproducibility checks.
static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn server() -> Arc<LlamaServerProcess> {
    static SHARED: Mutex<Weak<LlamaServerProcess>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = shared.upgrade() {
        return server;
    }
    let mut options = ServerOptions::new(&workspace(), workspace().join("models").join(MODEL));
    options.slots = SLOTS;
    let server = Arc::new(LlamaServerProcess::start(&options).unwrap_or_else(|e| panic!("{e}")));
    *shared = Arc::downgrade(&server);
    server
}

fn generator(server: &LlamaServerProcess, endpoint: Endpoint) -> HttpGenerator {
    let mut config = HttpConfig::new(server.url(), "qwen2.5-coder-0.5b");
    config.endpoint = endpoint;
    config.request_timeout = Duration::from_secs(120);
    HttpGenerator::new(config).unwrap()
}

fn chat(text: &str) -> Prompt {
    Prompt::Chat(vec![ChatMessage::new(Role::User, text)])
}

fn sample(
    prompt: Prompt,
    n: usize,
    temperature: f32,
    seed: u64,
    max_tokens: u32,
    stop: &[&str],
) -> GenerateRequest {
    GenerateRequest {
        affinity: None,
        prompt,
        assistant_prefix: String::new(),
        params: SamplingParams {
            n,
            temperature,
            top_p: 0.95,
            top_k: None,
            max_tokens,
            stop: stop.iter().map(|s| s.to_string()).collect(),
            seed,
        },
    }
}

#[tokio::test]
async fn http_n_above_slots_yields_n_reproducible_completions() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let generator = generator(&server, Endpoint::Chat);
    let request = sample(chat("Name a random animal. One word."), 5, 1.0, 42, 12, &[]);
    let started = Instant::now();
    let first: Generation = generator.generate(&request).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "n=5 over HTTP: {seconds:.2} s, {:.2} completions/s, usage {:?}, completions {:?}",
        5.0 / seconds,
        first.usage,
        first.completions
    );
    assert_eq!(first.completions.len(), 5);
    assert_eq!(
        generator.n_cap(),
        Some(SLOTS),
        "the server caps n at its slot count"
    );
    assert!(
        first.completions.iter().all(|c| !c.trim().is_empty()),
        "{:?}",
        first.completions
    );
    assert!(first.usage.completion_tokens >= 5 && first.usage.prompt_tokens > 0);
    assert!(
        first.usage.approximate,
        "llama-server counts the first choice of each request only"
    );
    let distinct: std::collections::HashSet<_> = first.completions.iter().collect();
    assert!(
        distinct.len() >= 2,
        "5 samples at temperature 1 are all equal: {:?}",
        first.completions
    );

    // The first request decodes its prompt cold; later ones reuse the server's prompt cache,
    // which changes the arithmetic and can change a sampled token. Compare two warm ones.
    let second = generator.generate(&request).await.unwrap();
    let third = generator.generate(&request).await.unwrap();
    assert_eq!(
        third.completions, second.completions,
        "the same seed gives the same completions"
    );

    // Completion i is sent with seed + i however the request is split (checked exactly
    // against a scripted server in http_faults.rs). Against the real server a lone request
    // decodes in another batch layout than the same seed beside others, which may change
    // the sampled text, so here the lone request must only reproduce itself.
    let mut alone = request.clone();
    alone.params.n = 1;
    alone.params.seed = 43;
    let once = generator.generate(&alone).await.unwrap();
    let again = generator.generate(&alone).await.unwrap();
    assert_eq!(
        once.completions, again.completions,
        "a lone request reproduces"
    );
    eprintln!(
        "seed 43 alone: {:?}; beside seed 42: {:?}",
        once.completions[0], first.completions[1]
    );
}

#[tokio::test]
async fn http_temperature_zero_is_deterministic() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let generator = generator(&server, Endpoint::Chat);
    let request = sample(
        chat("Write a SQL query that counts the rows of table singer."),
        2,
        0.0,
        1,
        24,
        &[],
    );
    let first = generator.generate(&request).await.unwrap();
    let second = generator.generate(&request).await.unwrap();
    assert_eq!(first.completions[0], first.completions[1]);
    assert_eq!(first.completions, second.completions);
    assert!(
        first.completions[0].to_lowercase().contains("count"),
        "{:?}",
        first.completions
    );
}

#[tokio::test]
async fn http_stop_strings_cut_completions() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let generator = generator(&server, Endpoint::Completions);
    let prompt = Prompt::Text("Counting: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12".into());
    let free = generator
        .generate(&sample(prompt.clone(), 1, 0.0, 0, 24, &[]))
        .await
        .unwrap();
    let cut = generator
        .generate(&sample(prompt, 1, 0.0, 0, 24, &["15"]))
        .await
        .unwrap();
    assert!(free.completions[0].contains("15"), "{:?}", free.completions);
    let expected = &free.completions[0][..free.completions[0].find("15").unwrap()];
    assert_eq!(cut.completions[0], expected);
    assert!(
        cut.usage.completion_tokens < free.usage.completion_tokens,
        "{:?} vs {:?}",
        cut.usage,
        free.usage
    );
}

#[tokio::test]
async fn http_assistant_prefix_is_continued_not_repeated() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let prefix = "SELECT count(*) FROM";
    for endpoint in [Endpoint::Chat, Endpoint::Completions] {
        let generator = generator(&server, endpoint);
        let prompt = match endpoint {
            Endpoint::Chat => chat("Write one SQL query that counts the rows of the table singer."),
            Endpoint::Completions => {
                Prompt::Text("-- Count the rows of the table singer.\n".into())
            }
        };
        let mut request = sample(prompt, 1, 0.0, 0, 8, &[";"]);
        request.assistant_prefix = prefix.to_owned();
        let completion = &generator.generate(&request).await.unwrap().completions[0];
        assert!(
            !completion.contains("SELECT"),
            "{endpoint:?} repeated the prefix: {completion:?}"
        );
        assert!(
            format!("{prefix}{completion}")
                .to_lowercase()
                .contains("from singer"),
            "{endpoint:?}: {completion:?}"
        );
    }
}

#[tokio::test]
async fn http_yes_no_probabilities_favour_yes() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let question = "Is Paris the capital of France? Answer Yes or No.";
    let prompts = [
        (Endpoint::Chat, chat(question)),
        (
            Endpoint::Completions,
            Prompt::Text(format!("Question: {question}\nAnswer:")),
        ),
    ];
    for (endpoint, prompt) in prompts {
        let generator = generator(&server, endpoint);
        let request = AnswerProbsRequest {
            affinity: None,
            prompt,
            answers: vec!["Yes".into(), "No".into()],
        };
        let started = Instant::now();
        let probs = generator.answer_probs(&request).await.unwrap();
        eprintln!(
            "{endpoint:?}: P(Yes, No) = {:?} in {:.2} s",
            probs.probs,
            started.elapsed().as_secs_f64()
        );
        let (yes, no) = (probs.probs[0], probs.probs[1]);
        assert!(
            (0.0..=1.0).contains(&yes) && (0.0..=1.0).contains(&no) && yes + no <= 1.0 + 1e-6,
            "{probs:?}"
        );
        assert!(yes > 0.5 && yes > no, "{endpoint:?}: {probs:?}");
        assert_eq!(generator.answer_fallbacks(), 0);
        assert!(
            probs.usage.prompt_tokens > 0 && !probs.usage.approximate,
            "{probs:?}"
        );
    }
}

#[tokio::test]
async fn http_yes_no_probabilities_agree_with_the_local_backend() {
    let _turn = EXCLUSIVE.lock().await;
    use planbench_models::llama::{LlamaConfig, LlamaGenerator};

    let server = server();
    let http = generator(&server, Endpoint::Chat);
    let mut config = LlamaConfig::new(workspace().join("models").join(MODEL));
    config.n_threads = Some(1);
    let local = LlamaGenerator::load(config).expect("the local backend loads the same model");
    // Both sides of the comparison, for the record.
    let options = ServerOptions::new(&workspace(), workspace().join("models").join(MODEL));
    eprintln!(
        "server: {}\nrecorded versions:\n{}\nlocal: {}",
        http.identity(),
        options
            .recorded_versions()
            .unwrap_or_else(|| "(none: not built by scripts/llama-server.sh)".into()),
        local.identity()
    );
    assert_eq!(
        http.parameters(),
        local.parameters(),
        "the server and the GGUF file agree on the parameter count"
    );
    let questions = [
        "Is Paris the capital of France?",
        "Is 9 a prime number?",
        "Does `SELECT count(*) FROM singer` count the rows of the singer table?",
    ];
    for question in questions {
        // With an explicit system message both sides render the same ChatML text (without
        // one, the server's Jinja template adds Qwen's default system prompt and llama.cpp's
        // built-in template does not).
        let request = AnswerProbsRequest {
            affinity: None,
            prompt: Prompt::Chat(vec![
                ChatMessage::new(Role::System, "You are a helpful assistant."),
                ChatMessage::new(Role::User, format!("{question} Answer Yes or No.")),
            ]),
            answers: vec!["Yes".into(), "No".into()],
        };
        let remote = http.answer_probs(&request).await.unwrap();
        let here = local.answer_probs(&request).await.unwrap();
        for (r, h) in remote.probs.iter().zip(&here.probs) {
            assert!(
                (r - h).abs() < 0.05,
                "{question}: HTTP {:?} vs local {:?}",
                remote.probs,
                here.probs
            );
        }
    }
}

#[tokio::test]
async fn http_a_repeated_prompt_reports_cached_prompt_tokens() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let generator = generator(&server, Endpoint::Chat);
    let request = AnswerProbsRequest {
        affinity: None,
        prompt: chat("Is the sky green on a clear day? A cached-token check. Answer Yes or No."),
        answers: vec!["Yes".into(), "No".into()],
    };
    let first = generator.answer_probs(&request).await.unwrap();
    let second = generator.answer_probs(&request).await.unwrap();
    eprintln!("usage: first {:?}, second {:?}", first.usage, second.usage);
    assert!(
        first.usage.cached_prompt_tokens < first.usage.prompt_tokens,
        "{:?}",
        first.usage
    );
    // The server keeps the prompt in the slot it used and re-decodes only the last token.
    assert!(
        second.usage.cached_prompt_tokens + 1 >= second.usage.prompt_tokens
            && second.usage.cached_prompt_tokens > 10,
        "{:?}",
        second.usage
    );
}

#[tokio::test]
async fn http_identity_carries_what_the_server_says_about_its_model() {
    let _turn = EXCLUSIVE.lock().await;
    let server = server();
    let generator = generator(&server, Endpoint::Chat);
    let identity = generator.identity();
    eprintln!("identity: {identity}");
    assert!(
        identity.starts_with("http:qwen2.5-coder-0.5b {"),
        "{identity}"
    );
    for part in [
        MODEL,
        "\"n_params\"",
        "\"size\"",
        "\"system_fingerprint\":\"b",
    ] {
        assert!(identity.contains(part), "{part} missing from {identity}");
    }
    assert!(
        !identity.contains("\"created\"") && !identity.contains("n_ctx\""),
        "{identity}"
    );
    assert!(!identity.contains(&server.url()), "{identity}");
    // Stable: another generator for the same server says the same.
    assert_eq!(
        self::generator(&server, Endpoint::Chat).identity(),
        identity
    );
    generator
        .generate(&sample(chat("Hi"), 1, 0.0, 0, 2, &[]))
        .await
        .unwrap();
    assert_eq!(generator.fingerprint_changes(), 0);
}
