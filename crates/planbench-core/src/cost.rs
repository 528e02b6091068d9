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
        if usage.cached {
            self.cached_seconds += usage.seconds;
        }
        self.prompt_tokens += usage.prompt_tokens;
        self.completion_tokens += usage.completion_tokens;
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
    }
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
        cost.add_generation(&fresh);
        cost.add_discrimination(&cached);
        assert_eq!((cost.llm_calls, cost.cached_calls), (2, 1));
        assert_eq!(cost.cached_seconds, 3.0);
        assert_eq!(cost.generation_seconds + cost.discrimination_seconds, 5.0);
        assert_eq!(cost.prompt_tokens, 20);
        let mut total = Cost::default();
        total.merge(&cost);
        assert_eq!(total, cost);
    }
}
