//! Voting with the real tasks (no model): answer clusters on real Spider databases agree with
//! the task's execution-accuracy comparison, and GSM8K answers executed in the real sandbox
//! group by Python equality.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, Discriminator, DiscriminatorError, Example, GenError,
    GenerateRequest, Generation, Generator, Scores, Task, Usage,
};
use planbench_planners::planners::Vote;
use planbench_planners::trace::VoteTrace;
use planbench_planners::{Budget, PlanContext, Planner, SamplingDefaults, Trace};
use planbench_tasks::gsm8k::{Gsm8kConfig, Gsm8kTask, WorkerCommand};
use planbench_tasks::spider::{SpiderConfig, SpiderTask};

/// Returns the same completions for every request.
struct Fixed(Vec<String>);

#[async_trait]
impl Generator for Fixed {
    fn identity(&self) -> String {
        "fixed".into()
    }

    async fn generate(&self, _: &GenerateRequest) -> Result<Generation, GenError> {
        Ok(Generation {
            completions: self.0.clone(),
            usage: Usage::default(),
        })
    }

    async fn answer_probs(&self, _: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        Err(GenError::Backend("not a judge".into()))
    }
}

/// Voting never calls it.
struct Unused;

#[async_trait]
impl Discriminator for Unused {
    fn describe(&self) -> String {
        "unused".into()
    }

    async fn score(&self, _: &Example, _: &[String]) -> Result<Scores, DiscriminatorError> {
        panic!("voting called the discriminator")
    }
}

fn data_dir() -> PathBuf {
    let dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")
        });
    assert!(
        dir.join("spider/dev.json").exists(),
        "data missing under {} (set PLANBENCH_DATA_DIR)",
        dir.display()
    );
    dir
}

/// Votes among `programs` (each one completion closing the task's code fence).
async fn vote(task: Arc<dyn Task>, example: &Example, programs: &[&str]) -> VoteTrace {
    let completions = programs.iter().map(|p| format!("{p}\n```")).collect();
    let ctx = PlanContext {
        task,
        generator: Arc::new(Fixed(completions)),
        discriminator: Arc::new(Unused),
        sampling: SamplingDefaults {
            n: programs.len(),
            ..SamplingDefaults::default()
        },
        budget: Budget::default(),
        seed: 1,
    };
    match Vote.plan(&ctx, example).await.unwrap().trace {
        Trace::Vote(trace) => trace,
        other => panic!("{other:?}"),
    }
}

fn spider() -> Arc<SpiderTask> {
    Arc::new(
        SpiderTask::load(SpiderConfig {
            data_dir: data_dir(),
            ..SpiderConfig::default()
        })
        .unwrap(),
    )
}

#[tokio::test]
async fn spider_results_equal_up_to_column_order_and_row_order_vote_together() {
    let task = spider();
    let example = task
        .examples()
        .iter()
        .find(|e| e.db_id.as_deref() == Some("concert_singer"))
        .unwrap()
        .clone();
    let trace = vote(
        task.clone(),
        &example,
        &[
            "SELECT name FROM singer",
            "SELECT name, country FROM singer",
            "SELECT country, name FROM singer ORDER BY age",
            "SELECT name, country FROM singer ORDER BY name DESC",
            "SELECT nonsense FROM nowhere",
        ],
    )
    .await;
    let clusters: Vec<(Vec<usize>, usize)> = trace
        .clusters
        .iter()
        .map(|c| (c.members.clone(), c.votes))
        .collect();
    assert_eq!(clusters, [(vec![0], 1), (vec![1, 2, 3], 3)]);
    assert_eq!((trace.chosen_cluster, trace.chosen), (Some(1), Some(1)));
}

/// For gold queries of one database (without ORDER BY or DISTINCT, where the metric neither
/// compares row order nor rewrites the queries), two queries vote together exactly when the
/// task's metric calls one correct for the other.
#[tokio::test]
async fn spider_clusters_agree_with_the_metric_on_real_queries() {
    let task = spider();
    let plain = |e: &&Example| {
        let sql = e.gold.to_lowercase();
        !sql.contains("order by") && !sql.contains("distinct")
    };
    let examples: Vec<&Example> = task.examples().iter().filter(plain).take(300).collect();
    let (mut pairs, mut equal) = (0, 0);
    for (i, a) in examples.iter().enumerate() {
        for b in examples[i + 1..]
            .iter()
            .filter(|b| b.db_id == a.db_id)
            .take(3)
        {
            let trace = vote(task.clone(), a, &[a.gold.as_str(), b.gold.as_str()]).await;
            if trace.candidates.len() < 2 {
                continue; // the same query text
            }
            let together = trace.clusters.iter().any(|c| c.members.len() == 2);
            let metric = task.is_correct(a, &b.gold);
            assert_eq!(together, metric, "{}\n  vs {}", a.gold, b.gold);
            pairs += 1;
            equal += usize::from(metric);
        }
    }
    eprintln!("{pairs} pairs of queries, {equal} equal under the metric");
    assert!(pairs >= 100 && equal >= 5, "{pairs} pairs, {equal} equal");
}

#[tokio::test]
async fn gsm8k_answers_group_by_python_equality() {
    let worker = WorkerCommand::default();
    assert!(
        worker.program.exists(),
        "{} missing: build the workspace (cargo build --release)",
        worker.program.display()
    );
    let task = Arc::new(Gsm8kTask::load(Gsm8kConfig::new(data_dir())).unwrap());
    let example = task.examples()[0].clone();
    let trace = vote(
        task,
        &example,
        &[
            "x = 1",
            "answer = '18'",
            "answer = 36 / 2",
            "answer = 18",
            "answer = 1 / 0",
            "answer = str(18)",
        ],
    )
    .await;
    let clusters: Vec<(&str, Vec<usize>, usize)> = trace
        .clusters
        .iter()
        .map(|c| (c.answer.as_str(), c.members.clone(), c.votes))
        .collect();
    // No `answer` (None) and an error do not vote; 18.0 == 18; '18' is text. The tie goes to
    // the cluster sampled first.
    assert_eq!(clusters, [("18", vec![1, 5], 2), ("18.0", vec![2, 3], 2)]);
    assert_eq!(trace.chosen, Some(1));
}
