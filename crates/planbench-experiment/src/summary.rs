//! Accuracy and efficiency of a set of finished examples.

use crate::store::ExampleRecord;
use planbench_planners::pass_at_k;
use serde::Serialize;

/// Coverage at k samples: the chance that k of an example's samples include a correct one,
/// averaged over examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PassAtK {
    pub k: usize,
    pub value: f64,
}

/// What a run achieved and cost, per example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub run_id: String,
    pub examples: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// Wall-clock seconds plus what the calls answered from the cache originally took.
    pub seconds_per_example: f64,
    pub llm_calls_per_example: f64,
    pub prompt_tokens_per_example: f64,
    pub completion_tokens_per_example: f64,
    pub generation_seconds_per_example: f64,
    pub discrimination_seconds_per_example: f64,
    pub execution_seconds_per_example: f64,
    /// Tokens (prompt and completion) processed for generation and for the judge.
    pub generation_tokens_per_example: f64,
    pub discrimination_tokens_per_example: f64,
    /// Prompt tokens the backend served from its own KV cache.
    pub cached_prompt_tokens_per_example: f64,
    /// The share of prompt tokens the backend served from its KV cache (prefix reuse).
    pub prefix_hit_rate: f64,
    /// Estimated FLOPs (2 × parameters × tokens; 0 when the parameter count is unknown).
    pub generation_flops_per_example: f64,
    pub discrimination_flops_per_example: f64,
    pub flops_per_example: f64,
    /// Coverage of re-ranking and voting runs: the unbiased pass@k over each example's samples
    /// for k = 1, 2, 4, …, n (empty for other planners).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pass_at_k: Vec<PassAtK>,
    /// Examples left unrecorded by this run because their gold or sandbox failed
    /// (infrastructure); the next run retries them.
    pub unjudged: usize,
}

impl Summary {
    /// Summarises `records` of run `run_id`.
    pub fn new(run_id: &str, records: &[ExampleRecord]) -> Self {
        let n = records.len();
        let per = |f: &dyn Fn(&ExampleRecord) -> f64| {
            if n == 0 {
                0.0
            } else {
                records.iter().map(f).sum::<f64>() / n as f64
            }
        };
        let correct = records.iter().filter(|r| r.correct).count();
        Self {
            run_id: run_id.to_string(),
            examples: n,
            correct,
            accuracy: if n == 0 {
                0.0
            } else {
                correct as f64 / n as f64
            },
            seconds_per_example: per(&|r| r.seconds + r.cost.cached_seconds),
            llm_calls_per_example: per(&|r| r.cost.llm_calls as f64),
            prompt_tokens_per_example: per(&|r| r.cost.prompt_tokens as f64),
            completion_tokens_per_example: per(&|r| r.cost.completion_tokens as f64),
            generation_seconds_per_example: per(&|r| r.cost.generation_seconds),
            discrimination_seconds_per_example: per(&|r| r.cost.discrimination_seconds),
            execution_seconds_per_example: per(&|r| r.cost.execution_seconds),
            generation_tokens_per_example: per(&|r| r.cost.generation_tokens() as f64),
            discrimination_tokens_per_example: per(&|r| r.cost.discrimination_tokens as f64),
            cached_prompt_tokens_per_example: per(&|r| r.cost.cached_prompt_tokens as f64),
            prefix_hit_rate: {
                let prompt: u64 = records.iter().map(|r| r.cost.prompt_tokens).sum();
                let cached: u64 = records.iter().map(|r| r.cost.cached_prompt_tokens).sum();
                if prompt == 0 {
                    0.0
                } else {
                    cached as f64 / prompt as f64
                }
            },
            generation_flops_per_example: per(&|r| r.cost.generation_flops),
            discrimination_flops_per_example: per(&|r| r.cost.discrimination_flops),
            flops_per_example: per(&|r| r.cost.flops()),
            pass_at_k: Vec::new(),
            unjudged: 0,
        }
    }

    /// Adds coverage from each example's (samples, correct samples): pass@k averaged over the
    /// examples, for k = 1, 2, 4, … up to the fewest samples any example has.
    pub fn with_coverage(mut self, counts: &[(usize, usize)]) -> Self {
        let Some(n) = counts.iter().map(|(n, _)| *n).min().filter(|n| *n > 0) else {
            return self;
        };
        self.pass_at_k = std::iter::successors(Some(1usize), |k| Some(k * 2))
            .take_while(|k| *k < n)
            .chain([n])
            .map(|k| PassAtK {
                k,
                value: counts
                    .iter()
                    .map(|(n, c)| pass_at_k(*n, *c, k))
                    .sum::<f64>()
                    / counts.len() as f64,
            })
            .collect();
        self
    }

