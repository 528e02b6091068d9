//! What a planner is given (models, task, sampling, budget, seed) and what it returns.

use std::sync::Arc;

use planbench_core::{Cost, Discriminator, Generator, Task};
use serde::{Deserialize, Serialize};

use crate::trace::Trace;

/// Sampling settings shared by the planners that sample (the paper's: 5 samples at 0.6).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplingDefaults {
    /// Completions per generation request.
    pub n: usize,
    pub temperature: f32,
    pub top_p: f32,
    /// Sample among the k most likely tokens only (the paper's Hugging Face `generate` applies
    /// its default k = 50); unset: no top-k cut. Left out of run identities when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    /// Most new tokens per completion.
    pub max_tokens: u32,
}

impl Default for SamplingDefaults {
    fn default() -> Self {
        Self {
            n: 5,
            temperature: 0.6,
            top_p: 1.0,
            top_k: None,
            max_tokens: 300,
        }
    }
}

/// Per-example limits; a planner that reaches one stops and returns its best program so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Budget {
    /// Most LLM calls (generation and discrimination together).
    pub max_llm_calls: Option<u64>,
    /// Most wall-clock seconds.
    pub max_seconds: Option<f64>,
    /// Most tokens processed, prompt and completion, generator and judge together
    /// ([`planbench_core::Cost::tokens`]). Checked before each operation that may call an LLM,
    /// so the operation that crosses it completes (token counts are known only afterwards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Most estimated FLOPs ([`planbench_core::Cost::flops`]; 0 per call when a model's
    /// parameter count is unknown), checked as `max_tokens` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_flops: Option<f64>,
}

/// Everything a planner needs besides the example.
#[derive(Clone)]
pub struct PlanContext {
    pub task: Arc<dyn Task>,
    pub generator: Arc<dyn Generator>,
    pub discriminator: Arc<dyn Discriminator>,
    pub sampling: SamplingDefaults,
    pub budget: Budget,
    /// Run seed; each example's seed derives from it and the example id.
    pub seed: u64,
}

/// A planner's answer for one example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOutcome {
    /// The chosen program (empty when the generator produced none).
    pub program: String,
    /// What the planner did, for `planbench show` (see [`crate::render_trace`]).
    pub trace: Trace,
    pub cost: Cost,
}
