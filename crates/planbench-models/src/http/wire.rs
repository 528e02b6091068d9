//! JSON bodies of OpenAI-compatible requests and the typed shapes of their responses.
//!
//! Responses are parsed leniently: every field that some server omits is optional, and the
//! log-probability block accepts the three shapes in use (see [`Logprobs`]).

use std::collections::HashMap;

use planbench_core::{ChatMessage, GenError, Prompt, Role};
use serde::{Deserialize, Serialize};

use super::config::Endpoint;

/// The prompt part of a request body, rendered for one endpoint.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum Input {
    /// `/v1/chat/completions`.
    Chat {
        messages: Vec<ChatMessage>,
        /// vLLM: continue the trailing assistant message instead of starting a new one.
        #[serde(skip_serializing_if = "Option::is_none")]
        continue_final_message: Option<bool>,
        /// vLLM: must be false when `continue_final_message` is true.
        #[serde(skip_serializing_if = "Option::is_none")]
        add_generation_prompt: Option<bool>,
    },
    /// `/v1/completions`.
    Text { prompt: String },
}

impl Input {
    /// Renders `prompt` for `endpoint`, forcing the answer to start with `prefix`.
    ///
    /// With the chat endpoint the prefix becomes a trailing assistant message: vLLM continues
    /// it when asked with `continue_final_message`, and llama-server treats a trailing
    /// assistant message as a prefill (echoing it at the start of the reply, which the caller
    /// strips). With the completions endpoint the prefix is appended to the text.
    pub(crate) fn new(endpoint: Endpoint, prompt: &Prompt, prefix: &str) -> Result<Self, GenError> {
        match (endpoint, prompt) {
            (Endpoint::Chat, Prompt::Chat(messages)) => Ok(Self::chat(messages.clone(), prefix)),
            (Endpoint::Chat, Prompt::Text(text)) => {
                Ok(Self::chat(vec![ChatMessage::new(Role::User, text.as_str())], prefix))
            }
            (Endpoint::Completions, Prompt::Text(text)) => Ok(Self::Text {
                prompt: format!("{text}{prefix}"),
            }),
            (Endpoint::Completions, Prompt::Chat(_)) => Err(GenError::InvalidRequest(
                "a chat prompt needs the chat endpoint: the completions endpoint takes raw text and the \
                 chat template cannot be rendered on the client"
                    .into(),
            )),
        }
    }

    fn chat(mut messages: Vec<ChatMessage>, prefix: &str) -> Self {
        let continued = !prefix.is_empty();
        if continued {
            messages.push(ChatMessage::new(Role::Assistant, prefix));
        }
        Self::Chat {
            messages,
            continue_final_message: continued.then_some(true),
            add_generation_prompt: continued.then_some(false),
        }
    }

    /// Characters of prompt text, for estimating tokens when the server reports none.
    pub(crate) fn chars(&self) -> usize {
        match self {
            Self::Chat { messages, .. } => messages.iter().map(|m| m.content.chars().count()).sum(),
            Self::Text { prompt } => prompt.chars().count(),
        }
    }
}

/// How to ask for the alternatives of the first generated token.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub(crate) enum LogprobsAsk {
    /// Chat endpoint: `logprobs: true, top_logprobs: k`.
    Chat { logprobs: bool, top_logprobs: u32 },
    /// Completions endpoint: `logprobs: k`.
    Legacy { logprobs: u32 },
}

impl LogprobsAsk {
    /// The form `endpoint` understands, asking for `k` alternatives.
    pub(crate) fn new(endpoint: Endpoint, k: u32) -> Self {
        match endpoint {
            Endpoint::Chat => Self::Chat {
                logprobs: true,
                top_logprobs: k,
            },
            Endpoint::Completions => Self::Legacy { logprobs: k },
        }
    }
}

/// A request body for either endpoint.
#[derive(Debug, Serialize)]
pub(crate) struct Body<'a> {
    pub model: &'a str,
    #[serde(flatten)]
    pub input: &'a Input,
    pub n: usize,
    pub temperature: f32,
    pub top_p: f32,
    /// Sent only when set: llama-server, vLLM and SGLang accept `top_k` in the body; OpenAI's
    /// API does not (leave it unset there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub stop: &'a [String],
    pub seed: u64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<LogprobsAsk>,
}

impl<'a> Body<'a> {
    /// A greedy request for one token (answer probabilities, the identity probe).
    pub fn one_token(model: &'a str, input: &'a Input, logprobs: Option<LogprobsAsk>) -> Self {
        Body {
            model,
            input,
            n: 1,
            temperature: 0.0,
            top_p: 1.0,
            top_k: None,
            max_tokens: 1,
            stop: &[],
            seed: 0,
            logprobs,
        }
    }
}

