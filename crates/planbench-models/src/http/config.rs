//! Settings of the HTTP backend.

use std::time::Duration;

use planbench_core::GenError;

use super::key;

/// Which OpenAI-compatible route serves the requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/v1/chat/completions`: the server renders the model's chat template.
    ///
    /// Text prompts are sent as one user message.
    #[default]
    Chat,
    /// `/v1/completions`: raw text is continued as is; chat prompts are refused because the
    /// chat template cannot be rendered on the client.
    Completions,
}

planbench_core::named_enum!(Endpoint, "endpoint", { Chat => "chat", Completions => "completions" });

impl Endpoint {
    /// The path of the route below a base URL.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "/v1/chat/completions",
            Endpoint::Completions => "/v1/completions",
        }
    }
}

/// How to reach one or more replicas of an OpenAI-compatible server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URLs of replicas serving the same model (e.g. `http://127.0.0.1:8080`). A request
    /// with an affinity key (the example id) goes to the replica the key hashes to, to keep
    /// that replica's prompt cache warm, unless it is busier than the least loaded one by more
    /// than [`affinity_slack`](Self::affinity_slack); other requests go to the least loaded
    /// replica. A replica that refuses connections is skipped for a few seconds, and requests
    /// fail over to another.
    pub base_urls: Vec<String>,
    /// Model name sent with each request.
    pub model: String,
    /// Name of the environment variable that holds the API key, read at each request; the key
    /// itself is never logged or stored. No key is sent when this is `None` (the backend reads
    /// no variable of its own accord).
    pub api_key_env: Option<String>,
    /// Send the API key over plain `http://` to a host that is not loopback (`localhost`,
    /// `127.0.0.0/8`, `::1`). Off by default: such a key would cross the network in clear
    /// text, so the configuration is refused.
    pub allow_insecure_key: bool,
    /// Route used for requests.
    pub endpoint: Endpoint,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole response.
    pub request_timeout: Duration,
    /// Retries after the first attempt on 429, 5xx, timeouts, connection errors and malformed
    /// responses.
    pub max_retries: u32,
    /// Most requests in flight to each base URL.
    pub max_concurrency: usize,
    /// How many more requests (queued or in flight) than the least loaded replica an
    /// affinity key's own replica may have before its requests go elsewhere; 0 balances load
    /// first and caches second.
    pub affinity_slack: usize,
    /// Alternatives asked for the first token of answer-probability requests (OpenAI: ≤ 20).
    pub top_logprobs: u32,
    /// First backoff delay; doubles with each retry (with jitter), unless the server sends
    /// `Retry-After`.
    pub retry_base_delay: Duration,
    /// Largest response body accepted, in bytes. Bodies are read piece by piece and the
    /// request fails (without retries) as soon as one exceeds this, so a huge or endless body
    /// is never held whole.
    pub max_response_bytes: usize,
    /// Ask each replica what it serves before the first request (`GET /v1/models` and one
    /// 1-token probe for `system_fingerprint`) and make that part of
    /// [`identity`](planbench_core::Generator::identity), so that two servers with different
    /// weights under one name never share cache entries. Off: the identity is the model name
    /// only.
    pub identify_model: bool,
    /// The model's parameter count, for compute accounting
    /// ([`Generator::parameters`](planbench_core::Generator::parameters)). Unset: what the
    /// server reports when identified (llama-server's `meta.n_params`), else unknown.
    pub parameters: Option<u64>,
}

/// Default [`HttpConfig::max_response_bytes`]: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 << 20;

impl HttpConfig {
    /// Default settings for `model` served at `base_url`.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_urls: vec![base_url.into()],
            model: model.into(),
            api_key_env: None,
            endpoint: Endpoint::Chat,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            max_retries: 5,
            max_concurrency: 4,
            affinity_slack: 4,
            top_logprobs: 5,
            retry_base_delay: Duration::from_millis(500),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            identify_model: true,
            allow_insecure_key: false,
            parameters: None,
        }
    }

    /// Checks the settings that would make every request fail.
    pub(crate) fn validate(&self) -> Result<(), GenError> {
        let invalid = |msg: String| Err(GenError::InvalidRequest(msg));
        if self.base_urls.is_empty() {
            return invalid("http backend: no base URL given".into());
        }
        for url in &self.base_urls {
            let parsed = reqwest::Url::parse(url).map_err(|e| {
                GenError::InvalidRequest(format!("http backend: bad base URL {url:?}: {e}"))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return invalid(format!("http backend: base URL {url:?} is not http(s)"));
            }
        }
        if self.model.trim().is_empty() {
            return invalid("http backend: empty model name".into());
        }
        if self.max_concurrency == 0 {
            return invalid("http backend: max_concurrency must be at least 1".into());
        }
        if self.top_logprobs == 0 {
            return invalid("http backend: top_logprobs must be at least 1".into());
        }
        if self.parameters == Some(0) {
            return invalid("http backend: parameters must be at least 1 when given".into());
        }
        if self.max_response_bytes == 0 {
            return invalid("http backend: max_response_bytes must be at least 1".into());
        }
        if let Some(var) = &self.api_key_env {
            if std::env::var_os(var).is_none() {
                return invalid(format!(
                    "http backend: the API key variable {var} is not set"
                ));
            }
            if !self.allow_insecure_key {
                if let Some(url) = self.base_urls.iter().find(|u| !key::may_carry_key(u)) {
                    return invalid(format!(
                        "http backend: refusing to send the API key from {var} over plain http \
                         to {url}, which is not a loopback address (use https, or allow it \
                         explicitly with allow_insecure_key)"
                    ));
                }
            }
        }
        Ok(())
    }
}
