//! The paper's protocol switches of the GSM8K task, each against planbench's behaviour on a
//! constructed case, with the real sandbox.

mod gsm8k_support;

use gsm8k_support::{config, data_dir};
use planbench_core::{Example, Prompt, Task};
use planbench_tasks::gsm8k::{AnswerFormat, Gsm8kConfig, Gsm8kTask, Split};
use planbench_tasks::protocol::ErrorText;

/// The program-of-thought test split with `paper` applied to the test configuration.
fn task_with(paper: impl FnOnce(&mut Gsm8kConfig)) -> Gsm8kTask {
    let mut config = config(data_dir(), Split::Test, AnswerFormat::ProgramOfThought);
    paper(&mut config);
    Gsm8kTask::load(config).expect("the GSM8K test split loads")
}

fn example(gold: &str) -> Example {
    Example {
        id: "test/0".into(),
        index: 0,
        question: "How many?".into(),
        gold: gold.into(),
        db_id: None,
    }
}

/// The text of the last message of a prompt.
fn last_text(prompt: &Prompt) -> &str {
    match prompt {
        Prompt::Chat(messages) => &messages.last().expect("a message").content,
        Prompt::Text(text) => text,
    }
}

#[test]
fn paper_error_text_is_bare() {
    let ex = example("2");
    let program = "answer = 1 / 0";
    for (errors, shown) in [
        (
            ErrorText::Message,
            "## Result: ERROR: line 1: ZeroDivisionError",
        ),
        (ErrorText::Bare, "## Result: ERROR\n"),
    ] {
        let task = task_with(|c| c.error_text = errors);
        let execution = task.execute(&ex, program);
        let judge = task
            .discrimination_prompt(&ex, program, Some(&execution))
            .unwrap();
        assert!(
            last_text(&judge).contains(shown),
            "{errors}: {}",
            last_text(&judge)
        );
    }
}