/// A response of either endpoint.
#[derive(Debug, Deserialize)]
pub(crate) struct Response {
    #[serde(default)]
    pub choices: Vec<Choice>,
    pub usage: Option<WireUsage>,
    /// Sent by llama-server only, whose `usage` counts the first choice only.
    pub timings: Option<Timings>,
    /// llama-server's native `/completion` route: prompt tokens taken from its KV cache.
    pub tokens_cached: Option<u64>,
    /// Older llama-server responses carry the token alternatives here.
    pub completion_probabilities: Option<Vec<Position>>,
    /// The backend configuration that served the request (OpenAI, llama-server: its build);
    /// kept as sent so that an odd type never makes the response unreadable.
    pub system_fingerprint: Option<serde_json::Value>,
    /// When the response was made (seconds since the epoch, by the server's clock).
    pub created: Option<serde_json::Value>,
}

/// One completion.
#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub index: Option<usize>,
    /// Completions endpoint.
    pub text: Option<String>,
    /// Chat endpoint.
    pub message: Option<Message>,
    pub logprobs: Option<Logprobs>,
}

/// The reply message of a chat choice.
#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub content: Option<String>,
}

/// Token counts as reported.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct WireUsage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// OpenAI, vLLM, SGLang and llama-server: `prompt_tokens_details.cached_tokens`.
    #[serde(default)]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
}

/// The breakdown of the prompt tokens.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct PromptTokensDetails {
    pub cached_tokens: Option<u64>,
}

/// llama-server's timings of a response.
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct Timings {
    /// Prompt tokens taken from the slot's KV cache.
    pub cache_n: Option<u64>,
}

/// The log-probability block of a choice.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Logprobs {
    /// OpenAI chat, and llama-server on both endpoints: one entry per generated token.
    Content { content: Vec<Position> },
    /// OpenAI legacy completions (and vLLM's): one token → logprob map per generated token.
    Legacy {
        top_logprobs: Vec<Option<HashMap<String, f64>>>,
    },
}

/// The alternatives at one generated position.
#[derive(Debug, Deserialize)]
pub(crate) struct Position {
    /// `top_logprobs` in current servers, `probs` in llama-server before late 2024.
    #[serde(default, alias = "probs")]
    pub top_logprobs: Vec<Candidate>,
}

/// One alternative token, with a log-probability or (older llama-server) a probability.
#[derive(Debug, Deserialize)]
pub(crate) struct Candidate {
    #[serde(alias = "tok_str")]
    pub token: String,
    pub logprob: Option<f64>,
    pub prob: Option<f64>,
}

impl Candidate {
    fn probability(&self) -> Option<f64> {
        let p = self.logprob.map(f64::exp).or(self.prob)?;
        (!p.is_nan()).then_some(p.clamp(0.0, 1.0))
    }
}

impl Response {
    /// `system_fingerprint`, when it is a non-empty string.
    pub(crate) fn fingerprint(&self) -> Option<&str> {
        self.system_fingerprint
            .as_ref()?
            .as_str()
            .filter(|f| !f.is_empty())
    }

    /// Prompt tokens the server served from its KV cache, as it reports them (the usage
    /// breakdown, else llama-server's `timings.cache_n` or `tokens_cached`); 0 when it does not.
    pub(crate) fn cached_prompt_tokens(&self) -> u64 {
        self.usage
            .and_then(|u| u.prompt_tokens_details?.cached_tokens)
            .or_else(|| self.timings?.cache_n)
            .or(self.tokens_cached)
            .unwrap_or(0)
    }

    /// The completion texts ordered by choice index.
    pub(crate) fn texts(mut self) -> Vec<String> {
        self.choices.sort_by_key(|c| c.index.unwrap_or(usize::MAX));
        self.choices
            .into_iter()
            .map(|c| match (c.text, c.message) {
                (Some(text), _) => text,
                (None, Some(message)) => message.content.unwrap_or_default(),
                (None, None) => String::new(),
            })
            .collect()
    }

