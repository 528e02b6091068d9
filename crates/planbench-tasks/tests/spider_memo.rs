//! One execution per candidate: `execute`, `is_correct` and both oracles share one run of each
//! distinct statement, and the memo changes no result.

mod spider_common;

use std::time::{Duration, Instant};

use planbench_core::{Example, OracleRule, Task};
use planbench_tasks::spider::{SpiderConfig, SpiderMetric, SpiderTask, Split};
use planbench_tasks::MemoLimits;
use spider_common::{data_dir, example};

fn task(metric: SpiderMetric, memo: MemoLimits) -> SpiderTask {
    SpiderTask::load(SpiderConfig {
        data_dir: data_dir(),
        split: Split::Dev,
        metric,
        memo,
        ..SpiderConfig::default()
    })
    .expect("the Spider dev split loads")
}

/// A memo that keeps nothing: every request runs, as before memoization.
fn no_memo() -> MemoLimits {
    MemoLimits {
        max_entries: 0,
        ..MemoLimits::default()
    }
}

/// Everything a planner asks about a candidate, in one order.
fn judge_all(task: &SpiderTask, ex: &Example, program: &str) -> String {
    let execution = task.execute(ex, program);
    format!(
        "{:?} {} {} {}",
        execution.result,
        task.is_correct(ex, program),
        task.oracle_score(ex, program, OracleRule::Paper),
        task.oracle_score(ex, program, OracleRule::Exact),
    )
}

#[test]
fn a_candidate_runs_once_whoever_asks() {
    for metric in [SpiderMetric::TestSuite, SpiderMetric::Bird] {
        let task = task(metric, MemoLimits::default());
        let ex = example("concert_singer", "SELECT count(*) FROM singer");
        let program = "SELECT name FROM singer WHERE age > 30;";
        let first = judge_all(&task, &ex, program);
        assert_eq!(task.sandbox_runs(), 1, "{metric}: {first}");
        assert_eq!(judge_all(&task, &ex, program), first);
        assert_eq!(task.sandbox_runs(), 1, "{metric}");
        let stats = task.memo_stats();
        assert!(stats.requests >= 4 && stats.executions == 1, "{stats:?}");
    }
}

#[test]
fn the_oracle_first_then_the_rest_still_runs_once() {
    let task = task(SpiderMetric::Bird, MemoLimits::default());
    let ex = example("concert_singer", "SELECT count(*) FROM singer");
    // Fewer rows than the oracle reads: the first-rows run is the whole result.
    let small = "SELECT name FROM stadium LIMIT 3;";
    task.oracle_score(&ex, small, OracleRule::Paper);
    task.execute(&ex, small);
    task.is_correct(&ex, small);
    assert_eq!(task.sandbox_runs(), 1);
    // More rows than that: all rows need a run of their own, once.
    let large = "SELECT a.name FROM singer a, singer b;";
    task.oracle_score(&ex, large, OracleRule::Paper);
    task.execute(&ex, large);
    task.is_correct(&ex, large);
    task.oracle_score(&ex, large, OracleRule::Paper);
    assert_eq!(task.sandbox_runs(), 3);
}

#[test]
fn a_slow_statement_is_not_run_again() {
    let task = task(SpiderMetric::TestSuite, MemoLimits::default());
    let ex = example("concert_singer", "SELECT count(*) FROM singer");
    let slow = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3000000) \
                SELECT count(*) FROM r;";
    let start = Instant::now();
    let first = task.execute(&ex, slow);
    let cold = start.elapsed();
    let start = Instant::now();
    let again = task.execute(&ex, slow);
    let correct = task.is_correct(&ex, slow);
    let warm = start.elapsed();
    assert_eq!(first.result, again.result);
    assert!(!correct);
    assert!(cold > Duration::from_millis(100), "{cold:?}");
    assert!(warm < cold / 10, "cold {cold:?}, warm {warm:?}");
    assert!(again.seconds < first.seconds / 10.0, "{again:?}");
}

/// Every dev gold query and, as a wrong candidate, the next gold query on the same database:
/// with and without the memo, in two call orders, every answer is the same.
#[test]
fn memoized_results_equal_unmemoized_ones_on_dev() {
    for metric in [SpiderMetric::TestSuite, SpiderMetric::Bird] {
        let memo = task(metric, MemoLimits::default());
        let plain = task(metric, no_memo());
        let examples = memo.examples();
        for (i, ex) in examples.iter().enumerate().step_by(3) {
            let other = examples[i + 1..]
                .iter()
                .chain(&examples[..i])
                .find(|o| o.db_id == ex.db_id && o.gold != ex.gold)
                .map_or("SELECT 1;", |o| o.gold.as_str());
            for program in [ex.gold.as_str(), other] {
                let expected = judge_all(&plain, ex, program);
                assert_eq!(
                    judge_all(&memo, ex, program),
                    expected,
                    "{}: {program}",
                    ex.id
                );
                // Asked again, and in the oracle-first order on a fresh key.
                assert_eq!(judge_all(&memo, ex, program), expected, "{}", ex.id);
            }
            let spaced = format!("{} ", ex.gold);
            let paper = plain.oracle_score(ex, &spaced, OracleRule::Paper);
            assert_eq!(memo.oracle_score(ex, &spaced, OracleRule::Paper), paper);
            assert_eq!(
                judge_all(&memo, ex, &spaced),
                judge_all(&plain, ex, &spaced)
            );
        }
        assert!(memo.sandbox_runs() < plain.sandbox_runs() / 2);
        eprintln!(
            "{metric}: {} statements run with the memo, {} without",
            memo.sandbox_runs(),
            plain.sandbox_runs()
        );
    }
}

#[test]
fn concurrent_requests_for_one_statement_share_its_execution() {
    let task = task(SpiderMetric::TestSuite, MemoLimits::default());
    let ex = example("concert_singer", "SELECT count(*) FROM singer");
    let slow = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000) \
                SELECT count(*) FROM r;";
    let results: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| format!("{:?}", task.execute(&ex, slow).result)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|r| r == &results[0]), "{results:?}");
    assert_eq!(task.sandbox_runs(), 1);
}
