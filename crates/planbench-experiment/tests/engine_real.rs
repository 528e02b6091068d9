//! The engine as a library on the real default model and real Spider data: resume after a
//! failure, concurrency against a sequential run replayed from the cache, judging, a study
//! file end to end, and shards merged into the same report as one unsharded study.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, Example, Execution, GenError, GenerateRequest, Generation,
    Generator, OracleRule, Prompt, Task, TaskError,
};
use planbench_experiment::store::{ExampleRecord, NewRevision, ResultsStore, RunStatus};
use planbench_experiment::{
    choose, reporting, spec_file, Engine, Environment, ExperimentError, GeneratorSpec, LoadedTask,
    LocalSpec, RunOptions, RunSpec, StudySpec, DEFAULT_MODEL,
};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir() -> PathBuf {
    let dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/datasets"));
    assert!(
        dir.join("spider/dev.json").exists(),
        "data missing under {} (set PLANBENCH_DATA_DIR)",
        dir.display()
    );
    dir
}

fn generator_spec() -> GeneratorSpec {
    GeneratorSpec::Local(LocalSpec {
        model: workspace().join(DEFAULT_MODEL),
        threads: Some(2),
        ..LocalSpec::default()
    })
}

fn engine(results: &Path, cache: &Path) -> Engine {
    let env = Environment {
        data_dir: data_dir(),
        cache: Some(cache.to_path_buf()),
    };
    Engine::open(env, results).unwrap()
}

/// The real model, failing every call after the first `calls` it lets through.
struct FailAfter {
    inner: Arc<dyn Generator>,
    calls: AtomicI64,
}

#[async_trait]
impl Generator for FailAfter {
    fn identity(&self) -> String {
        self.inner.identity()
    }

    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
        if self.calls.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(GenError::Backend("injected failure".into()));
        }
        self.inner.generate(request).await
    }

    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        self.inner.answer_probs(request).await
    }
}

fn small_rerank() -> RunSpec {
    spec_file::parse(
        Path::new("inline.toml"),
        r#"
        [task]
        name = "spider"
        [selection]
        limit = 4
        [planner]
        kind = "rerank"
        [discriminator]
        kind = "oracle"
        accuracy = 0.8
        [sampling]
        n = 2
        temperature = 0.6
        top_p = 1.0
        max_tokens = 64
        "#,
    )
    .unwrap()
}

