//! Result comparison with Python's value semantics, as the reference evaluators see rows
//! fetched through Python's `sqlite3` module.
//!
//! * [`result_eq`]: test-suite-sql-eval's `result_eq` (execution accuracy).
//! * [`set_eq`]: BIRD's rule, set equality of rows.
//! * [`soft_f1`]: the paper's oracle score over the first rows.

use std::collections::{HashMap, HashSet};

use planbench_core::Value;

/// A value under Python's `==` and `hash`: `1 == 1.0`, `None == None`, `'1' != 1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PyKey {
    None,
    /// An int, or a float with an integral value that fits an `i64`.
    Int(i64),
    /// The bits of any other float.
    Float(u64),
    Str(String),
    Bytes(Vec<u8>),
}

impl PyKey {
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => PyKey::None,
            Value::Integer(i) => PyKey::Int(*i),
            Value::Real(r) => {
                // -2^63 and 2^63 are exact in f64; integral floats in between equal the i64.
                let min = i64::MIN as f64;
                let fits = (min..-min).contains(r);
                if r.fract() == 0.0 && fits {
                    PyKey::Int(*r as i64)
                } else {
                    PyKey::Float(r.to_bits())
                }
            }
            Value::Text(s) => PyKey::Str(s.clone()),
            Value::Blob(b) => PyKey::Bytes(b.clone()),
        }
    }
}

/// Python's `str(value)`.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => py_float_repr(*r),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => py_bytes_repr(b),
    }
}

/// Python's `str(type(value))`.
fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<class 'NoneType'>",
        Value::Integer(_) => "<class 'int'>",
        Value::Real(_) => "<class 'float'>",
        Value::Text(_) => "<class 'str'>",
        Value::Blob(_) => "<class 'bytes'>",
    }
}

/// Python's `repr(float)`: shortest round-trip digits, positional for decimal exponents in
/// [-4, 16), scientific (`1e+16`, `1.5e-05`) outside.
pub(crate) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
        } else {
            let point = point as usize;
            if digits.len() <= point {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{sign}{}.{}", &digits[..point], &digits[point..])
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exp.abs())
    }
}

/// Python's `repr(bytes)`.
fn py_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

type Row = Vec<PyKey>;

fn keys(rows: &[Vec<Value>]) -> Vec<Row> {
    rows.iter()
        .map(|r| r.iter().map(PyKey::of).collect())
        .collect()
}

/// The reference's `unorder_row`: values sorted by `str(x) + str(type(x))` (stable).
fn unorder_row(row: &[Value]) -> Row {
    let mut keyed: Vec<(String, &Value)> =
        row.iter().map(|v| (py_str(v) + py_type(v), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, v)| PyKey::of(v)).collect()
}

/// Multiset equality of rows.
fn multiset_eq(a: impl Iterator<Item = Row>, b: impl Iterator<Item = Row>) -> bool {
    let mut counts: HashMap<Row, i64> = HashMap::new();
    let mut n = 0i64;
    for r in a {
        *counts.entry(r).or_default() += 1;
        n += 1;
    }
    for r in b {
        let c = counts.entry(r).or_default();
        *c -= 1;
        if *c < 0 {
            return false;
        }
        n -= 1;
    }
    n == 0
}

/// The multiset of `values`.
fn bag(values: &[PyKey]) -> HashMap<&PyKey, usize> {
    let mut counts = HashMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts
}

/// test-suite-sql-eval's `result_eq(gold, pred, order_matters)`.
///
/// Equal when both are empty, or when they have as many rows and columns and some bijective
/// permutation of `pred`'s columns makes the rows equal as lists (order matters) or as
/// multisets. The reference's quick rejection (rows with their values sorted by
/// `str(x) + str(type(x))` must agree, as a list or as a set) is applied first, exactly. Its
/// sampled column pruning only removes permutations that cannot match, so the answer is that
/// of an exhaustive search, which is done here by matching columns (order matters) or by
/// backtracking over columns with multiset pruning.
pub(crate) fn result_eq(gold: &[Vec<Value>], pred: &[Vec<Value>], order_matters: bool) -> bool {
    if gold.is_empty() && pred.is_empty() {
        return true;
    }
    if gold.len() != pred.len() {
        return false;
    }
    let ncols = gold[0].len();
    if pred[0].len() != ncols {
        return false;
    }
    let s1: Vec<Row> = gold.iter().map(|r| unorder_row(r)).collect();
    let s2: Vec<Row> = pred.iter().map(|r| unorder_row(r)).collect();
    let quick_ok = if order_matters {
        s1 == s2
    } else {
        s1.iter().collect::<HashSet<_>>() == s2.iter().collect::<HashSet<_>>()
    };
    if !quick_ok {
        return false;
    }
    let (k1, k2) = (keys(gold), keys(pred));
    let column =
        |rows: &[Row], c: usize| -> Vec<PyKey> { rows.iter().map(|r| r[c].clone()).collect() };
    let cols1: Vec<Vec<PyKey>> = (0..ncols).map(|c| column(&k1, c)).collect();
    let cols2: Vec<Vec<PyKey>> = (0..ncols).map(|c| column(&k2, c)).collect();
    if order_matters {
        // A permutation works iff every column of gold equals its image as a sequence, so one
        // exists iff the two multisets of column sequences agree.
        return multiset_eq(cols1.into_iter(), cols2.into_iter());
    }
    let bags1: Vec<_> = cols1.iter().map(|c| bag(c)).collect();
    let bags2: Vec<_> = cols2.iter().map(|c| bag(c)).collect();
    let compatible: Vec<Vec<bool>> = (0..ncols)
        .map(|i| (0..ncols).map(|j| bags1[i] == bags2[j]).collect())
        .collect();
    let search = PermutationSearch {
        gold: &k1,
        pred: &k2,
        pred_columns: &cols2,
        compatible: &compatible,
        budget: std::cell::Cell::new(SEARCH_BUDGET),
    };
    let found = search.extend(&mut Vec::with_capacity(ncols), &mut vec![false; ncols]);
    if search.budget.get() == 0 && !found {
        tracing::warn!(
            "column permutation search gave up after {SEARCH_BUDGET} cell comparisons \
             ({ncols} columns, {} rows): judged unequal",
            gold.len()
        );
    }
    found
}

