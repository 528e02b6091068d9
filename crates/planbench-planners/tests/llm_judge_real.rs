//! The `pro` LLM discriminator with the real default model on real Spider examples: it should
//! score the gold query above an obviously wrong one more often than not.

use std::path::PathBuf;
use std::sync::Arc;

use planbench_core::{Discriminator, Task};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};
use planbench_planners::{LlmDiscriminator, LlmVariant};
use planbench_tasks::spider::{SpiderConfig, SpiderTask};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test]
async fn pro_prefers_gold_sql_over_a_wrong_query_more_often_than_not() {
    let data_dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/datasets"));
    assert!(
        data_dir.join("spider/dev.json").exists(),
        "Spider data missing under {} (set PLANBENCH_DATA_DIR)",
        data_dir.display()
    );
    let model = workspace().join("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    assert!(
        model.exists(),
        "default model missing: run scripts/setup.sh"
    );
    let task = Arc::new(
        SpiderTask::load(SpiderConfig {
            data_dir,
            ..SpiderConfig::default()
        })
        .unwrap(),
    );
    // The serial engine: the two candidates of a pair are then scored exactly as alone. The
    // batched engine may move each probability by up to about 0.02 depending on how requests
    // happen to share a batch, enough to swap a close pair (measured: 7 of 10 alone, 4 of 10
    // once under a loaded CI).
    let config = LlamaConfig {
        deterministic: true,
        ..LlamaConfig::new(model)
    };
    let generator = Arc::new(LlamaGenerator::load(config).unwrap());
    let judge = LlmDiscriminator::new(task.clone(), generator, LlmVariant::Pro);

    // Pairs of a gold query and the gold query of another question on the same database
    // (which executes, so `pro` has to read the result to tell them apart).
    let examples = task.examples();
    let mut wins = 0;
    let mut pairs = 0;
    for (i, example) in examples.iter().take(40).enumerate().step_by(4) {
        let Some(other) = examples[i + 1..]
            .iter()
            .find(|o| o.db_id == example.db_id && !task.is_correct(example, &o.gold))
        else {
            continue;
        };
        let scores = judge
            .score(example, &[example.gold.clone(), other.gold.clone()])
            .await
            .unwrap();
        pairs += 1;
        wins += usize::from(scores.scores[0] > scores.scores[1]);
    }
    let rate = wins as f64 / pairs as f64;
    eprintln!(
        "pro preferred the gold query in {wins} of {pairs} pairs ({:.0}%)",
        100.0 * rate
    );
    assert!(pairs >= 6, "only {pairs} pairs");
    assert!(rate > 0.5, "gold preferred in {wins} of {pairs} pairs");
}