/// What must not depend on how a run was scheduled or resumed.
fn measured(records: &[ExampleRecord]) -> Vec<(String, usize, String, bool, u64, u64)> {
    records
        .iter()
        .map(|r| {
            (
                r.example_id.clone(),
                r.position,
                r.prediction.clone(),
                r.correct,
                r.cost.llm_calls,
                r.cost.prompt_tokens + r.cost.completion_tokens,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_resumes_and_concurrency_replays_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let mut spec = small_rerank();
    spec.generator = generator_spec();
    let GeneratorSpec::Local(local) = &spec.generator else {
        unreachable!()
    };
    let mut config = LlamaConfig::new(&local.model);
    config.n_threads = Some(2);
    let model: Arc<dyn Generator> = Arc::new(LlamaGenerator::load(config).unwrap());

    // The backend fails on the third example: two are stored, the run is marked failed.
    let first = engine(&dir.path().join("a"), &cache);
    let failing = Arc::new(FailAfter {
        inner: model.clone(),
        calls: AtomicI64::new(2),
    });
    first
        .loader()
        .register_generator(&spec.generator, failing)
        .unwrap();
    let err = first.run(&spec, &RunOptions::default()).await.unwrap_err();
    assert!(matches!(err, ExperimentError::Plan { .. }), "{err}");
    let run_id = first.resolve(&spec, None).await.unwrap().run_id;
    let stored = first.store().run(&run_id).unwrap();
    assert_eq!(stored.status, RunStatus::Failed);
    assert!(stored.failure.unwrap().contains("injected failure"));
    let before = first.store().examples(&run_id).unwrap();
    assert_eq!(before.len(), 2);
    drop(first);

    // The same spec resumes with a working backend and keeps what was finished.
    let resumed = engine(&dir.path().join("a"), &cache);
    resumed
        .loader()
        .register_generator(&spec.generator, model.clone())
        .unwrap();
    let summary = resumed.run(&spec, &RunOptions::default()).await.unwrap();
    assert_eq!(
        (summary.run_id.as_str(), summary.examples),
        (run_id.as_str(), 4)
    );
    let after = resumed.store().examples(&run_id).unwrap();
    assert_eq!(measured(&after[..2]), measured(&before));
    assert_eq!(
        resumed.store().run(&run_id).unwrap().status,
        RunStatus::Finished
    );

    // Judging: every stored verdict is the task's own.
    let loaded = resumed.loader().task(&spec.task).unwrap();
    let examples = choose(&loaded.examples, &spec.selection).unwrap();
    for (record, example) in after.iter().zip(&examples) {
        assert_eq!(record.example_id, example.id);
        assert_eq!(
            record.correct,
            loaded.task.is_correct(example, &record.prediction)
        );
    }

    // Four examples at once, answered from the cache, store the same records.
    let concurrent = engine(&dir.path().join("b"), &cache);
    concurrent
        .loader()
        .register_generator(&spec.generator, model)
        .unwrap();
    let mut wide = spec.clone();
    wide.concurrency = 4;
    let summary = concurrent.run(&wide, &RunOptions::default()).await.unwrap();
    assert_eq!(
        summary.run_id, run_id,
        "concurrency is not part of the run id"
    );
    let replayed = concurrent.store().examples(&run_id).unwrap();
    assert_eq!(measured(&replayed), measured(&after));
    assert!(replayed
        .iter()
        .all(|r| r.cost.cached_calls == r.cost.llm_calls));
}

const STUDY: &str = r#"
name = "shards"
note = "two examples per cell"

[base.selection]
limit = 2

[base.discriminator]
kind = "oracle"
accuracy = 1.0

[base.sampling]
n = 2
temperature = 0.6
top_p = 1.0
max_tokens = 64

[base.budget]
max_llm_calls = 3

[axes]
planners = ["rerank", "tree"]
accuracies = [0.5, 1.0]

[[axes.tasks]]
task = { name = "spider" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_study_runs_end_to_end_and_merged_shards_report_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.sqlite");
    let study_file = dir.path().join("study.toml");
    std::fs::write(&study_file, STUDY).unwrap();
    let mut study: StudySpec = spec_file::read(&study_file).unwrap();
    study.base.generator = generator_spec();
    let options = RunOptions::default();

    let whole = engine(&dir.path().join("whole"), &cache);
    let outcome = whole
        .run_study_and_report(&study, &options, None, &dir.path().join("reports"))
        .await
        .unwrap();
    assert_eq!(outcome.summaries.len(), 4);
    assert!(outcome.summaries.iter().all(|s| s.examples == 2));
    let index = outcome.report.clone().unwrap();
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(text.contains("two examples per cell"), "{text}");
    let group = index.parent().unwrap().join("spider-oracle-calls3-seed0");
    assert!(group.join("report.md").exists());

    // The same study in two shards, on two "machines", merged.
    let mut shard_files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let results = dir.path().join(format!("shard{}", &shard[..1]));
        let part = engine(&results, &cache);
        let options = RunOptions {
            shard: Some(shard.parse().unwrap()),
            ..RunOptions::default()
        };
        let outcome = part
            .run_study_and_report(&study, &options, None, &dir.path().join("unused"))
            .await
            .unwrap();
        assert!(
            outcome.report.is_none(),
            "shards are reported after merging"
        );
        assert!(outcome.summaries.iter().all(|s| s.examples == 1));
        shard_files.push(part.store().path().to_path_buf());
    }
    let merged_dir = dir.path().join("merged");
    let merged = engine(&merged_dir, &cache);
    for file in &shard_files {
        merged.store().merge_from(file).unwrap();
    }
    for cell in whole.store().study_cells(&outcome.study_id).unwrap() {
        assert_eq!(
            measured(&merged.store().examples(&cell.run_id).unwrap()),
            measured(&whole.store().examples(&cell.run_id).unwrap()),
            "cell {}",
            cell.run_id
        );
    }
    let merged_report = reporting::write_study_report(
        merged.store(),
        merged.loader(),
        &outcome.study_id,
        &study.note,
        &dir.path().join("merged-report"),
        &study.stats,
    )
    .unwrap();
    let merged_group = merged_report
        .parent()
        .unwrap()
        .join("spider-oracle-calls3-seed0");
    for table in ["accuracy.csv", "comparisons.csv"] {
        assert_eq!(
            std::fs::read_to_string(merged_group.join(table)).unwrap(),
            std::fs::read_to_string(group.join(table)).unwrap(),
            "{table}"
        );
    }

    // A conflicting row is refused with a message naming it.
    let other = ResultsStore::open(&dir.path().join("conflict")).unwrap();
    let run_id = &outcome.summaries[0].run_id;
    let run = whole.store().run(run_id).unwrap();
    other
        .begin_run(
            run_id,
            &run.config,
            &run.spec.unwrap(),
            "x",
            NewRevision::Refuse,
        )
        .unwrap();
    let mut record = whole.store().examples(run_id).unwrap().remove(0);
    record.prediction.push_str(" -- changed");
    other.record_example(run_id, &record).unwrap();
    let err = merged.store().merge_from(other.path()).unwrap_err();
    assert!(err.to_string().contains(&record.example_id), "{err}");
}

/// The real Spider task whose gold cannot run for one example while `broken` is set (a
/// database under load, say).
struct BrokenGold {
    inner: Arc<dyn Task>,
    example: String,
    broken: std::sync::atomic::AtomicBool,
}

impl Task for BrokenGold {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn prompt_templates(&self) -> &str {
        self.inner.prompt_templates()
    }
    fn generation_prompt(&self, e: &Example) -> Result<Prompt, TaskError> {
        self.inner.generation_prompt(e)
    }
    fn correction_prompt(&self, e: &Example, p: &str, x: &Execution) -> Result<Prompt, TaskError> {
        self.inner.correction_prompt(e, p, x)
    }
    fn discrimination_prompt(
        &self,
        e: &Example,
        p: &str,
        x: Option<&Execution>,
    ) -> Result<Prompt, TaskError> {
        self.inner.discrimination_prompt(e, p, x)
    }
    fn response_prefix(&self) -> String {
        self.inner.response_prefix()
    }
    fn stop_sequences(&self) -> Vec<String> {
        self.inner.stop_sequences()
    }
    fn extract_program(&self, c: &str) -> String {
        self.inner.extract_program(c)
    }
    fn normalize(&self, p: &str) -> String {
        self.inner.normalize(p)
    }
    fn split_steps(&self, p: &str) -> Vec<String> {
        self.inner.split_steps(p)
    }
    fn is_complete(&self, p: &str) -> bool {
        self.inner.is_complete(p)
    }
    fn execute(&self, e: &Example, p: &str) -> Execution {
        self.inner.execute(e, p)
    }
    fn is_correct(&self, e: &Example, p: &str) -> bool {
        self.inner.is_correct(e, p)
    }
    fn oracle_score(&self, e: &Example, p: &str, r: OracleRule) -> f64 {
        self.inner.oracle_score(e, p, r)
    }
    fn check_judgeable(&self, e: &Example) -> Result<(), String> {
        if e.id == self.example && self.broken.load(Ordering::SeqCst) {
            return Err("the gold query timed out (injected)".into());
        }
        self.inner.check_judgeable(e)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_example_whose_gold_fails_is_not_recorded_and_the_next_run_retries_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path(), &dir.path().join("cache.sqlite"));
    let mut spec = small_rerank();
    spec.generator = generator_spec();
    spec.selection.limit = Some(3);
    let real = engine.loader().task(&spec.task).unwrap();
    let broken = Arc::new(BrokenGold {
        inner: real.task.clone(),
        example: real.examples[1].id.clone(),
        broken: std::sync::atomic::AtomicBool::new(true),
    });
    engine.loader().register_task(
        &spec.task,
        LoadedTask {
            task: broken.clone(),
            examples: real.examples.clone(),
        },
    );
    let summary = engine.run(&spec, &RunOptions::default()).await.unwrap();
    assert_eq!((summary.examples, summary.unjudged), (2, 1));
    assert!(summary.table().contains("could not be judged"));
    let run = engine.store().run(&summary.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.failure.unwrap().contains("injected"));

    broken.broken.store(false, Ordering::SeqCst);
    let summary = engine.run(&spec, &RunOptions::default()).await.unwrap();
    assert_eq!((summary.examples, summary.unjudged), (3, 0));
    let run = engine.store().run(&summary.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Finished);
    assert_eq!(run.failure, None);
}
