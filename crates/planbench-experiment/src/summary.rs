//! Accuracy and efficiency of a set of finished examples.

use crate::store::ExampleRecord;
use serde::Serialize;

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
            unjudged: 0,
        }
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
    }
}
