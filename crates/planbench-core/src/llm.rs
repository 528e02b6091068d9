//! The generator side: prompts, sampling parameters, completions and their usage.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who speaks a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    /// The role's name in chat templates and APIs (`system`, `user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a chat prompt.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    /// A message with the given role and text.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// A prompt: chat messages (rendered with the model's chat template) or raw text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prompt {
    Chat(Vec<ChatMessage>),
    Text(String),
}

/// How to sample completions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    /// Number of completions to return.
    pub n: usize,
    /// Softmax temperature; 0 means greedy decoding.
    pub temperature: f32,
    /// Nucleus sampling mass.
    pub top_p: f32,
    /// Sample only among the k most likely tokens (unset: no top-k cut). Left out of the
    /// serialized request when unset, so older response-cache keys stay valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Most new tokens per completion.
    pub max_tokens: u32,
    /// Generation stops before the first occurrence of any of these strings.
    pub stop: Vec<String>,
    /// Seed of the sampler; the same seed and request give the same completions.
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            n: 1,
            temperature: 0.0,
            top_p: 1.0,
            top_k: None,
            max_tokens: 300,
            stop: Vec::new(),
            seed: 0,
        }
    }
}

/// A request for `params.n` completions of `prompt`.
///
/// `assistant_prefix` is text that the answer is forced to start with (a partial program that
/// tree search wants continued); completions do not repeat it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub prompt: Prompt,
    #[serde(default)]
    pub assistant_prefix: String,
    pub params: SamplingParams,
    /// Which requests belong together (planners set the example id): a backend with several
    /// replicas sends them to one, to keep its prompt cache warm. Not part of cache keys.
    #[serde(skip)]
    pub affinity: Option<String>,
}

/// Tokens and time spent by one backend call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Wall-clock seconds of the call.
    pub seconds: f64,
    /// True when the backend could not report exact token counts for every completion.
    #[serde(default)]
    pub approximate: bool,
    /// True when the response came from the response cache rather than the backend.
    #[serde(default)]
    pub cached: bool,
    /// Prompt tokens the backend served from its own KV cache (prefix reuse), as it reports
    /// them; 0 when it reports none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_prompt_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Usage with the given token counts and duration.
    pub fn new(prompt_tokens: u64, completion_tokens: u64, elapsed: Duration) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            seconds: elapsed.as_secs_f64(),
            approximate: false,
            cached: false,
            cached_prompt_tokens: 0,
        }
    }
}

/// The completions of one [`GenerateRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub completions: Vec<String>,
    pub usage: Usage,
}

/// A request for the next-token probabilities of a few answer strings (e.g. "Yes", "No").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AnswerProbsRequest {
    pub prompt: Prompt,
    pub answers: Vec<String>,
    /// As [`GenerateRequest::affinity`].
    #[serde(skip)]
    pub affinity: Option<String>,
}

/// Probabilities of the answers of an [`AnswerProbsRequest`], in the same order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerProbs {
    pub probs: Vec<f64>,
    pub usage: Usage,
}

/// Why a generator call failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("backend error: {0}")]
    Backend(String),
    #[error("the prompt needs {needed} tokens but the context holds {capacity}")]
    ContextOverflow { needed: usize, capacity: usize },
    #[error("the backend worker has stopped")]
    WorkerGone,
}

/// An LLM that samples completions and reports answer probabilities.
#[async_trait]
pub trait Generator: Send + Sync {
    /// A stable description of the backend and model (used in run records and cache keys).
    fn identity(&self) -> String;

    /// The model's parameter count, when known (GGUF metadata, or given for an HTTP model);
    /// compute accounting counts 2 × parameters FLOPs per processed token.
    fn parameters(&self) -> Option<u64> {
        None
    }

    /// Samples `request.params.n` completions.
    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError>;

    /// Returns the probability of each answer string as the next token after the prompt.
    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError>;
}
