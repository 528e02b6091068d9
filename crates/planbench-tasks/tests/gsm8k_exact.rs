//! Program-of-thought values reach the judge exactly (floats bit for bit, infinities and NaN
//! included), and each distinct program runs once however often it is judged.

mod gsm8k_support;

use std::time::Instant;

use gsm8k_support::{load, worker};
use planbench_core::{Example, ExecError, OracleRule, Output, Task, Value};
use planbench_tasks::gsm8k::sandbox::{Sandbox, SandboxLimits};
use planbench_tasks::gsm8k::AnswerFormat;

fn example(gold: &str) -> Example {
    Example {
        id: "test/0".into(),
        index: 0,
        question: "q".into(),
        gold: gold.into(),
        db_id: None,
    }
}

fn real(sandbox: &Sandbox, program: &str) -> f64 {
    match sandbox.run(program).result {
        Ok(Output::Answer(Value::Real(r))) => r,
        other => panic!("{program}: {other:?}"),
    }
}

#[test]
fn floats_cross_bit_for_bit() {
    let sandbox = Sandbox::new(
        worker(),
        SandboxLimits {
            timeout: std::time::Duration::from_secs(2),
            memory_bytes: 256 << 20,
        },
    );
    // Python: 100 * 1.1 == 110.00000000000001, 0.1 + 0.2 == 0.30000000000000004.
    assert_eq!(
        real(&sandbox, "answer = 100 * 1.1").to_bits(),
        (100.0f64 * 1.1).to_bits()
    );
    assert_eq!(real(&sandbox, "answer = 0.1 + 0.2"), 0.1 + 0.2);
    let next = f64::from_bits(2.5f64.to_bits() + 1);
    assert_eq!(real(&sandbox, "answer = 2.5000000000000004"), next);
    assert_eq!(real(&sandbox, "answer = 5e-324"), f64::from_bits(1));
    assert_eq!(real(&sandbox, "answer = 1.7976931348623157e308"), f64::MAX);
    assert_eq!(
        real(&sandbox, "answer = -0.0").to_bits(),
        (-0.0f64).to_bits()
    );
    assert_eq!(real(&sandbox, "answer = float('inf')"), f64::INFINITY);
    assert_eq!(real(&sandbox, "answer = float('-inf')"), f64::NEG_INFINITY);
    assert!(real(&sandbox, "answer = float('nan')").is_nan());
    // The same worker keeps serving: a protocol error would have replaced it with an error.
    assert_eq!(real(&sandbox, "answer = 1 / 4"), 0.25);
}

#[test]
fn python_equality_decides_and_non_finite_answers_are_wrong() {
    let task = load(AnswerFormat::ProgramOfThought);
    let ex = example("110");
    assert!(!task.is_correct(&ex, "total = 100 * 1.1\nanswer = total"));
    assert!(task.is_correct(&ex, "answer = 110.0"));
    assert!(task.is_correct(&ex, "answer = 11 * 10"));
    let half = example("2.5");
    assert!(task.is_correct(&half, "answer = 5 / 2"));
    assert!(
        !task.is_correct(&half, "answer = 2.5000000000000004"),
        "one ULP above"
    );
    assert!(
        !task.is_correct(&half, "answer = 2.4999999999999996"),
        "one ULP below"
    );
    for program in [
        "answer = float('inf')",
        "answer = float('-inf')",
        "answer = float('nan')",
    ] {
        let execution = task.execute(&ex, program);
        assert!(
            matches!(execution.result, Ok(Output::Answer(Value::Real(r))) if !r.is_finite()),
            "{program}: {execution:?}"
        );
        assert!(!task.is_correct(&ex, program), "{program}");
        assert_eq!(task.oracle_score(&ex, program, OracleRule::Paper), 0.0);
    }
    assert!(
        task.is_correct(&ex, "answer = 110"),
        "the sandbox still works"
    );
}

#[test]
fn a_program_runs_once_whoever_asks() {
    let task = load(AnswerFormat::ProgramOfThought);
    let ex = example("18");
    let program = "eggs = 16 - 3 - 4\nanswer = eggs * 2";
    let first = task.execute(&ex, program);
    assert!(task.is_correct(&ex, program));
    assert_eq!(task.oracle_score(&ex, program, OracleRule::Paper), 1.0);
    assert_eq!(task.oracle_score(&ex, program, OracleRule::Exact), 1.0);
    assert_eq!(task.execute(&ex, program).result, first.result);
    assert_eq!(task.sandbox_runs(), 1);

    // A slow program: the second answer comes from the memo, at once and identical.
    let slow = "s = 0\nfor i in range(300000):\n    s += i % 7\nanswer = s";
    let start = Instant::now();
    let cold = task.execute(&ex, slow);
    let cold_time = start.elapsed();
    let start = Instant::now();
    let warm = task.execute(&ex, slow);
    assert!(!task.is_correct(&ex, slow));
    let warm_time = start.elapsed();
    assert_eq!(cold.result, warm.result);
    assert!(cold.is_ok(), "{cold:?}");
    assert!(
        warm_time * 10 < cold_time,
        "cold {cold_time:?}, warm {warm_time:?}"
    );
    assert_eq!(task.sandbox_runs(), 2);

    // Errors and timeouts are memoized per program too: they are what the program does.
    let failing = "answer = 1 / 0";
    let error = task.execute(&ex, failing);
    assert!(
        matches!(error.result, Err(ExecError::Failed(_))),
        "{error:?}"
    );
    assert_eq!(task.execute(&ex, failing).result, error.result);
    assert_eq!(task.sandbox_runs(), 3);
    let stats = task.memo_stats();
    assert_eq!(stats.executions, 3);
    assert!(stats.requests >= 9, "{stats:?}");
}

#[test]
fn paper_levels_put_failures_below_wrong_and_unset_answers() {
    use planbench_core::OracleLevels;
    let task = load(AnswerFormat::ProgramOfThought);
    let ex = example("18");
    let truth = |program: &str, levels| task.oracle_truth(&ex, program, OracleRule::Paper, levels);
    // (program, paper kept, paper flipped, unit kept)
    for (program, kept, flipped, unit) in [
        ("answer = 18", 1.0, 0.5, 1.0),
        ("answer = 17", 0.5, 1.0, 0.0),
        ("x = 18", 0.5, 1.0, 0.0),
        ("answer = 18 / 0", 0.0, 1.0, 0.0),
    ] {
        let paper = truth(program, OracleLevels::Paper);
        assert_eq!(
            (paper.kept, paper.flipped),
            (kept, Some(flipped)),
            "{program}"
        );
        assert_eq!(paper.correct, program == "answer = 18");
        let planbench = truth(program, OracleLevels::Unit);
        assert_eq!(
            (planbench.kept, planbench.flipped),
            (unit, Some(1.0 - unit)),
            "{program}"
        );
    }
}