    /// One line: run, accuracy, examples and cost per example.
    pub fn line(&self) -> String {
        let unjudged = if self.unjudged > 0 {
            format!(
                "; {} examples not judged (infrastructure), rerun to retry",
                self.unjudged
            )
        } else {
            String::new()
        };
        format!(
            "{}: {:.1}% ({}/{}), {:.2} s, {:.1} LLM calls, {:.0} tokens per example{unjudged}",
            self.run_id,
            100.0 * self.accuracy,
            self.correct,
            self.examples,
            self.seconds_per_example,
            self.llm_calls_per_example,
            self.prompt_tokens_per_example + self.completion_tokens_per_example,
        )
    }

    /// A Markdown table of the summary (and a line on unjudged examples, if any).
    pub fn table(&self) -> String {
        let mut table = format!(
            "| run | accuracy | examples | s/example | LLM calls/example | prompt tok/example | completion tok/example |\n\
             |---|---:|---:|---:|---:|---:|---:|\n\
             | {} | {:.1}% ({}/{}) | {} | {:.2} | {:.1} | {:.0} | {:.0} |\n",
            self.run_id,
            100.0 * self.accuracy,
            self.correct,
            self.examples,
            self.examples,
            self.seconds_per_example,
            self.llm_calls_per_example,
            self.prompt_tokens_per_example,
            self.completion_tokens_per_example,
        );
        table.push_str(&format!(
            "\n| tokens/example: generation | judge | cached prompt (prefix hits) | FLOPs/example: generation | judge |\n\
             |---:|---:|---:|---:|---:|\n\
             | {:.0} | {:.0} | {:.0} ({:.0}%) | {} | {} |\n",
            self.generation_tokens_per_example,
            self.discrimination_tokens_per_example,
            self.cached_prompt_tokens_per_example,
            100.0 * self.prefix_hit_rate,
            flops(self.generation_flops_per_example, self.generation_tokens_per_example),
            flops(self.discrimination_flops_per_example, self.discrimination_tokens_per_example),
        ));
        if !self.pass_at_k.is_empty() {
            let (ks, values): (Vec<String>, Vec<String>) = self
                .pass_at_k
                .iter()
                .map(|p| (format!("pass@{}", p.k), format!("{:.1}%", 100.0 * p.value)))
                .unzip();
            table.push_str(&format!(
                "\n| coverage | {} |\n|---|{}\n| samples | {} |\n",
                ks.join(" | "),
                "---:|".repeat(ks.len()),
                values.join(" | ")
            ));
        }
        if self.unjudged > 0 {
            table.push_str(&format!(
                "\n{} examples could not be judged (their gold or sandbox failed): they are not \
                 recorded; run the same command again to retry them.\n",
                self.unjudged
            ));
        }
        table
    }
}

/// FLOPs for a table: `2.4e12`, or `n/a` when tokens were processed but the parameter count
/// is unknown.
fn flops(value: f64, tokens: f64) -> String {
    if value == 0.0 && tokens > 0.0 {
        "n/a".into()
    } else {
        format!("{value:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use planbench_core::Cost;

    #[test]
    fn averages_per_example() {
        let record = |correct, seconds, calls| ExampleRecord {
            example_id: String::new(),
            position: 0,
            prediction: String::new(),
            correct,
            seconds,
            cost: Cost {
                llm_calls: calls,
                ..Cost::default()
            },
            trace: serde_json::Value::Null,
        };
        let s = Summary::new("r", &[record(true, 1.0, 2), record(false, 3.0, 4)]);
        assert_eq!((s.examples, s.correct), (2, 1));
        assert_eq!(s.accuracy, 0.5);
        assert_eq!(s.seconds_per_example, 2.0);
        assert_eq!(s.llm_calls_per_example, 3.0);
        assert!(s.table().contains("50.0% (1/2)"));
        assert!(s.pass_at_k.is_empty());
    }

    #[test]
    fn coverage_averages_pass_at_k_over_examples_up_to_the_fewest_samples() {
        let s = Summary::new("r", &[]).with_coverage(&[(5, 1), (5, 0), (6, 6)]);
        let ks: Vec<usize> = s.pass_at_k.iter().map(|p| p.k).collect();
        assert_eq!(ks, [1, 2, 4, 5]);
        // pass@1: (1/5 + 0 + 1) / 3; pass@5 (of 5): (1 + 0 + 1) / 3.
        assert!((s.pass_at_k[0].value - 0.4).abs() < 1e-12);
        assert!((s.pass_at_k[3].value - 2.0 / 3.0).abs() < 1e-12);
        assert!(s.table().contains("pass@4"), "{}", s.table());
    }
}
