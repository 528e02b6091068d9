//! The GSM8K task on the real data: loading, prompts, program extraction and judgement.

mod gsm8k_support;

use std::fs;

use gsm8k_support::{config, data_dir, load};
use planbench_core::{
    ChatMessage, ExecError, Execution, OracleRule, Output, Prompt, Role, Task, Value,
};
use planbench_tasks::gsm8k::{AnswerFormat, Gsm8kTask, Split, WorkerCommand};

fn user_text(prompt: &Prompt) -> &str {
    match prompt {
        Prompt::Chat(messages) => match messages.as_slice() {
            [ChatMessage {
                role: Role::System, ..
            }, ChatMessage {
                role: Role::User,
                content,
            }] => content,
            other => panic!("expected a system and a user message, got {other:?}"),
        },
        Prompt::Text(text) => panic!("expected a chat prompt, got {text:?}"),
    }
}

#[test]
fn loads_both_splits_with_gold_numbers() {
    let test = load(AnswerFormat::ChainOfThought);
    assert_eq!(test.examples().len(), 1319);
    let first = &test.examples()[0];
    assert_eq!(first.id, "test/0");
    assert_eq!(first.index, 0);
    assert!(first
        .question
        .starts_with("Janet’s ducks lay 16 eggs per day."));
    assert_eq!(first.gold, "18");
    assert_eq!(first.db_id, None);
    assert_eq!(test.examples()[2].gold, "70000");
    assert_eq!(test.examples()[1318].id, "test/1318");
    assert!(test
        .examples()
        .iter()
        .all(|e| e.gold.parse::<i64>().is_ok()));

    let train = Gsm8kTask::load(config(
        data_dir(),
        Split::Train,
        AnswerFormat::ChainOfThought,
    ))
    .expect("the train split loads");
    assert_eq!(train.examples().len(), 7473);
    assert_eq!(train.examples()[7472].id, "train/7472");
    assert!(train
        .examples()
        .iter()
        .all(|e| e.gold.parse::<i64>().is_ok()));
    // "Natalia sold clips to 48 of her friends in April, ..." #### 72
    assert_eq!(train.examples()[0].gold, "72");
}

