//! Sending requests to a set of replicas: load spreading, fail-over, concurrency limits,
//! timeouts and retries with backoff.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::body::{read_capped, BodyError};
use super::config::HttpConfig;
use super::key::bearer;

/// Longest backoff between two attempts, and longest `Retry-After` honoured.
const MAX_DELAY: Duration = Duration::from_secs(120);
/// Most characters of a server's error body quoted in an error.
const MAX_QUOTE: usize = 500;
/// How long a replica that refused a connection is passed over (while another is up).
const DOWN_FOR: Duration = Duration::from_secs(3);

/// Why a call failed for good.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The server refused the request (a 4xx other than 429); not retried.
    #[error("{url} refused the request with HTTP {status}: {message}")]
    Rejected {
        url: String,
        status: StatusCode,
        message: String,
    },
    /// The request could not be sent (e.g. the API key variable vanished); not retried.
    #[error("{0}")]
    Local(String),
    /// The response body was larger than `max_response_bytes`; not retried, since the same
    /// request would most likely get the same answer.
    #[error("{url}: {error}; not retried (the cap is HttpConfig::max_response_bytes)")]
    TooLarge { url: String, error: BodyError },
    /// Every attempt failed with a retryable error.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    Exhausted { attempts: u32, last: String },
}

/// One replica.
struct Replica {
    /// Base URL without a trailing `/` or `/v1`.
    base: String,
    permits: Semaphore,
    /// Requests waiting for a permit or in flight: the replica's load.
    in_flight: AtomicUsize,
    /// Until when the replica is passed over, after it refused a connection.
    down_until: Mutex<Option<Instant>>,
}

impl Replica {
    fn load(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    fn is_down(&self, now: Instant) -> bool {
        let until = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        until.is_some_and(|t| now < t)
    }

    fn mark_down(&self, now: Instant) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) = Some(now + DOWN_FOR);
    }
}

