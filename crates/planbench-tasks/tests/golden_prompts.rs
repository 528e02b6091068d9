//! The discrimination prompts of the LLM discriminator's variants, against golden files in
//! `tests/golden/`: `naive` and `check` ask without the execution result, `exec` and `pro` with
//! it. Set `UPDATE_GOLDEN=1` to rewrite the files after a deliberate prompt change.

mod gsm8k_support;
mod spider_common;

use std::path::PathBuf;

use planbench_core::{Example, Prompt, Task};
use planbench_tasks::gsm8k::{AnswerFormat, Gsm8kTask, Split};
use planbench_tasks::spider::SpiderMetric;

/// The prompt as text: each message under a `### role` line.
fn render(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Text(text) => text.clone(),
        Prompt::Chat(messages) => messages
            .iter()
            .map(|m| format!("### {}\n{}\n", m.role.as_str(), m.content))
            .collect(),
    }
}

fn check_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

/// Golden prompts of both observation kinds for `program` on `example`.
fn check_variants(task: &dyn Task, example: &Example, program: &str, stem: &str) {
    let without = task.discrimination_prompt(example, program, None).unwrap();
    check_golden(&format!("{stem}_naive_check.txt"), &render(&without));
    let execution = task.execute(example, program);
    let with = task
        .discrimination_prompt(example, program, Some(&execution))
        .unwrap();
    check_golden(&format!("{stem}_exec_pro.txt"), &render(&with));
}

#[test]
fn spider_discrimination_prompts_match_their_golden_files() {
    let task = spider_common::dev_task(SpiderMetric::TestSuite);
    let example = task.examples()[2].clone();
    check_variants(&task, &example, &example.gold, "spider_dev2");
}

#[test]
fn spider_few_shot_prompts_show_a_right_and_a_wrong_query_per_demonstration() {
    let task = planbench_tasks::spider::SpiderTask::load(planbench_tasks::spider::SpiderConfig {
        data_dir: spider_common::data_dir(),
        disc_shots: 2,
        ..Default::default()
    })
    .unwrap();
    let example = task.examples()[2].clone();
    check_variants(&task, &example, &example.gold, "spider_dev2_2shot");
    let Prompt::Chat(messages) = task
        .discrimination_prompt(&example, "SELECT 1", None)
        .unwrap()
    else {
        panic!("a chat prompt")
    };
    let user = &messages[1].content;
    assert_eq!(user.matches("-- Answer: Yes").count(), 2, "{user}");
    assert_eq!(user.matches("-- Answer: No").count(), 2, "{user}");
    assert!(user.trim_end().ends_with("-- Answer:"), "{user}");
}

#[test]
fn gsm8k_discrimination_prompts_match_their_golden_files() {
    let task = Gsm8kTask::load(gsm8k_support::config(
        gsm8k_support::data_dir(),
        Split::Test,
        AnswerFormat::ProgramOfThought,
    ))
    .unwrap();
    let example = task.examples()[0].clone();
    let program = "eggs = 16 - 3 - 4\nanswer = eggs * 2\n";
    check_variants(&task, &example, program, "gsm8k_test0");
}
