//! The paper's protocol switches of the Spider task, each against planbench's behaviour on a
//! constructed case over a real database.

mod spider_common;

use std::collections::HashMap;

use planbench_core::{OracleLevels, OracleRule, Prompt, Task};
use planbench_tasks::protocol::{CorrectionFeedback, ErrorText};
use planbench_tasks::spider::{
    DiscDemos, ScoredProgram, SpiderConfig, SpiderMetric, SpiderTask, SqlSteps,
};
use spider_common::{data_dir, dev_task, example};

const DB: &str = "concert_singer";

/// The dev split with `paper` applied to the default configuration.
fn task_with(paper: impl FnOnce(&mut SpiderConfig)) -> SpiderTask {
    let mut config = SpiderConfig {
        data_dir: data_dir(),
        ..SpiderConfig::default()
    };
    paper(&mut config);
    SpiderTask::load(config).expect("the Spider dev split loads")
}

/// The text of the last message of a prompt.
fn last_text(prompt: &Prompt) -> &str {
    match prompt {
        Prompt::Chat(messages) => &messages.last().expect("a message").content,
        Prompt::Text(text) => text,
    }
}

#[test]
fn paper_levels_rank_a_failing_program_below_a_wrong_one() {
    let task = dev_task(SpiderMetric::TestSuite);
    let gold = example(DB, "SELECT name, country FROM singer WHERE age > 40");
    let truth = |sql: &str, levels| task.oracle_truth(&gold, sql, OracleRule::Paper, levels);
    let right = truth(&gold.gold, OracleLevels::Paper);
    let half = truth(
        "SELECT name, age FROM singer WHERE age > 40",
        OracleLevels::Paper,
    );
    let wrong = truth("SELECT 'x'", OracleLevels::Paper);
    let broken = truth("SELECT nme FROM singer", OracleLevels::Paper);
    // Soft F1 1, 0.5, 0 and a failure: (1 + F1) / 2 kept, (2 - F1) / 2 flipped; 0 and 1.
    assert!((right.kept - 1.0).abs() < 1e-6 && (right.flipped.unwrap() - 0.5).abs() < 1e-6);
    assert!((half.kept - 0.75).abs() < 1e-6 && (half.flipped.unwrap() - 0.75).abs() < 1e-6);
    assert!((wrong.kept - 0.5).abs() < 1e-6 && (wrong.flipped.unwrap() - 1.0).abs() < 1e-6);
    assert_eq!((broken.kept, broken.flipped), (0.0, Some(1.0)));
    assert!(right.correct && !half.correct && !wrong.correct && !broken.correct);
    // planbench's unit levels put the wrong and the failing program level, at 0.
    let unit_wrong = truth("SELECT 'x'", OracleLevels::Unit);
    let unit_broken = truth("SELECT nme FROM singer", OracleLevels::Unit);
    assert!(unit_wrong.kept.abs() < 1e-9 && unit_broken.kept == 0.0);
    assert_eq!(unit_broken.flipped, Some(1.0));
    // Empty gold: an empty result is best (flipped: middle), a non-empty one the reverse.
    let empty = example(DB, "SELECT name FROM singer WHERE age > 1000");
    let t = task.oracle_truth(
        &empty,
        "SELECT age FROM singer WHERE 0",
        OracleRule::Paper,
        OracleLevels::Paper,
    );
    assert_eq!((t.kept, t.flipped), (1.0, Some(0.5)));
    let t = task.oracle_truth(
        &empty,
        "SELECT name FROM singer",
        OracleRule::Paper,
        OracleLevels::Paper,
    );
    assert_eq!((t.kept, t.flipped), (0.5, Some(1.0)));
    // The exact rule keeps the levels with correctness for the similarity.
    let t = task.oracle_truth(
        &gold,
        "SELECT name, age FROM singer WHERE age > 40",
        OracleRule::Exact,
        OracleLevels::Paper,
    );
    assert_eq!((t.kept, t.flipped), (0.5, Some(1.0)));
}

#[test]
fn paper_levels_never_flip_when_the_gold_fails() {
    let task = dev_task(SpiderMetric::TestSuite);
    let broken_gold = example(DB, "SELECT nope FROM singer");
    for sql in ["SELECT name FROM singer", "SELECT nme FROM singer"] {
        let paper = task.oracle_truth(&broken_gold, sql, OracleRule::Paper, OracleLevels::Paper);
        assert_eq!((paper.kept, paper.flipped), (0.0, None), "{sql}");
        let unit = task.oracle_truth(&broken_gold, sql, OracleRule::Paper, OracleLevels::Unit);
        assert_eq!((unit.kept, unit.flipped), (0.0, Some(1.0)), "{sql}");
    }
}