/// Cells the column permutation search may compare before it gives up (and the results are
/// judged unequal): bounds the time of one comparison (well under a second) whatever the
/// results. Real queries need a tiny fraction of it.
const SEARCH_BUDGET: u64 = 50_000_000;

/// Backtracking over column assignments `gold column i <- pred column perm[i]`.
struct PermutationSearch<'a> {
    gold: &'a [Row],
    pred: &'a [Row],
    pred_columns: &'a [Vec<PyKey>],
    compatible: &'a [Vec<bool>],
    /// Cell comparisons left.
    budget: std::cell::Cell<u64>,
}

impl PermutationSearch<'_> {
    fn extend(&self, perm: &mut Vec<usize>, used: &mut [bool]) -> bool {
        let level = perm.len();
        if level == used.len() {
            return true;
        }
        let mut tried: Vec<usize> = Vec::new();
        for j in 0..used.len() {
            if used[j] || !self.compatible[level][j] {
                continue;
            }
            // A column identical to one already tried leads to the same outcome.
            if tried
                .iter()
                .any(|&t| self.pred_columns[t] == self.pred_columns[j])
            {
                continue;
            }
            tried.push(j);
            perm.push(j);
            used[j] = true;
            if self.prefix_matches(perm) && self.extend(perm, used) {
                return true;
            }
            used[j] = false;
            perm.pop();
        }
        false
    }

    /// Rows projected on the assigned columns agree as multisets (false once the budget is
    /// spent).
    fn prefix_matches(&self, perm: &[usize]) -> bool {
        let k = perm.len();
        let cost = (2 * k * self.gold.len()) as u64;
        match self.budget.get().checked_sub(cost) {
            Some(left) => self.budget.set(left),
            None => {
                self.budget.set(0);
                return false;
            }
        }
        multiset_eq(
            self.gold.iter().map(|r| r[..k].to_vec()),
            self.pred
                .iter()
                .map(|r| perm.iter().map(|&j| r[j].clone()).collect()),
        )
    }
}

/// BIRD's rule: `set(pred) == set(gold)`, rows compared as tuples (no column permutation).
pub(crate) fn set_eq(gold: &[Vec<Value>], pred: &[Vec<Value>]) -> bool {
    let a: HashSet<Row> = keys(gold).into_iter().collect();
    let b: HashSet<Row> = keys(pred).into_iter().collect();
    a == b
}

