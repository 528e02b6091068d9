//! OpenAI-compatible HTTP backend: vLLM, llama-server, llama-cpp-python, OpenAI.
//!
//! [`HttpGenerator`] implements [`Generator`] over `/v1/chat/completions` or `/v1/completions`
//! of one or more replicas (see [`HttpConfig`]).
//!
//! - **`n` completions, always.** Servers cap `n` (llama-server answers HTTP 400 above its slot
//!   count; others return fewer choices). The generator learns the cap and splits the request:
//!   the part starting at completion `i` is sent with seed `seed + i`, which is how
//!   llama-server seeds the choices of one request, so the same request yields the same
//!   completions however it was split.
//! - **Assistant prefix.** Chat endpoint: a trailing assistant message, with vLLM's
//!   `continue_final_message: true, add_generation_prompt: false`; llama-server continues a
//!   trailing assistant message as a prefill and echoes it, and the echo is stripped. OpenAI
//!   itself does not support continuing a message. Completions endpoint: appended to the text.
//! - **Usage.** Exact when the server counts every choice; llama-server counts the first choice
//!   of a multi-choice response only, so the others are estimated from their length, and
//!   responses without usage are estimated at four characters a token; either way
//!   [`Usage::approximate`] is set. [`Usage::cached_prompt_tokens`] is what the server says it
//!   took from its KV cache (`usage.prompt_tokens_details.cached_tokens`, else llama-server's
//!   `timings.cache_n` or `tokens_cached`), summed over the requests of a call.
//! - **Answer probabilities** come from the top alternatives of the first generated token
//!   (`max_tokens: 1`, temperature 0); see [`HttpGenerator::answer_fallbacks`].
//! - **Identity.** [`Generator::identity`] is `http:<model>` followed by what the servers say
//!   about the model (`/v1/models` entry, `system_fingerprint`), asked once when the generator
//!   is built (see [`HttpConfig::identify_model`]), so that cache entries and run records of
//!   different weights served under one name stay apart.
//! - **Limits.** Response bodies are capped ([`HttpConfig::max_response_bytes`]); the API key
//!   is sent only when [`HttpConfig::api_key_env`] names it, and never over plain http to a
//!   host that is not loopback unless [`HttpConfig::allow_insecure_key`] is set; redirects are
//!   not followed.

mod answer;
mod body;
mod config;
mod identify;
mod key;
pub mod server;
mod text;
mod transport;
mod wire;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use futures::future::join_all;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, GenError, GenerateRequest, Generation, Generator, Usage,
};
use reqwest::StatusCode;

pub use config::{Endpoint, HttpConfig, DEFAULT_MAX_RESPONSE_BYTES};
use transport::{Failure, Transport};
use wire::{Body, Input, LogprobsAsk, Response};

/// Characters per token assumed when a server reports no token counts.
const CHARS_PER_TOKEN: f64 = 4.0;

/// A [`Generator`] backed by OpenAI-compatible HTTP servers.
pub struct HttpGenerator {
    config: HttpConfig,
    transport: Transport,
    /// `http:<model>`, then the servers' description of it when there is one.
    identity: String,
    /// The `system_fingerprint` the servers gave when asked, if any.
    fingerprint: Option<String>,
    /// The configured parameter count, else the one the servers reported.
    parameters: Option<u64>,
    /// Most choices one request may ask for, as learned from the servers.
    n_cap: AtomicUsize,
    fallbacks: AtomicU64,
    fingerprint_changes: AtomicU64,
}

