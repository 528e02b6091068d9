//! Per-example efficiency accounting.

use serde::{Deserialize, Serialize};

use crate::llm::Usage;

/// What one example cost: LLM calls, tokens, and wall time split by activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub llm_calls: u64,
    pub cached_calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub generation_seconds: f64,
    pub discrimination_seconds: f64,
    pub execution_seconds: f64,
}

impl Cost {
    /// Adds one generator call made for generation.
    pub fn add_generation(&mut self, usage: &Usage) {
        self.add_call(usage);
        self.generation_seconds += usage.seconds;
    }

    /// Adds one generator call made by a discriminator.
    pub fn add_discrimination(&mut self, usage: &Usage) {
        self.add_call(usage);
        self.discrimination_seconds += usage.seconds;
    }

    fn add_call(&mut self, usage: &Usage) {
        self.llm_calls += 1;
        self.cached_calls += u64::from(usage.cached);
        self.prompt_tokens += usage.prompt_tokens;
        self.completion_tokens += usage.completion_tokens;
    }

    /// Adds every field of `other`.
    pub fn merge(&mut self, other: &Cost) {
        self.llm_calls += other.llm_calls;
        self.cached_calls += other.cached_calls;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.generation_seconds += other.generation_seconds;
        self.discrimination_seconds += other.discrimination_seconds;
        self.execution_seconds += other.execution_seconds;
    }
}