    /// The alternatives of the first generated token with their probabilities, if the
    /// response carries any.
    pub(crate) fn first_token_alternatives(&self) -> Option<Vec<(String, f64)>> {
        let from_position = |p: &Position| {
            p.top_logprobs
                .iter()
                .filter_map(|c| Some((c.token.clone(), c.probability()?)))
                .collect()
        };
        match self.choices.first().and_then(|c| c.logprobs.as_ref()) {
            Some(Logprobs::Content { content }) => content.first().map(from_position),
            Some(Logprobs::Legacy { top_logprobs }) => top_logprobs.first().map(|map| {
                map.iter()
                    .flatten()
                    .map(|(token, logprob)| (token.clone(), logprob.exp()))
                    .filter(|(_, p)| !p.is_nan())
                    .collect()
            }),
            None => self
                .completion_probabilities
                .as_ref()?
                .first()
                .map(from_position),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alternatives(json: &str) -> Vec<(String, f64)> {
        let response: Response = serde_json::from_str(json).expect("parses");
        let mut alts = response
            .first_token_alternatives()
            .expect("has alternatives");
        alts.sort_by(|a, b| a.0.cmp(&b.0));
        alts
    }

    fn close(alts: &[(String, f64)], token: &str, p: f64) -> bool {
        alts.iter().any(|(t, q)| t == token && (q - p).abs() < 1e-9)
    }

    #[test]
    fn parses_openai_chat_logprobs() {
        let alts = alternatives(
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Yes"},
            "logprobs":{"content":[{"token":"Yes","logprob":-0.1,"top_logprobs":[
            {"token":"Yes","logprob":-0.1,"bytes":[89]},{"token":"No","logprob":-2.5}]}]}}],
            "usage":{"prompt_tokens":10,"completion_tokens":1}}"#,
        );
        assert_eq!(alts.len(), 2);
        assert!(close(&alts, "Yes", (-0.1f64).exp()));
        assert!(close(&alts, "No", (-2.5f64).exp()));
    }

    #[test]
    fn parses_legacy_completion_logprobs() {
        let alts = alternatives(
            r#"{"choices":[{"text":" Yes","index":0,"logprobs":{"tokens":[" Yes"],
            "token_logprobs":[-0.2],"top_logprobs":[{" Yes":-0.2," No":-1.9}],"text_offset":[0]}}]}"#,
        );
        assert!(close(&alts, " Yes", (-0.2f64).exp()));
        assert!(close(&alts, " No", (-1.9f64).exp()));
    }

    #[test]
    fn parses_old_llama_server_probs() {
        let alts = alternatives(
            r#"{"content":"Yes","completion_probabilities":[{"content":"Yes",
            "probs":[{"tok_str":"Yes","prob":0.75},{"tok_str":"No","prob":0.2}]}]}"#,
        );
        assert!(close(&alts, "Yes", 0.75));
        assert!(close(&alts, "No", 0.2));
    }

    #[test]
    fn parses_new_llama_server_completion_probabilities() {
        let alts = alternatives(
            r#"{"content":"No","completion_probabilities":[{"id":1,"token":"No","logprob":-0.3,
            "top_logprobs":[{"id":1,"token":"No","logprob":-0.3},{"id":2,"token":" Yes","logprob":-1.5}]}]}"#,
        );
        assert!(close(&alts, "No", (-0.3f64).exp()));
        assert!(close(&alts, " Yes", (-1.5f64).exp()));
    }

    #[test]
    fn cached_prompt_tokens_come_from_any_of_the_usual_fields() {
        let cached = |json: &str| {
            serde_json::from_str::<Response>(json)
                .unwrap()
                .cached_prompt_tokens()
        };
        assert_eq!(
            cached(
                r#"{"usage":{"prompt_tokens":42,"completion_tokens":2,
                "prompt_tokens_details":{"cached_tokens":41}},"timings":{"cache_n":40}}"#
            ),
            41
        );
        assert_eq!(
            cached(r#"{"usage":{"prompt_tokens":4},"timings":{"cache_n":3}}"#),
            3
        );
        assert_eq!(cached(r#"{"content":"x","tokens_cached":7}"#), 7);
        assert_eq!(
            cached(r#"{"usage":{"prompt_tokens":4,"prompt_tokens_details":null}}"#),
            0
        );
    }

    #[test]
    fn texts_follow_choice_index_and_both_endpoints() {
        let response: Response = serde_json::from_str(
            r#"{"choices":[{"index":1,"message":{"content":"b"}},{"index":0,"text":"a"},
            {"index":2,"message":{"content":null}}]}"#,
        )
        .unwrap();
        assert!(response.first_token_alternatives().is_none());
        assert_eq!(response.texts(), ["a", "b", ""]);
    }

    #[test]
    fn chat_body_with_prefix_continues_the_final_message() {
        let prompt = Prompt::Chat(vec![ChatMessage::new(Role::User, "q")]);
        let input = Input::new(Endpoint::Chat, &prompt, "SELECT").unwrap();
        let body = Body {
            model: "m",
            input: &input,
            n: 2,
            temperature: 0.5,
            top_p: 1.0,
            top_k: Some(3),
            max_tokens: 8,
            stop: &[],
            seed: 3,
            logprobs: None,
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["messages"][1]["role"], "assistant");
        assert_eq!(json["messages"][1]["content"], "SELECT");
        assert_eq!(json["continue_final_message"], true);
        assert_eq!(json["add_generation_prompt"], false);
        assert_eq!(json["top_k"], 3);
        assert!(json.get("stop").is_none() && json.get("logprobs").is_none());
    }

    #[test]
    fn completion_body_appends_prefix_and_asks_legacy_logprobs() {
        let input = Input::new(Endpoint::Completions, &Prompt::Text("Q: ".into()), "A").unwrap();
        let stop = vec!["\n".to_string()];
        let body = Body {
            model: "m",
            input: &input,
            n: 1,
            temperature: 0.0,
            top_p: 1.0,
            top_k: None,
            max_tokens: 1,
            stop: &stop,
            seed: 0,
            logprobs: Some(LogprobsAsk::new(Endpoint::Completions, 5)),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["prompt"], "Q: A");
        assert_eq!(json["logprobs"], 5);
        assert_eq!(json["stop"][0], "\n");
        assert!(json.get("messages").is_none() && json.get("top_k").is_none());
    }

    #[test]
    fn chat_prompt_on_completions_endpoint_is_refused() {
        let prompt = Prompt::Chat(vec![ChatMessage::new(Role::User, "q")]);
        assert!(matches!(
            Input::new(Endpoint::Completions, &prompt, ""),
            Err(GenError::InvalidRequest(_))
        ));
    }
}
