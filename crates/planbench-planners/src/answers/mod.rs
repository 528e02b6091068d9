//! When two executed programs give the same answer, for voting.
//!
//! * Answers ([`Output::Answer`], GSM8K): Python's `==` on the values (`18 == 18.0`,
//!   `'18' != 18`, `None == None`, `nan != nan`).
//! * Tables ([`Output::Table`], Spider): equal as multisets of rows up to a permutation of the
//!   columns, values compared with Python's `==` (the execution-accuracy comparison of
//!   test-suite-sql-eval with `order_matters = false`); see [`table`].
//!
//! Row order never matters here: whether it does for the metric depends on the gold query
//! (`ORDER BY`), which a planner must not look at. The task crate's own comparison is not
//! exposed through the `Task` trait, so this module implements the same rule itself. It
//! compares what the programs return as written: the metric's rewriting of queries before it
//! runs them (test-suite-sql-eval drops `DISTINCT`) is not applied, so `SELECT DISTINCT a` and
//! `SELECT a` are different answers here when their rows differ.

mod key;
mod table;

use planbench_core::{Output, Value};

pub(crate) use key::Key;

/// Whether `a` and `b` are the same answer (see the module documentation).
pub(crate) fn same_answer(a: &Output, b: &Output) -> bool {
    match (a, b) {
        (Output::Answer(x), Output::Answer(y)) => values_equal(x, y),
        (Output::Table { rows: x, .. }, Output::Table { rows: y, .. }) => {
            table::same_rows_up_to_permutation(x, y)
        }
        _ => false,
    }
}

/// Python's `x == y` for two execution values.
pub(crate) fn values_equal(x: &Value, y: &Value) -> bool {
    let nan = |v: &Value| matches!(v, Value::Real(r) if r.is_nan());
    !nan(x) && !nan(y) && Key::of(x) == Key::of(y)
}

/// The indices of `outputs` grouped by [`same_answer`], each group in index order and the
/// groups in order of their first member; `None` (a program that did not execute or abstains)
/// joins no group. Each output is compared with the first member of each group.
pub(crate) fn group(outputs: &[Option<&Output>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, output) in outputs.iter().enumerate() {
        let Some(output) = output else { continue };
        let home = groups
            .iter_mut()
            .find(|members| outputs[members[0]].is_some_and(|first| same_answer(first, output)));
        match home {
            Some(members) => members.push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

/// Whether an output carries an answer that can vote: a GSM8K program that never assigned
/// `answer` executes to `None` and abstains; every table votes (an empty one included).
pub(crate) fn votes(output: &Output) -> bool {
    !matches!(output, Output::Answer(Value::Null))
}

/// A short text of an output, for traces: the answer as Python's `str`, or a table's size and
/// first row.
pub(crate) fn describe(output: &Output) -> String {
    const MAX_CHARS: usize = 80;
    let text = match output {
        Output::Answer(value) => value.to_string(),
        Output::Table { columns, rows } => {
            let first = rows.first().map(|row| {
                let cells: Vec<String> = row.iter().map(Value::to_string).collect();
                format!(": ({})", cells.join(", "))
            });
            format!(
                "{} rows x {} columns{}",
                rows.len(),
                columns.len(),
                first.unwrap_or_default()
            )
        }
    };
    if text.chars().count() > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[Value]]) -> Output {
        let width = rows.first().map_or(0, |r| r.len());
        Output::Table {
            columns: (0..width).map(|i| format!("c{i}")).collect(),
            rows: rows.iter().map(|r| r.to_vec()).collect(),
        }
    }

    #[test]
    fn answers_compare_as_python_values() {
        use Value::*;
        assert!(values_equal(&Integer(18), &Real(18.0)));
        assert!(values_equal(&Real(-0.0), &Integer(0)));
        assert!(values_equal(&Null, &Null));
        assert!(values_equal(&Text("a".into()), &Text("a".into())));
        assert!(!values_equal(&Text("18".into()), &Integer(18)));
        assert!(!values_equal(&Real(18.5), &Integer(18)));
        assert!(!values_equal(&Real(f64::NAN), &Real(f64::NAN)));
        // Python compares ints and floats exactly: 2^53 + 1 != float(2^53).
        assert!(!values_equal(
            &Integer((1 << 53) + 1),
            &Real(9_007_199_254_740_992.0)
        ));
        assert!(!values_equal(
            &Integer(i64::MAX),
            &Real(9.223_372_036_854_776e18)
        ));
        assert!(same_answer(
            &Output::Answer(Integer(3)),
            &Output::Answer(Real(3.0))
        ));
        assert!(!same_answer(
            &Output::Answer(Integer(3)),
            &table(&[&[Integer(3)]])
        ));
    }

    #[test]
    fn outputs_group_by_answer_in_order_of_first_appearance() {
        use Value::*;
        let (three, four, float_three) = (
            Output::Answer(Integer(3)),
            Output::Answer(Integer(4)),
            Output::Answer(Real(3.0)),
        );
        let outputs = [
            Some(&four),
            None,
            Some(&three),
            Some(&float_three),
            Some(&four),
        ];
        assert_eq!(group(&outputs), vec![vec![0, 4], vec![2, 3]]);
        assert!(group(&[None, None]).is_empty());
    }

    #[test]
    fn only_assigned_answers_vote() {
        assert!(!votes(&Output::Answer(Value::Null)));
        assert!(votes(&Output::Answer(Value::Integer(0))));
        assert!(votes(&table(&[])));
    }

    #[test]
    fn outputs_are_described_briefly() {
        assert_eq!(describe(&Output::Answer(Value::Real(2.5))), "2.5");
        assert_eq!(
            describe(&table(&[
                &[Value::Integer(1), Value::Text("a".into())],
                &[Value::Integer(2), Value::Null]
            ])),
            "2 rows x 2 columns: (1, a)"
        );
        let long = describe(&Output::Answer(Value::Text("x".repeat(200))));
        assert_eq!(long.chars().count(), 83);
    }
}