impl std::fmt::Debug for HttpGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpGenerator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpGenerator {
    /// Checks `config`, builds the client and, with [`HttpConfig::identify_model`], asks the
    /// replicas what they serve (blocking the calling thread for those few requests; it works
    /// inside and outside an async runtime).
    ///
    /// Fails when no replica answers, when the replicas describe different models, or when a
    /// server lists models but not this one.
    pub fn new(config: HttpConfig) -> Result<Self, GenError> {
        config.validate()?;
        let transport = Transport::new(&config).map_err(GenError::Backend)?;
        let description = if config.identify_model {
            identify::describe_blocking(&config)?
        } else {
            None
        };
        let (identity, fingerprint, reported) = match description {
            Some(d) => (
                format!("http:{} {}", config.model, d.text),
                d.fingerprint,
                d.parameters,
            ),
            None => (format!("http:{}", config.model), None, None),
        };
        let parameters = config.parameters.or(reported);
        Ok(Self {
            config,
            transport,
            identity,
            fingerprint,
            parameters,
            n_cap: AtomicUsize::new(usize::MAX),
            fallbacks: AtomicU64::new(0),
            fingerprint_changes: AtomicU64::new(0),
        })
    }

    /// Responses whose `system_fingerprint` differed from the one the servers gave when the
    /// generator was built (each is logged as a warning): their completions may come from
    /// another backend configuration than the identity says.
    pub fn fingerprint_changes(&self) -> u64 {
        self.fingerprint_changes.load(Ordering::Relaxed)
    }

    /// Answer-probability requests whose first answer was not among the top alternatives of
    /// the first token, so that its probability was inferred (`1 − Σ others`, or 0).
    pub fn answer_fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed)
    }

    /// Most choices per request learned so far (`None` while no server has capped `n`).
    pub fn n_cap(&self) -> Option<usize> {
        Some(self.n_cap.load(Ordering::Relaxed)).filter(|&cap| cap != usize::MAX)
    }

    async fn post(&self, body: &Body<'_>, affinity: Option<&str>) -> Result<Response, Failure> {
        let response: Response = self
            .transport
            .post(self.config.endpoint.path(), body, affinity)
            .await?;
        if let (Some(expected), Some(got)) = (&self.fingerprint, response.fingerprint()) {
            if expected != got {
                self.fingerprint_changes.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    expected = %expected,
                    got = %got,
                    "http backend: the server's system_fingerprint changed since it was identified"
                );
            }
        }
        Ok(response)
    }

    /// One request for `count` completions, the first of which is completion `start`.
    async fn sample(
        &self,
        input: &Input,
        request: &GenerateRequest,
        start: usize,
        count: usize,
    ) -> Result<(Vec<String>, Tally), Failure> {
        let params = &request.params;
        let body = Body {
            model: &self.config.model,
            input,
            n: count,
            temperature: params.temperature,
            top_p: params.top_p,
            top_k: params.top_k,
            max_tokens: params.max_tokens,
            stop: &params.stop,
            seed: params.seed.wrapping_add(start as u64),
            logprobs: None,
        };
        let response = self.post(&body, request.affinity.as_deref()).await?;
        let (usage, per_first_choice) = (response.usage, response.timings.is_some());
        let cached = response.cached_prompt_tokens();
        let texts: Vec<String> = response
            .texts()
            .into_iter()
            .map(|t| text::continuation(t, &request.assistant_prefix, &params.stop))
            .collect();
        let mut tally = Tally::of_completions(usage, per_first_choice, input, &texts);
        tally.cached = cached;
        Ok((texts, tally))
    }
}

#[async_trait]
impl Generator for HttpGenerator {
    fn identity(&self) -> String {
        self.identity.clone()
    }