/// Where a request may go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// This replica only.
    Replica(usize),
    /// Any replica: the one `affinity` hashes to when it is not too busy, else the least
    /// loaded.
    Any { affinity: Option<&'a str> },
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Outcome of one failed attempt.
enum AttemptError {
    /// Worth another attempt, after `retry_after` if the server asked for it.
    Retry {
        error: String,
        retry_after: Option<Duration>,
        /// The replica could not be reached: prefer another for the next attempt.
        unreachable: bool,
    },
    Fatal(Failure),
}

/// The replicas of one model and the HTTP client that reaches them.
pub(crate) struct Transport {
    client: Client,
    replicas: Vec<Replica>,
    next: AtomicUsize,
    affinity_slack: usize,
    api_key_env: Option<String>,
    max_retries: u32,
    base_delay: Duration,
    max_body: usize,
}

impl Transport {
    /// A transport for the replicas of `config` (already validated).
    pub(crate) fn new(config: &HttpConfig) -> Result<Self, String> {
        // No redirects: an OpenAI-compatible API answers in place, and following one could
        // take the request (and its key) somewhere else.
        let client = Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let replicas = config
            .base_urls
            .iter()
            .map(|url| {
                let base = url.trim_end_matches('/');
                Replica {
                    base: base.strip_suffix("/v1").unwrap_or(base).to_owned(),
                    permits: Semaphore::new(config.max_concurrency),
                    in_flight: AtomicUsize::new(0),
                    down_until: Mutex::new(None),
                }
            })
            .collect();
        Ok(Self {
            client,
            replicas,
            next: AtomicUsize::new(0),
            affinity_slack: config.affinity_slack,
            api_key_env: config.api_key_env.clone(),
            max_retries: config.max_retries,
            base_delay: config.retry_base_delay,
            max_body: config.max_response_bytes,
        })
    }

    /// Number of replicas.
    pub(crate) fn replicas(&self) -> usize {
        self.replicas.len()
    }

    /// The base URL of replica `index`.
    pub(crate) fn base(&self, index: usize) -> &str {
        &self.replicas[index].base
    }

    /// GETs `path` of replica `index` and parses the JSON response, retrying transient failures
    /// on that replica.
    pub(crate) async fn get_from<T: DeserializeOwned>(
        &self,
        index: usize,
        path: &str,
    ) -> Result<T, Failure> {
        self.call(Target::Replica(index), Method::GET, path, None::<&()>)
            .await
    }

    /// POSTs `body` to `path` of replica `index` only, retrying transient failures there.
    pub(crate) async fn post_to<B, T>(
        &self,
        index: usize,
        path: &str,
        body: &B,
    ) -> Result<T, Failure>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(Target::Replica(index), Method::POST, path, Some(body))
            .await
    }

    /// POSTs `body` to `path` of a replica chosen for `affinity` (see [`Target::Any`]) and
    /// parses the JSON response, retrying transient failures.
    pub(crate) async fn post<B, T>(
        &self,
        path: &str,
        body: &B,
        affinity: Option<&str>,
    ) -> Result<T, Failure>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(Target::Any { affinity }, Method::POST, path, Some(body))
            .await
    }

    /// Sends a request to `target`, with retries; a retry after a refused connection goes to
    /// another replica at once when there is one.
    async fn call<B, T>(
        &self,
        target: Target<'_>,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let attempts = self.max_retries.saturating_add(1);
        let mut avoid = None;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let index = match target {
                Target::Replica(index) => index,
                Target::Any { affinity } => self.pick(avoid, affinity),
            };
            let replica = &self.replicas[index];
            let outcome = {
                let _counted = InFlight::new(&replica.in_flight);
                let _permit = replica
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| Failure::Local("the request limiter was closed".into()))?;
                self.attempt(replica, method.clone(), path, body).await
            };
            let (error, retry_after, unreachable) = match outcome {
                Ok(value) => return Ok(value),
                Err(AttemptError::Fatal(failure)) => return Err(failure),
                Err(AttemptError::Retry {
                    error,
                    retry_after,
                    unreachable,
                }) => (error, retry_after, unreachable),
            };
            if attempt >= attempts {
                return Err(Failure::Exhausted {
                    attempts,
                    last: error,
                });
            }
            avoid = unreachable.then_some(index);
            let moves_on =
                unreachable && matches!(target, Target::Any { .. }) && self.replicas.len() > 1;
            if unreachable {
                replica.mark_down(Instant::now());
            }
            let delay = if moves_on {
                Duration::ZERO
            } else {
                retry_after.map_or_else(|| self.backoff(attempt), |d| d.min(MAX_DELAY))
            };
            tracing::warn!(attempt, ?delay, "http backend: {error}; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// The replica for a request: the one `affinity` hashes to, unless it is unusable or has
    /// more than `affinity_slack` requests above the least loaded one; else the least loaded,
    /// scanning from a rotating start so that ties are served in turn.
    ///
    /// Unusable: `avoid` (it just failed to connect) and replicas marked down, as long as
    /// another is left.
    fn pick(&self, avoid: Option<usize>, affinity: Option<&str>) -> usize {
        let count = self.replicas.len();
        let now = Instant::now();
        let up: Vec<usize> = (0..count)
            .filter(|&i| Some(i) != avoid && !self.replicas[i].is_down(now))
            .collect();
        let usable = if !up.is_empty() {
            up
        } else {
            (0..count)
                .filter(|&i| count == 1 || Some(i) != avoid)
                .collect()
        };
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let least = (0..count)
            .map(|i| (start + i) % count)
            .filter(|i| usable.contains(i))
            .min_by_key(|&i| self.replicas[i].load())
            .unwrap_or(0);
        match affinity {
            Some(key) if count > 1 => {
                let home = (stable_hash(key) % count as u64) as usize;
                let fits =
                    self.replicas[home].load() <= self.replicas[least].load() + self.affinity_slack;
                if usable.contains(&home) && fits {
                    home
                } else {
                    least
                }
            }
            _ => least,
        }
    }

    /// Exponential backoff with jitter: a uniform delay in [d/2, d], d = base · 2^(attempt−1).
    fn backoff(&self, attempt: u32) -> Duration {
        let full = self
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(MAX_DELAY);
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    async fn attempt<B, T>(
        &self,
        replica: &Replica,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AttemptError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let url = format!("{}{path}", replica.base);
        let retry = |error: String, unreachable: bool| AttemptError::Retry {
            error,
            retry_after: None,
            unreachable,
        };
        let mut request = self.client.request(method, &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(var) = &self.api_key_env {
            request = request.headers(bearer(var).map_err(AttemptError::Fatal)?);
        }
        let response = request.send().await.map_err(|e| {
            let unreachable = e.is_connect();
            retry(format!("{url}: {}", describe(&e)), unreachable)
        })?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = match read_capped(response, self.max_body).await {
            Ok(bytes) => bytes,
            Err(BodyError::Read(e)) => {
                return Err(retry(
                    format!("{url}: reading the response: {}", describe(&e)),
                    false,
                ))
            }
            Err(error @ BodyError::TooLarge { .. }) => {
                return Err(AttemptError::Fatal(Failure::TooLarge { url, error }))
            }
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                retry(
                    format!("{url}: malformed response ({e}): {}", quote(&bytes)),
                    false,
                )
            });
        }
        let message = error_message(&bytes);
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(AttemptError::Retry {
                error: format!("{url}: HTTP {status}: {message}"),
                retry_after,
                unreachable: false,
            });
        }
        Err(AttemptError::Fatal(Failure::Rejected {
            url,
            status,
            message,
        }))
    }
}

