//! The paper's protocol switches of the GSM8K task, each against planbench's behaviour on a
//! constructed case, with the real sandbox.

mod gsm8k_support;

use gsm8k_support::{config, data_dir};
use planbench_core::{Example, ExecError, Output, Prompt, Task, Value};
use planbench_tasks::gsm8k::{
    AnswerFormat, Completeness, Gsm8kConfig, Gsm8kTask, PythonImports, PythonScope, Split,
};
use planbench_tasks::protocol::{CorrectionFeedback, ErrorText};

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

#[test]
fn paper_correction_shows_no_execution_result() {
    let ex = example("2");
    let program = "answer = 1 / 0";
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.correction_feedback = CorrectionFeedback::None);
    let execution = planbench.execute(&ex, program);
    let with = planbench
        .correction_prompt(&ex, program, &execution)
        .unwrap();
    let without = paper.correction_prompt(&ex, program, &execution).unwrap();
    let tail = "## Buggy Python Program:\n```python\nanswer = 1 / 0\n```\n";
    assert!(last_text(&with).contains(&format!("{tail}## Result: ERROR: ")));
    assert!(last_text(&without).ends_with(&format!("{tail}## Fixed Python Program:")));
    // The digest covers the templates in use: planbench's file alone, or it and the paper's.
    let file = include_str!("../../../tasks/gsm8k.toml");
    assert_eq!(planbench.prompt_templates(), file);
    assert!(paper.prompt_templates().starts_with(file));
    assert!(paper.prompt_templates().len() > file.len());
}

#[test]
fn paper_scope_hides_top_level_names_from_nested_scopes() {
    let ex = example("9");
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.python_scope = PythonScope::ExecLocals);
    let program = "rate = 3\nanswer = sum(rate * x for x in [1, 2])";
    assert_eq!(
        planbench.execute(&ex, program).result,
        Ok(Output::Answer(Value::Integer(9)))
    );
    assert!(planbench.is_correct(&ex, program));
    let failed = paper.execute(&ex, program);
    assert_eq!(
        failed.result,
        Err(ExecError::Failed(
            "line 2: NameError: name 'rate' is not defined".into()
        ))
    );
    assert!(!paper.is_correct(&ex, program));
    // Only code that runs fails: an unused function may read a top-level name, and names
    // local to a function or a comprehension, and builtins, are found.
    for program in [
        "rate = 3\ndef unused():\n    return rate\nanswer = 9",
        "def f(r):\n    return sum([r * x for x in [1, 2]])\nanswer = f(3)",
        "xs = [1, 2]\nanswer = 3 * sum([x for x in xs])",
    ] {
        assert!(
            paper.is_correct(&ex, program),
            "{program}: {:?}",
            paper.execute(&ex, program)
        );
    }
}

#[test]
fn stdlib_imports_open_pure_modules() {
    let ex = example("2");
    let program = "from collections import Counter\nanswer = Counter('aab')['a']";
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.python_imports = PythonImports::Stdlib);
    assert!(matches!(
        planbench.execute(&ex, program).result,
        Err(ExecError::Refused(_))
    ));
    assert!(
        paper.is_correct(&ex, program),
        "{:?}",
        paper.execute(&ex, program)
    );
    assert!(matches!(
        paper.execute(&ex, "import os\nanswer = 2").result,
        Err(ExecError::Refused(_))
    ));
}

#[test]
fn paper_completeness_is_the_answer_substring() {
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.completeness = Completeness::AnswerSubstring);
    // (partial program, planbench complete, paper complete)
    for (program, top_level, substring) in [
        ("x = 2\nanswer = x * 3\n", true, true),
        ("final_answer = 3\n", false, true),
        ("def f():\n    answer = 3\n", false, true),
        ("answer = round(\n", false, true),
        ("# answer = later\n", false, true),
        ("answer=5\n", true, false),
        ("x = 1\n", false, false),
    ] {
        assert_eq!(planbench.is_complete(program), top_level, "{program}");
        assert_eq!(paper.is_complete(program), substring, "{program}");
    }
}