/// The paper's soft F1 between the first rows of gold and prediction (both non-empty gold).
///
/// Each row is a bag of values; for the i-th prediction row (while a gold row i exists) every
/// distinct value that occurs in gold row i adds its prediction count to the overlap.
/// `prec = overlap / gold cells`, `rec = overlap / prediction cells` (0 when there are none),
/// `F1 = 2 prec rec / (prec + rec + 1e-8)`. As in the reference, the result can exceed 1 when
/// a prediction row repeats a gold value more often than gold does.
pub(crate) fn soft_f1(gold: &[Vec<Value>], pred: &[Vec<Value>]) -> f64 {
    let bag = |row: &Vec<Value>| {
        let mut counts: HashMap<PyKey, usize> = HashMap::new();
        for v in row {
            *counts.entry(PyKey::of(v)).or_default() += 1;
        }
        counts
    };
    let gold_bags: Vec<_> = gold.iter().map(bag).collect();
    let pred_bags: Vec<_> = pred.iter().map(bag).collect();
    let overlap: usize = pred_bags
        .iter()
        .zip(&gold_bags)
        .map(|(p, g)| {
            p.iter()
                .filter(|(v, _)| g.contains_key(*v))
                .map(|(_, n)| n)
                .sum::<usize>()
        })
        .sum();
    let gold_sum: usize = gold.iter().map(Vec::len).sum();
    let pred_sum: usize = pred.iter().map(Vec::len).sum();
    let prec = overlap as f64 / gold_sum as f64;
    let rec = if pred_sum > 0 {
        overlap as f64 / pred_sum as f64
    } else {
        0.0
    };
    2.0 * prec * rec / (prec + rec + 1e-8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::{Integer as I, Null, Real as R, Text as T};

    fn t(s: &str) -> Value {
        T(s.to_string())
    }

    #[test]
    fn python_float_repr() {
        for (f, s) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (1.2345e20, "1.2345e+20"),
        ] {
            assert_eq!(py_float_repr(f), s);
        }
        assert_eq!(py_bytes_repr(b"a'\x01"), "b\"a'\\x01\"");
    }

    #[test]
    fn python_equality() {
        assert_eq!(PyKey::of(&I(1)), PyKey::of(&R(1.0)));
        assert_ne!(PyKey::of(&I(1)), PyKey::of(&t("1")));
        assert_ne!(PyKey::of(&R(1.5)), PyKey::of(&I(1)));
        assert_eq!(PyKey::of(&Null), PyKey::of(&Null));
    }

    #[test]
    fn result_eq_hand_cases() {
        let gold = vec![vec![I(1), t("a")], vec![I(2), t("b")]];
        // Column permutation.
        assert!(result_eq(
            &gold,
            &[vec![t("a"), I(1)], vec![t("b"), I(2)]],
            true
        ));
        // Row order matters only when asked.
        let swapped = vec![vec![I(2), t("b")], vec![I(1), t("a")]];
        assert!(result_eq(&gold, &swapped, false));
        assert!(!result_eq(&gold, &swapped, true));
        // Bag semantics: duplicates count.
        let dup_gold = vec![vec![I(1)], vec![I(1)], vec![I(2)]];
        assert!(!result_eq(
            &dup_gold,
            &[vec![I(1)], vec![I(2)], vec![I(2)]],
            false
        ));
        assert!(result_eq(
            &dup_gold,
            &[vec![I(2)], vec![I(1)], vec![I(1)]],
            false
        ));
        // 1 == 1.0, no tolerance.
        assert!(result_eq(&[vec![I(3)]], &[vec![R(3.0)]], false));
        assert!(!result_eq(&[vec![R(0.1 + 0.2)]], &[vec![R(0.3)]], false));
        // Empty results, shape mismatches.
        assert!(result_eq(&[], &[], true));
        assert!(!result_eq(&[vec![Null]], &[], false));
        assert!(!result_eq(&[vec![I(1)]], &[vec![I(1), I(1)]], false));
    }

    #[test]
    fn unordered_needs_one_permutation_for_all_rows() {
        // Rows agree once unordered and the column bags agree, yet no single column
        // permutation makes the row multisets equal.
        let row = |a, b, c| vec![I(a), I(b), I(c)];
        let gold = vec![row(2, 1, 3), row(3, 3, 1), row(2, 1, 3)];
        let pred = vec![row(3, 1, 3), row(3, 1, 2), row(1, 3, 2)];
        assert!(!result_eq(&gold, &pred, false));
        let pred_ok = vec![row(1, 3, 2), row(3, 1, 3), row(1, 3, 2)];
        assert!(result_eq(&gold, &pred_ok, false));
    }

    #[test]
    fn quick_rejection_is_reproduced_with_its_string_sort() {
        // Python: 1.0 == 1, but "1<class 'int'>" sorts after "1.5<class 'str'>" while
        // "1.0<class 'float'>" sorts before it, so the unordered rows differ and the
        // reference rejects a pair that is equal column by column.
        assert!(!result_eq(
            &[vec![R(1.0), t("1.5")]],
            &[vec![I(1), t("1.5")]],
            false
        ));
        assert!(result_eq(
            &[vec![R(1.0), t("1.0")]],
            &[vec![t("1.0"), R(1.0)]],
            false
        ));
        assert!(result_eq(
            &[vec![I(3), t("a")]],
            &[vec![t("a"), R(3.0)]],
            true
        ));
    }

    #[test]
    fn bird_is_set_equality() {
        let gold = vec![vec![I(1), t("a")], vec![I(1), t("a")]];
        assert!(set_eq(&gold, &[vec![R(1.0), t("a")]]));
        assert!(!set_eq(&gold, &[vec![t("a"), I(1)]]));
    }

    #[test]
    fn soft_f1_hand_cases() {
        let gold = vec![vec![I(1), t("a")], vec![I(2), t("b")]];
        assert!((soft_f1(&gold, &gold) - 1.0).abs() < 1e-6);
        // One of four cells overlaps: prec = 1/4, rec = 1/2, F1 = 1/3.
        let pred = vec![vec![I(1), t("x")]];
        assert!((soft_f1(&gold, &pred) - 1.0 / 3.0).abs() < 1e-6);
        // Row-aligned: a value from gold's second row in pred's first row does not count.
        assert!(soft_f1(&gold, &[vec![I(2)]]).abs() < 1e-9);
        // Repeated values count with the prediction's multiplicity (can exceed 1).
        let f = soft_f1(&[vec![I(1), I(2)]], &[vec![I(1), I(1), I(1)]]);
        assert!((f - 1.2).abs() < 1e-6, "{f}");
    }
}