/// FNV-1a: the same key picks the same replica in every process and Rust version.
fn stable_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A short description of a transport error (timeouts and refused connections named plainly).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// `Retry-After` given in seconds (the HTTP-date form is left to the backoff).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_DELAY.as_secs_f64())))
}

/// The server's own words from an error body: `error.message`, `error` or `message`/`detail`
/// of a JSON body, else the text itself.
fn error_message(bytes: &[u8]) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let field = json.as_ref().and_then(|v| {
        [
            v.pointer("/error/message"),
            v.get("error"),
            v.get("message"),
            v.get("detail"),
        ]
        .into_iter()
        .flatten()
        .find_map(|f| f.as_str().map(str::to_owned))
    });
    field.unwrap_or_else(|| quote(bytes))
}

/// At most [`MAX_QUOTE`] characters of a body, for error messages.
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    match text.char_indices().nth(MAX_QUOTE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None if text.is_empty() => "(empty body)".to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn error_messages_come_from_the_usual_fields() {
        assert_eq!(
            error_message(br#"{"error":{"message":"bad n","code":400}}"#),
            "bad n"
        );
        assert_eq!(error_message(br#"{"error":"nope"}"#), "nope");
        assert_eq!(
            error_message(br#"{"object":"error","message":"vllm says"}"#),
            "vllm says"
        );
        assert_eq!(error_message(b"plain text"), "plain text");
        assert_eq!(error_message(b""), "(empty body)");
        assert!(error_message(&[b'x'; 2000]).chars().count() <= MAX_QUOTE + 1);
    }

    #[test]
    fn retry_after_accepts_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&headers), Some(MAX_DELAY));
    }

    #[test]
    fn picks_spread_and_avoid_unreachable_replicas() {
        let mut config = HttpConfig::new("http://a:1/v1/", "m");
        config.base_urls.push("http://b:2".into());
        let transport = Transport::new(&config).unwrap();
        assert_eq!(transport.replicas[0].base, "http://a:1");
        let picks: Vec<usize> = (0..4).map(|_| transport.pick(None, None)).collect();
        assert_eq!(picks, [0, 1, 0, 1]);
        assert!((0..4).all(|_| transport.pick(Some(0), None) == 1));
        transport.replicas[1].in_flight.store(3, Ordering::Relaxed);
        assert!((0..4).all(|_| transport.pick(None, None) == 0));
        transport.replicas[0].mark_down(Instant::now());
        assert!((0..4).all(|_| transport.pick(None, None) == 1));
        assert!(
            (0..4).all(|_| transport.pick(Some(1), None) == 0),
            "a replica marked down is tried when the other one just failed"
        );
    }

    #[test]
    fn an_affinity_key_keeps_to_its_replica_until_it_is_too_busy() {
        let mut config = HttpConfig::new("http://a:1", "m");
        config
            .base_urls
            .extend(["http://b:2".into(), "http://c:3".into()]);
        config.affinity_slack = 2;
        let transport = Transport::new(&config).unwrap();
        assert_eq!(stable_hash("spider/dev/17"), stable_hash("spider/dev/17"));
        let homes: Vec<usize> = (0..30)
            .map(|i| transport.pick(None, Some(&format!("example {i}"))))
            .collect();
        assert!(
            (0..3).all(|r| homes.contains(&r)),
            "keys spread over the replicas: {homes:?}"
        );
        let home = transport.pick(None, Some("spider/dev/17"));
        assert!((0..8).all(|_| transport.pick(None, Some("spider/dev/17")) == home));
        transport.replicas[home]
            .in_flight
            .store(2, Ordering::Relaxed);
        assert_eq!(transport.pick(None, Some("spider/dev/17")), home);
        transport.replicas[home]
            .in_flight
            .store(3, Ordering::Relaxed);
        assert_ne!(transport.pick(None, Some("spider/dev/17")), home);
        transport.replicas[home]
            .in_flight
            .store(0, Ordering::Relaxed);
        assert_ne!(transport.pick(Some(home), Some("spider/dev/17")), home);
        transport.replicas[home].mark_down(Instant::now());
        assert_ne!(transport.pick(None, Some("spider/dev/17")), home);
    }

    #[test]
    fn backoff_doubles_within_jitter() {
        let mut config = HttpConfig::new("http://a:1", "m");
        config.retry_base_delay = Duration::from_millis(100);
        let transport = Transport::new(&config).unwrap();
        for attempt in 1..=4u32 {
            let full = Duration::from_millis(100 * (1 << (attempt - 1)));
            let delay = transport.backoff(attempt);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
        assert!(transport.backoff(40) <= MAX_DELAY);
    }
}