    fn parameters(&self) -> Option<u64> {
        self.parameters
    }

    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
        crate::params::check(&request.params)?;
        let started = Instant::now();
        let input = Input::new(
            self.config.endpoint,
            &request.prompt,
            &request.assistant_prefix,
        )?;
        let n = request.params.n;
        let mut completions: Vec<Option<String>> = vec![None; n];
        let mut tally = Tally::default();
        // Ranges (first completion, count) still to fetch; each round splits them by the cap
        // known at its start and sends the pieces concurrently.
        let mut pending = vec![(0, n)];
        while !pending.is_empty() {
            let cap = self.n_cap.load(Ordering::Relaxed);
            let pieces: Vec<(usize, usize)> = pending
                .drain(..)
                .flat_map(|(start, count)| {
                    (start..start + count)
                        .step_by(cap)
                        .map(move |s| (s, cap.min(start + count - s)))
                })
                .collect();
            let outcomes = join_all(
                pieces
                    .iter()
                    .map(|&(s, c)| self.sample(&input, request, s, c)),
            )
            .await;
            for (&(start, count), outcome) in pieces.iter().zip(outcomes) {
                match outcome {
                    Ok((texts, piece_tally)) => {
                        if texts.is_empty() {
                            return Err(GenError::Backend(
                                "the server returned no completions".into(),
                            ));
                        }
                        if texts.len() < count {
                            self.n_cap.fetch_min(texts.len(), Ordering::Relaxed);
                            pending.push((start + texts.len(), count - texts.len()));
                        }
                        for (slot, text) in completions[start..start + count].iter_mut().zip(texts)
                        {
                            *slot = Some(text);
                        }
                        tally.add(piece_tally);
                    }
                    Err(Failure::Rejected {
                        status, message, ..
                    }) if status == StatusCode::BAD_REQUEST
                        && count > 1
                        && mentions_n(&message) =>
                    {
                        let cap = cap_hint(&message, count);
                        tracing::info!(
                            cap,
                            "http backend: the server caps n ({message}); splitting requests"
                        );
                        self.n_cap.fetch_min(cap, Ordering::Relaxed);
                        pending.push((start, count));
                    }
                    Err(failure) => return Err(GenError::Backend(failure.to_string())),
                }
            }
        }
        Ok(Generation {
            completions: completions
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
            usage: tally.usage(started),
        })
    }

    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        if request.answers.is_empty() || request.answers.iter().any(|a| a.trim().is_empty()) {
            return Err(GenError::InvalidRequest(
                "answer probabilities need at least one answer, none of them blank".into(),
            ));
        }
        let started = Instant::now();
        let input = Input::new(self.config.endpoint, &request.prompt, "")?;
        let logprobs = LogprobsAsk::new(self.config.endpoint, self.config.top_logprobs);
        let body = Body::one_token(&self.config.model, &input, Some(logprobs));
        let response = self
            .post(&body, request.affinity.as_deref())
            .await
            .map_err(|f| GenError::Backend(f.to_string()))?;
        let alternatives = response.first_token_alternatives().ok_or_else(|| {
            GenError::Backend("the response carries no token log-probabilities (does the server support logprobs?)".into())
        })?;
        let scored = answer::score(&request.answers, &alternatives);
        if scored.fell_back {
            self.fallbacks.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                ?alternatives,
                "http backend: first answer not among the top tokens"
            );
        }
        let mut tally = Tally::of_completions(response.usage, false, &input, &[]);
        tally.cached = response.cached_prompt_tokens();
        Ok(AnswerProbs {
            probs: scored.probs,
            usage: tally.usage(started),
        })
    }
}

/// Whether a 400 message is about the `n` parameter (llama-server: "Field 'n': …",
/// OpenAI: "Invalid 'n': …", vLLM: "n must be …").
fn mentions_n(message: &str) -> bool {
    ["'n'", "\"n\"", "`n`", " n "]
        .iter()
        .any(|m| message.contains(m))
        || message.starts_with("n ")
}

/// The largest number below `asked` in the message (the server's limit, as in "value <= 2"),
/// else half of `asked`.
fn cap_hint(message: &str, asked: usize) -> usize {
    message
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|digits| digits.parse::<usize>().ok())
        .filter(|&v| v >= 1 && v < asked)
        .max()
        .unwrap_or((asked / 2).max(1))
}

/// Token counts summed over the requests of one call.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    prompt: u64,
    completion: u64,
    /// Prompt tokens the server took from its KV cache.
    cached: u64,
    approximate: bool,
}