#[test]
fn gold_equivalent_programs_are_correct() {
    let task = load(AnswerFormat::ProgramOfThought);
    let ex = task.examples();
    let cases = [
        (0, "eggs = 16 - 3 - 4\nanswer = eggs * 2\n"),
        // 3.0: a float equals the integer gold.
        (1, "blue = 2\nwhite = blue / 2\nanswer = blue + white\n"),
        (
            2,
            "cost = 80000 + 50000\nvalue = 80000 * (1 + 1.5)\nanswer = value - cost\n",
        ),
        (
            3,
            "def meters(sprints, times, length):\n    return sprints * times * length\n\nanswer = meters(3, 3, 60)\n",
        ),
        (
            4,
            "import math\nneeded = sum([3 for _ in range(20)])\nanswer = int(math.fabs(needed - 15 - 25))\n",
        ),
    ];
    for (index, program) in cases {
        let example = &ex[index];
        let execution = task.execute(example, program);
        assert!(execution.is_ok(), "{}: {execution:?}", example.id);
        assert!(
            task.is_correct(example, program),
            "{}: {execution:?}",
            example.id
        );
        assert_eq!(task.oracle_score(example, program, OracleRule::Paper), 1.0);
        assert_eq!(task.oracle_score(example, program, OracleRule::Exact), 1.0);
    }
    let execution = task.execute(&ex[1], "answer = 2 + 2 / 2");
    assert_eq!(execution.result, Ok(Output::Answer(Value::Real(3.0))));

    // Wrong, unset, text and failing answers are all incorrect.
    for program in [
        "answer = 17",
        "x = 18",
        "answer = '18'",
        "answer = 18 / 0",
        "answer = 18.0001",
    ] {
        assert!(!task.is_correct(&ex[0], program), "{program}");
        assert_eq!(task.oracle_score(&ex[0], program, OracleRule::Paper), 0.0);
    }
    assert_eq!(
        task.execute(&ex[0], "x = 18").result,
        Ok(Output::Answer(Value::Null))
    );
    let failed = task.execute(&ex[0], "x = 1\nanswer = x / 0\n");
    match failed.result {
        Err(ExecError::Failed(message)) => {
            assert!(
                message.contains("ZeroDivisionError") && message.contains("line 2"),
                "{message}"
            )
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn program_of_thought_prompts() {
    let task = load(AnswerFormat::ProgramOfThought);
    let example = &task.examples()[0];
    assert_eq!(task.name(), "gsm8k");
    assert_eq!(task.response_prefix(), "```python\n");
    assert!(task.stop_sequences().contains(&"```".to_string()));

    let prompt = task.generation_prompt(example).unwrap();
    let text = user_text(&prompt);
    assert!(text.contains("'answer' variable"));
    assert!(text.contains("answer = mg_per_dose * doses_per_day"));
    assert!(text.ends_with(&format!("## {}\n## Python Program:", example.question)));

    let program = "eggs = 16 - 3 - 4\nanswer = eggs * 2";
    let plain = task.discrimination_prompt(example, program, None).unwrap();
    let text = user_text(&plain);
    assert!(text.contains("Is the python program correct"));
    assert!(text.ends_with(&format!("```python\n{program}\n```\n## Answer:")));
    assert!(!text.ends_with("## Result: 18\n## Answer:"));

    let execution = task.execute(example, program);
    let with_result = task
        .discrimination_prompt(example, program, Some(&execution))
        .unwrap();
    assert!(user_text(&with_result).ends_with("```\n## Result: 18\n## Answer:"));

    let failing = "answer = eggs * 2";
    let execution = task.execute(example, failing);
    let correction = task
        .correction_prompt(example, failing, &execution)
        .unwrap();
    let text = user_text(&correction);
    assert!(text.contains("correct the buggy python program"));
    assert!(text.contains(&format!("```python\n{failing}\n```")));
    assert!(
        text.contains("## Result: ERROR: line 1: NameError"),
        "{text}"
    );
    assert!(text.ends_with("## Fixed Python Program:"));

    let float = Execution {
        result: Ok(Output::Answer(Value::Real(3000.0))),
        seconds: 0.0,
    };
    let text = user_text(
        &task
            .discrimination_prompt(example, program, Some(&float))
            .unwrap(),
    )
    .to_string();
    assert!(text.ends_with("## Result: 3000.0\n## Answer:"));
}

#[test]
fn program_of_thought_text_handling() {
    let task = load(AnswerFormat::ProgramOfThought);
    let completion = "eggs = 16 - 3 - 4\n\nanswer = eggs * 2\n```\n\nThe answer is 18.";
    let program = task.extract_program(completion);
    assert_eq!(program, "eggs = 16 - 3 - 4\n\nanswer = eggs * 2");
    let steps = task.split_steps(&program);
    assert_eq!(steps, ["eggs = 16 - 3 - 4\n", "\nanswer = eggs * 2"]);
    assert_eq!(steps.concat(), program);
    assert!(task.is_complete(&program));
    assert!(!task.is_complete(&steps[0]));
    assert_eq!(
        task.normalize("eggs=16-3-4 # left\nanswer = eggs*2\n"),
        task.normalize(&program)
    );
}

#[test]
fn chain_of_thought_uses_the_strict_answer_line() {
    let task = load(AnswerFormat::ChainOfThought);
    let example = &task.examples()[0];
    assert_eq!(task.response_prefix(), "");
    let prompt = task.generation_prompt(example).unwrap();
    assert!(user_text(&prompt).contains("#### <number>"));
    assert!(user_text(&prompt).ends_with("## Solution:"));

    let completion =
        "She has 16 - 3 - 4 = 9 eggs left.\nShe makes 9 * 2 = $18.\n#### 18\nHope this helps!";
    let reasoning = task.extract_program(completion);
    assert_eq!(
        reasoning,
        "She has 16 - 3 - 4 = 9 eggs left.\nShe makes 9 * 2 = $18.\n#### 18"
    );
    assert!(task.is_complete(&reasoning));
    assert!(!task.is_complete("She has 9 eggs."));
    assert_eq!(task.split_steps(&reasoning).concat(), reasoning);
    assert_eq!(
        task.execute(example, &reasoning).result,
        Ok(Output::Answer(Value::Integer(18)))
    );
    assert!(task.is_correct(example, &reasoning));
    // Commas and a final period are ignored; the first match counts; `$18` is not strict.
    assert!(task.is_correct(example, "#### 18."));
    assert!(task.is_correct(example, "#### 18.0"));
    assert!(!task.is_correct(example, "#### $18"));
    assert!(!task.is_correct(example, "#### 17\n#### 18"));
    assert!(task.is_correct(&task.examples()[2], "#### 70,000"));
    assert!(matches!(
        task.execute(example, "The answer is 18.").result,
        Err(ExecError::Failed(_))
    ));
    let execution = task.execute(example, "#### 1.2.3");
    assert_eq!(
        execution.result,
        Ok(Output::Answer(Value::Text("1.2.3".into())))
    );
    let with_result = task
        .discrimination_prompt(
            example,
            &reasoning,
            Some(&task.execute(example, &reasoning)),
        )
        .unwrap();
    assert!(user_text(&with_result).ends_with("#### 18\n## Result: 18\n## Answer:"));
}

#[test]
fn malformed_lines_are_reported_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("gsm8k")).unwrap();
    let file = dir.path().join("gsm8k/test.jsonl");
    let good = r##"{"question": "q", "answer": "1 + 1 = 2\n#### 2"}"##;
    let cases = [
        (r#"{"question": "q"}"#, "missing field `answer`"),
        (
            r#####"{"question": 3, "answer": "#### 2"}"#####,
            "field `question` is not a string",
        ),
        ("[1, 2]", "not a JSON object"),
        (
            r#"{"question": "q", "answer": "no final answer"}"#,
            "`answer`",
        ),
        (
            r#####"{"question": "q", "answer": "#### two"}"#####,
            "`two` is not a number",
        ),
        ("not json", "not a GSM8K record"),
    ];
    for (bad, expected) in cases {
        fs::write(&file, format!("{good}\n{good}\n{bad}\n")).unwrap();
        let err = Gsm8kTask::load(config(
            dir.path().to_path_buf(),
            Split::Test,
            AnswerFormat::ChainOfThought,
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("test.jsonl:3:"), "{err}");
        assert!(err.contains(expected), "{err} lacks {expected}");
    }
    fs::write(&file, format!("{good}\n\n{good}\n")).unwrap();
    let task = Gsm8kTask::load(config(
        dir.path().to_path_buf(),
        Split::Test,
        AnswerFormat::ChainOfThought,
    ))
    .unwrap();
    assert_eq!(task.examples().len(), 2);
    assert_eq!(task.examples()[1].id, "test/1");

    let missing = Gsm8kTask::load(config(
        dir.path().to_path_buf(),
        Split::Train,
        AnswerFormat::ChainOfThought,
    ))
    .unwrap_err()
    .to_string();
    assert!(missing.contains("train.jsonl"), "{missing}");
}

#[test]
fn a_missing_worker_is_a_clear_load_error() {
    let mut config = config(data_dir(), Split::Test, AnswerFormat::ProgramOfThought);
    config.worker = WorkerCommand::new("/nonexistent/planbench-python-worker");
    let err = Gsm8kTask::load(config).unwrap_err().to_string();
    assert!(
        err.contains("cannot start the sandbox worker `/nonexistent/planbench-python-worker`"),
        "{err}"
    );

    // A program that is not a worker fails the handshake.
    let mut config = gsm8k_support::config(data_dir(), Split::Test, AnswerFormat::ProgramOfThought);
    config.worker = WorkerCommand::new("/bin/true");
    let err = Gsm8kTask::load(config).unwrap_err().to_string();
    assert!(err.contains("did not start"), "{err}");
}
