//! Loading errors, prompts, extraction, steps and completeness on the real data.

mod spider_common;

use planbench_core::{ExecError, Execution, Prompt, Role, Task, TaskError};
use planbench_tasks::spider::{SpiderConfig, SpiderMetric, SpiderTask, Split};
use spider_common::{data_dir, dev_task, private_data_dir};

fn user_text(prompt: Prompt) -> String {
    let Prompt::Chat(messages) = prompt else {
        panic!("Spider prompts are chat prompts");
    };
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].role, Role::System);
    assert_eq!(messages[1].role, Role::User);
    messages[1].content.clone()
}

#[test]
fn malformed_and_missing_files_are_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = private_data_dir(tmp.path(), "concert_singer");
    let dev = data.join("spider/dev.json");
    std::fs::write(
        &dev,
        "[\n  {\"db_id\": \"concert_singer\",\n   \"query\": 3}\n]",
    )
    .unwrap();
    let load = || {
        SpiderTask::load(SpiderConfig {
            data_dir: data.clone(),
            ..SpiderConfig::default()
        })
    };
    let err = load().err().expect("a malformed dev.json is an error");
    assert!(matches!(err, TaskError::Parse { line: 3, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("dev.json:3:"), "{message}");

    std::fs::write(
        &dev,
        r#"[{"db_id": "nowhere_1", "query": "SELECT 1", "question": "q"}]"#,
    )
    .unwrap();
    let message = load().err().unwrap().to_string();
    assert!(
        message.contains("dev.json") && message.contains("nowhere_1"),
        "{message}"
    );

    std::fs::remove_file(data.join("spider/tables.json")).unwrap();
    let err = load().err().unwrap();
    assert!(
        matches!(&err, TaskError::Io { path, .. } if path.ends_with("tables.json")),
        "{err:?}"
    );
}

#[test]
fn generation_prompt_has_schema_question_and_one_retrieved_demonstration() {
    let task = dev_task(SpiderMetric::TestSuite);
    let ex = &task.examples()[0];
    let text = user_text(task.generation_prompt(ex).unwrap());
    assert!(text.starts_with("Given database schema and a question in natural language"));
    let tail = format!(
        "-- Database concert_singer:\n-- Table stadium: stadium_id, location, name, capacity, highest, lowest, average\n\
         -- Table singer: singer_id, name, country, song_name, song_release_year, age, is_male\n\
         -- Table concert: concert_id, concert_name, theme, stadium_id, year\n\
         -- Table singer_in_concert: concert_id, singer_id\n\
         -- Question: {}\n-- SQL:",
        ex.question
    );
    assert!(text.ends_with(&tail), "{text}");
    // One demonstration: two database headers, and its SQL, normalized, ending with `;`.
    assert_eq!(text.matches("-- Database ").count(), 2, "{text}");
    let demo_sql = text
        .split("-- SQL:\n")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(
        demo_sql.starts_with("SELECT") && demo_sql.ends_with(';'),
        "{demo_sql}"
    );
    assert_eq!(task.response_prefix(), "```sql\n");
    assert_eq!(task.stop_sequences(), ["```"]);
}

#[test]
fn train_demonstrations_never_show_the_example_itself() {
    let task = SpiderTask::load(SpiderConfig {
        data_dir: data_dir(),
        split: Split::Train,
        ..SpiderConfig::default()
    })
    .unwrap();
    for ex in task.examples().iter().step_by(97) {
        let text = user_text(task.generation_prompt(ex).unwrap());
        let own = format!("-- Question: {}\n-- SQL:\n", ex.question);
        // Spider repeats some questions; only such a twin may show the same question.
        let twin = task
            .examples()
            .iter()
            .any(|o| o.index != ex.index && o.question == ex.question);
        assert!(
            twin || !text.contains(&own),
            "{}: demonstration is the example itself",
            ex.id
        );
    }
}

#[test]
fn correction_and_discrimination_prompts() {
    let task = dev_task(SpiderMetric::TestSuite);
    let ex = &task.examples()[0];
    let program = "SELECT name FROM singer;";
    let execution = task.execute(ex, program);
    let text = user_text(task.correction_prompt(ex, program, &execution).unwrap());
    assert!(
        text.contains("-- Buggy SQL:\nSELECT name FROM singer;\n"),
        "{text}"
    );
    assert!(
        text.contains("-- Execution result:\n-- name: Joe Sharp, Timbaland, Justin Brown, Rose White, John Nizinik\n-- Fixed SQL:"),
        "{text}"
    );
    assert!(text.contains("-- Table singer: singer_id"), "{text}");

    let plain = user_text(task.discrimination_prompt(ex, program, None).unwrap());
    assert!(plain.starts_with("Answer the following Yes/No question: Is the SQL correct"));
    assert!(plain.ends_with(&format!(
        "-- Utterance: {}\n-- SQL:\n{program}\n-- Answer:",
        ex.question
    )));
    let with = user_text(
        task.discrimination_prompt(ex, program, Some(&execution))
            .unwrap(),
    );
    assert!(with.contains("-- Result:\n-- name: Joe Sharp,"), "{with}");
    assert!(with.ends_with("\n-- Answer:"));
    let failed = Execution {
        result: Err(ExecError::Failed("no such column: nme".into())),
        seconds: 0.0,
    };
    let with_error = user_text(
        task.discrimination_prompt(ex, program, Some(&failed))
            .unwrap(),
    );
    assert!(with_error.contains("-- Result:\nERROR: no such column: nme\n-- Answer:"));
    let empty = task.execute(ex, "SELECT name FROM singer WHERE 0");
    let with_empty = user_text(
        task.discrimination_prompt(ex, program, Some(&empty))
            .unwrap(),
    );
    assert!(with_empty.contains("-- Result:\nNone\n-- Answer:"));
}

#[test]
fn extraction_from_messy_completions() {
    let task = dev_task(SpiderMetric::TestSuite);
    let cases = [
        // The continuation of the forced "```sql\n" prefix, stopped at the closing fence.
        ("SELECT count(*) FROM singer;\n", "SELECT count(*) FROM singer;"),
        // Continuation running past the fence into chatter.
        ("SELECT name FROM singer\n```\nThis lists the names.", "SELECT name FROM singer;"),
        // A full chat answer with a fenced block.
        (
            "Sure! Here's the query:\n```sql\nSELECT name\nFROM singer\nWHERE age > 30;\n```\nIt filters by age.",
            "SELECT name\nFROM singer\nWHERE age > 30;",
        ),
        // Chatter before an unfenced query, trailing explanation after a blank line.
        (
            "To answer this, select from singer:\nSELECT avg(age) FROM singer\n\nThe average age is computed.",
            "SELECT avg(age) FROM singer;",
        ),
        // Only the first statement; a `;` inside a string does not end it.
        (
            "SELECT name FROM singer WHERE name = 'a;b'; DROP TABLE singer;",
            "SELECT name FROM singer WHERE name = 'a;b';",
        ),
        // Trailing comments go, a WITH query is kept.
        (
            "WITH a AS (SELECT 1) SELECT * FROM a -- done\n",
            "WITH a AS (SELECT 1) SELECT * FROM a;",
        ),
        // Nothing that looks like SQL: the text, terminated.
        ("I don't know.", "I don't know.;"),
        ("", ""),
        ("```sql\n```", ""),
    ];
    for (completion, expected) in cases {
        assert_eq!(task.extract_program(completion), expected, "{completion:?}");
    }
    // An unterminated string (a truncated completion) still yields one clean candidate.
    assert_eq!(
        task.extract_program("SELECT name FROM singer WHERE name = 'Jo\n\nmore"),
        "SELECT name FROM singer WHERE name = 'Jo;"
    );
}

#[test]
fn steps_split_at_top_level_clauses_only() {
    let task = dev_task(SpiderMetric::TestSuite);
    let sql = "SELECT name FROM singer WHERE age > (SELECT avg(age) FROM singer WHERE country = 'France') \
               GROUP BY country HAVING count(*) > 1 ORDER BY name LIMIT 3";
    assert_eq!(
        task.split_steps(sql),
        [
            "SELECT name ",
            "FROM singer ",
            "WHERE age > (SELECT avg(age) FROM singer WHERE country = 'France') ",
            "GROUP BY country ",
            "HAVING count(*) > 1 ",
            "ORDER BY name ",
            "LIMIT 3",
        ]
    );
    let set_op = "SELECT name FROM singer WHERE age > 40 INTERSECT SELECT name FROM singer WHERE country = 'France';";
    assert_eq!(
        task.split_steps(set_op),
        [
            "SELECT name ",
            "FROM singer ",
            "WHERE age > 40 ",
            "INTERSECT SELECT name ",
            "FROM singer ",
            "WHERE country = 'France';",
        ]
    );
    // Keywords inside strings and quoted identifiers do not split.
    let quoted = "SELECT \"from\" FROM t WHERE x = 'a where b order by c'";
    assert_eq!(
        task.split_steps(quoted),
        [
            "SELECT \"from\" ",
            "FROM t ",
            "WHERE x = 'a where b order by c'"
        ]
    );
    // Complete once the statement is ended.
    let steps = task.split_steps(set_op);
    let mut partial = String::new();
    for (i, step) in steps.iter().enumerate() {
        partial.push_str(step);
        assert_eq!(
            task.is_complete(&partial),
            i + 1 == steps.len(),
            "{partial}"
        );
    }
    assert!(task.split_steps("").is_empty());
    assert_eq!(
        task.split_steps("SELECT 'unterminated"),
        ["SELECT 'unterminated"]
    );
}
