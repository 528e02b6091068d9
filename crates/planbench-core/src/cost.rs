//! Per-example efficiency accounting.

use serde::{Deserialize, Serialize};

use crate::llm::Usage;

/// What one example cost: LLM calls, tokens, and wall time split by activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub llm_calls: u64,
    /// Calls answered by the response cache (counted in `llm_calls` too).
    pub cached_calls: u64,
    /// What the cached calls took when the backend first answered them: wall-clock time plus
    /// this is the example's cost without the cache.
    #[serde(default)]
    pub cached_seconds: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub generation_seconds: f64,
    pub discrimination_seconds: f64,
    pub execution_seconds: f64,
    /// Of `prompt_tokens + completion_tokens`, those processed for a discriminator.
    #[serde(default)]
    pub discrimination_tokens: u64,
    /// Prompt tokens the backend reported serving from its own KV cache.
    #[serde(default)]
    pub cached_prompt_tokens: u64,
    /// Estimated FLOPs of generation calls, 2 × parameters × tokens (0 when the generator's
    /// parameter count is unknown).
    #[serde(default)]
    pub generation_flops: f64,
    /// Estimated FLOPs of discriminator calls, on the judge model's parameter count.
    #[serde(default)]
    pub discrimination_flops: f64,
}

/// FLOPs of one call that processed `tokens` on a model of `parameters`: 2 × parameters ×
/// tokens (a forward pass costs about two FLOPs per weight per token); 0 when unknown.
pub fn call_flops(parameters: Option<u64>, tokens: u64) -> f64 {
    parameters.map_or(0.0, |p| 2.0 * p as f64 * tokens as f64)
}

impl Cost {
    /// Adds one generator call made for generation, by a model of `parameters`.
    pub fn add_generation(&mut self, usage: &Usage, parameters: Option<u64>) {
        self.add_call(usage);
        self.generation_seconds += usage.seconds;
        self.generation_flops += call_flops(parameters, usage_tokens(usage));
    }

    /// Adds one generator call made by a discriminator, by a model of `parameters`.
    pub fn add_discrimination(&mut self, usage: &Usage, parameters: Option<u64>) {
        self.add_call(usage);
        self.discrimination_seconds += usage.seconds;
        self.discrimination_tokens += usage_tokens(usage);
        self.discrimination_flops += call_flops(parameters, usage_tokens(usage));
    }

    /// Every token processed (prompt and completion, generator and judge).
    pub fn tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Tokens processed for generation.
    pub fn generation_tokens(&self) -> u64 {
        self.tokens().saturating_sub(self.discrimination_tokens)
    }

    /// Estimated FLOPs of every call.
    pub fn flops(&self) -> f64 {
        self.generation_flops + self.discrimination_flops
    }

    fn add_call(&mut self, usage: &Usage) {
        self.llm_calls += 1;
        self.cached_calls += u64::from(usage.cached);
        if usage.cached {
            self.cached_seconds += usage.seconds;
        }
        self.prompt_tokens += usage.prompt_tokens;
        self.completion_tokens += usage.completion_tokens;
        self.cached_prompt_tokens += usage.cached_prompt_tokens;
    }

    /// Adds every field of `other`.
    pub fn merge(&mut self, other: &Cost) {
        self.llm_calls += other.llm_calls;
        self.cached_calls += other.cached_calls;
        self.cached_seconds += other.cached_seconds;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.generation_seconds += other.generation_seconds;
        self.discrimination_seconds += other.discrimination_seconds;
        self.execution_seconds += other.execution_seconds;
        self.discrimination_tokens += other.discrimination_tokens;
        self.cached_prompt_tokens += other.cached_prompt_tokens;
        self.generation_flops += other.generation_flops;
        self.discrimination_flops += other.discrimination_flops;
    }
}

fn usage_tokens(usage: &Usage) -> u64 {
    usage.prompt_tokens + usage.completion_tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_calls_keep_their_original_time_apart() {
        let mut cost = Cost::default();
        let fresh = Usage {
            prompt_tokens: 10,
            completion_tokens: 4,
            seconds: 2.0,
            ..Usage::default()
        };
        let cached = Usage {
            cached: true,
            seconds: 3.0,
            ..fresh
        };
        cost.add_generation(&fresh, Some(1000));
        cost.add_discrimination(&cached, None);
        assert_eq!((cost.llm_calls, cost.cached_calls), (2, 1));
        assert_eq!(cost.cached_seconds, 3.0);
        assert_eq!(cost.generation_seconds + cost.discrimination_seconds, 5.0);
        assert_eq!(cost.prompt_tokens, 20);
        assert_eq!(
            (cost.generation_tokens(), cost.discrimination_tokens),
            (14, 14)
        );
        assert_eq!(
            (cost.generation_flops, cost.discrimination_flops),
            (28_000.0, 0.0)
        );
        let mut total = Cost::default();
        total.merge(&cost);
        assert_eq!(total, cost);
    }
}