impl Tally {
    /// Counts for one response with the completions `texts`.
    ///
    /// `per_first_choice`: the server's usage covers the first choice only (llama-server).
    fn of_completions(
        usage: Option<wire::WireUsage>,
        per_first_choice: bool,
        input: &Input,
        texts: &[String],
    ) -> Self {
        let estimate = |chars: usize| (chars as f64 / CHARS_PER_TOKEN).ceil() as u64;
        let chars: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
        let reported = usage.and_then(|u| Some((u.prompt_tokens?, u.completion_tokens?)));
        match reported {
            Some((prompt, completion)) if !per_first_choice || texts.len() <= 1 => Self {
                prompt,
                completion,
                cached: 0,
                approximate: false,
            },
            Some((prompt, first)) => {
                // Scale the other choices by the first one's tokens per character.
                let rate = match chars[0] {
                    0 => 1.0 / CHARS_PER_TOKEN,
                    c => first as f64 / c as f64,
                };
                let others: f64 = chars[1..].iter().map(|&c| c as f64 * rate).sum();
                Self {
                    prompt,
                    completion: first + others.round() as u64,
                    cached: 0,
                    approximate: true,
                }
            }
            None => Self {
                prompt: estimate(input.chars()),
                completion: chars.iter().map(|&c| estimate(c)).sum(),
                cached: 0,
                approximate: true,
            },
        }
    }

    fn add(&mut self, other: Tally) {
        self.prompt += other.prompt;
        self.completion += other.completion;
        self.cached += other.cached;
        self.approximate |= other.approximate;
    }

    fn usage(self, started: Instant) -> Usage {
        let mut usage = Usage::new(self.prompt, self.completion, started.elapsed());
        usage.approximate = self.approximate;
        usage.cached_prompt_tokens = self.cached;
        usage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_n_limits() {
        let llama = "Field 'n': Value must be between 1 <= value <= 2, but got 5";
        assert!(mentions_n(llama));
        assert_eq!(cap_hint(llama, 5), 2);
        assert!(mentions_n("Invalid 'n': integer above maximum value"));
        assert!(mentions_n("n must be at most 4"));
        assert!(!mentions_n("the prompt is too long"));
        assert_eq!(cap_hint("Invalid 'n'", 8), 4);
        assert_eq!(cap_hint("Invalid 'n'", 1), 1);
    }

    #[test]
    fn a_configured_parameter_count_is_reported() {
        let mut config = HttpConfig::new("http://127.0.0.1:9", "m");
        config.identify_model = false;
        assert_eq!(
            HttpGenerator::new(config.clone()).unwrap().parameters(),
            None
        );
        config.parameters = Some(494_032_768);
        assert_eq!(
            HttpGenerator::new(config.clone()).unwrap().parameters(),
            Some(494_032_768)
        );
        config.parameters = Some(0);
        assert!(matches!(
            HttpGenerator::new(config),
            Err(GenError::InvalidRequest(_))
        ));
    }

    #[test]
    fn usage_of_first_choice_only_is_scaled_and_approximate() {
        let input = Input::Text {
            prompt: "abcd".into(),
        };
        let usage = Some(wire::WireUsage {
            prompt_tokens: Some(7),
            completion_tokens: Some(2),
            prompt_tokens_details: None,
        });
        let texts = vec!["abcd".to_string(), "abcdabcd".to_string()];
        let exact = Tally::of_completions(usage, false, &input, &texts);
        assert_eq!(
            (exact.prompt, exact.completion, exact.approximate),
            (7, 2, false)
        );
        let scaled = Tally::of_completions(usage, true, &input, &texts);
        assert_eq!(
            (scaled.prompt, scaled.completion, scaled.approximate),
            (7, 6, true)
        );
        let none = Tally::of_completions(None, false, &input, &texts);
        assert_eq!(
            (none.prompt, none.completion, none.approximate),
            (1, 3, true)
        );
    }
}
