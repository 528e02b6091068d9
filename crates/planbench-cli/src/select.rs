//! Loads a task and picks the examples of a run.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use planbench_core::{Example, Task};
use planbench_tasks::{gsm8k, spider};
use sha2::{Digest, Sha256};

use crate::args::{FormatArg, MetricArg, TaskArgs, TaskName};

/// A loaded task with the examples selected for a run.
pub struct Selection {
    pub task: Arc<dyn Task>,
    pub examples: Vec<Example>,
    /// The split that was loaded.
    pub split: String,
}

/// Loads the task of `args` from `data_dir` and applies `--limit` / `--sample`.
pub fn load(args: &TaskArgs, data_dir: &std::path::Path) -> Result<Selection> {
    let timeout = args.exec_timeout.map(Duration::from_secs_f64);
    let (task, all, split): (Arc<dyn Task>, Vec<Example>, String) = match args.task {
        TaskName::Spider => {
            let split = match args.split.as_deref().unwrap_or("dev") {
                "dev" => spider::Split::Dev,
                "train" => spider::Split::Train,
                other => bail!("--split for spider must be `dev` or `train`, not `{other}`"),
            };
            let mut config = spider::SpiderConfig {
                data_dir: data_dir.to_path_buf(),
                split,
                metric: match args.metric {
                    MetricArg::TestSuite => spider::SpiderMetric::TestSuite,
                    MetricArg::Bird => spider::SpiderMetric::Bird,
                },
                disc_shots: args.disc_shots,
                ..spider::SpiderConfig::default()
            };
            if let Some(t) = timeout {
                config.timeout = t;
            }
            let task = spider::SpiderTask::load(config)?;
            let examples = task.examples().to_vec();
            (
                Arc::new(task),
                examples,
                args.split.clone().unwrap_or("dev".into()),
            )
        }
        TaskName::Gsm8k => {
            let split = match args.split.as_deref().unwrap_or("test") {
                "test" => gsm8k::Split::Test,
                "train" => gsm8k::Split::Train,
                other => bail!("--split for gsm8k must be `test` or `train`, not `{other}`"),
            };
            let mut config = gsm8k::Gsm8kConfig::new(data_dir);
            config.split = split;
            config.format = match args.format {
                FormatArg::Pot => gsm8k::AnswerFormat::ProgramOfThought,
                FormatArg::Cot => gsm8k::AnswerFormat::ChainOfThought,
            };
            if let Some(t) = timeout {
                config.timeout = t;
            }
            let task = gsm8k::Gsm8kTask::load(config)?;
            let examples = task.examples().to_vec();
            (
                Arc::new(task),
                examples,
                args.split.clone().unwrap_or("test".into()),
            )
        }
    };
    let examples = choose(all, args.limit, args.sample, args.sample_seed);
    if examples.is_empty() {
        bail!("no examples selected");
    }
    Ok(Selection {
        task,
        examples,
        split,
    })
}

/// The first `limit` examples, or `sample` examples drawn reproducibly by `seed` (kept in file
/// order), or all of them.
pub fn choose(
    all: Vec<Example>,
    limit: Option<usize>,
    sample: Option<usize>,
    seed: u64,
) -> Vec<Example> {
    match (limit, sample) {
        (Some(n), _) => all.into_iter().take(n).collect(),
        (None, Some(n)) => {
            let key = |e: &Example| {
                let mut h = Sha256::new();
                h.update(seed.to_le_bytes());
                h.update(e.id.as_bytes());
                h.finalize()
            };
            let mut keyed: Vec<_> = all.into_iter().map(|e| (key(&e), e)).collect();
            keyed.sort_by_key(|(key, _)| *key);
            let mut chosen: Vec<Example> = keyed.into_iter().take(n).map(|(_, e)| e).collect();
            chosen.sort_by_key(|e| e.index);
            chosen
        }
        (None, None) => all,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(n: usize) -> Vec<Example> {
        (0..n)
            .map(|i| Example {
                id: format!("dev/{i}"),
                index: i,
                question: String::new(),
                gold: String::new(),
                db_id: None,
            })
            .collect()
    }

    #[test]
    fn sampling_is_reproducible_ordered_and_seed_dependent() {
        let a = choose(examples(100), None, Some(10), 1);
        let b = choose(examples(100), None, Some(10), 1);
        let c = choose(examples(100), None, Some(10), 2);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0].index < w[1].index));
        assert_eq!(choose(examples(100), Some(3), None, 0), examples(3));
    }
}