#[test]
fn paper_error_text_is_bare() {
    let ex = example(DB, "SELECT name FROM singer");
    let program = "SELECT nme FROM singer;";
    for (errors, shown) in [
        (ErrorText::Message, "-- Result:\nERROR: no such column: nme"),
        (ErrorText::Bare, "-- Result:\nERROR\n"),
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
    let ex = example(DB, "SELECT name FROM singer");
    let program = "SELECT nme FROM singer;";
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.correction_feedback = CorrectionFeedback::None);
    let execution = planbench.execute(&ex, program);
    let with = planbench
        .correction_prompt(&ex, program, &execution)
        .unwrap();
    let without = paper.correction_prompt(&ex, program, &execution).unwrap();
    let tail = "-- Buggy SQL:\nSELECT nme FROM singer;\n";
    assert!(last_text(&with).contains(&format!(
        "{tail}-- Execution result:\nERROR: no such column"
    )));
    assert!(
        last_text(&without).ends_with(&format!("{tail}-- Fixed SQL:")),
        "{}",
        last_text(&without)
    );
    assert!(!last_text(&without).contains("ERROR"));
    // The digest covers the templates in use: planbench's file alone, or it and the paper's.
    let file = include_str!("../../../tasks/spider.toml");
    assert_eq!(planbench.prompt_templates(), file);
    assert!(paper.prompt_templates().starts_with(file));
    assert!(paper
        .prompt_templates()
        .contains("correct_without_result = "));
}

#[test]
fn paper_steps_cut_every_clause() {
    let sql = "SELECT name FROM singer WHERE age > (SELECT avg(age) FROM singer) \
               EXCEPT SELECT name FROM singer WHERE age > 50;";
    let planbench = task_with(|_| {}).split_steps(sql);
    let paper = task_with(|c| c.sql_steps = SqlSteps::EveryClause).split_steps(sql);
    assert_eq!(planbench.len(), 6, "{planbench:?}");
    assert_eq!(planbench[3], "EXCEPT SELECT name ");
    assert_eq!(paper.len(), 9, "{paper:?}");
    assert_eq!(
        &paper[2..6],
        [
            "WHERE age > (",
            "SELECT avg(age) ",
            "FROM singer) ",
            "EXCEPT "
        ]
    );
    assert_eq!(planbench.concat(), sql);
    assert_eq!(paper.concat(), sql);
}

#[test]
fn paper_scores_the_normalized_program() {
    let ex = example(DB, "SELECT name FROM singer WHERE country = 'France'");
    let completion = "select \"Name\" from Singer\nwhere Country = 'France'\n```";
    let planbench = task_with(|_| {});
    let paper = task_with(|c| c.scored_program = ScoredProgram::Normalized);
    let raw = planbench.extract_program(completion);
    let normalized = paper.extract_program(completion);
    assert_eq!(
        raw,
        "select \"Name\" from Singer\nwhere Country = 'France';"
    );
    // Identifiers lower-cased, literals kept, the quoted column now a string literal.
    assert_eq!(
        normalized,
        "SELECT 'Name' FROM singer \n WHERE country = 'France';"
    );
    assert!(planbench.is_correct(&ex, &raw));
    assert!(!paper.is_correct(&ex, &normalized));
    assert!(paper.extract_program("  \n").is_empty());
}

#[test]
fn near_miss_demonstrations_use_the_generators_wrong_candidates() {
    let shots = |c: &mut SpiderConfig| c.disc_shots = 1;
    let planbench = task_with(shots);
    let ex = planbench.examples()[0].clone();
    let neighbours = planbench.training_neighbours(&ex, 2);
    assert_eq!(neighbours.len(), 2);
    let program = "SELECT count(*) FROM singer;";
    let judge = |task: &SpiderTask| {
        let prompt = task.discrimination_prompt(&ex, program, None).unwrap();
        last_text(&prompt).to_string()
    };
    // planbench: the closest training question, with another training query as the "No".
    let other = judge(&planbench);
    assert!(other.contains(&neighbours[0].question), "{other}");
    // The paper: the closest training question among those with a wrong candidate.
    let paper = task_with(|c| {
        shots(c);
        c.disc_demos = DiscDemos::NearMiss;
    });
    let unsupplied = paper.discrimination_prompt(&ex, program, None).unwrap_err();
    assert!(
        unsupplied.to_string().contains("with_near_misses"),
        "{unsupplied}"
    );
    let wrong = "SELECT 1 AS near_miss;";
    let misses = HashMap::from([(neighbours[1].id.clone(), wrong.to_string())]);
    let paper = paper.with_near_misses(misses).unwrap();
    let near = judge(&paper);
    assert!(near.contains(&neighbours[1].question), "{near}");
    assert!(!near.contains(&neighbours[0].question), "{near}");
    assert!(near.contains(&format!("{wrong}\n-- Answer: No")), "{near}");
    let unknown = HashMap::from([("dev/3".to_string(), wrong.to_string())]);
    assert!(task_with(shots).with_near_misses(unknown).is_err());
}
