//! Result tables equal as multisets of rows up to a permutation of the columns.

use planbench_core::Value;

use super::Key;

/// Cells the column-permutation search may compare before it gives up and calls the tables
/// different; bounds one comparison to a fraction of a second whatever the tables.
const SEARCH_CELLS: u64 = 20_000_000;

/// Whether some permutation of `b`'s columns makes its rows the same multiset as `a`'s, values
/// compared with Python's `==`. Two empty tables are equal whatever their columns; tables with
/// different numbers of rows or columns are not.
///
/// Every rows-as-bags-of-values check that fails rules the pair out at once; otherwise columns
/// are assigned one at a time, each only to a column holding the same multiset of values, and a
/// partial assignment survives only while the rows projected on it agree as multisets. A search
/// that runs past [`SEARCH_CELLS`] compared cells answers "different".
pub(super) fn same_rows_up_to_permutation(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    if a.is_empty() && b.is_empty() {
        return true;
    }
    if a.len() != b.len() {
        return false;
    }
    let width = a[0].len();
    if a.iter().chain(b).any(|row| row.len() != width) {
        return false;
    }
    let (rows_a, rows_b) = (keys(a), keys(b));
    let as_bags = |rows: &[Vec<Key>]| sorted(rows.iter().map(|row| sorted(row.iter().cloned())));
    if as_bags(&rows_a) != as_bags(&rows_b) {
        return false;
    }
    let column = |rows: &[Vec<Key>], c: usize| -> Vec<Key> {
        rows.iter().map(|row| row[c].clone()).collect()
    };
    let columns_b: Vec<Vec<Key>> = (0..width).map(|c| column(&rows_b, c)).collect();
    let bag_a: Vec<Vec<Key>> = (0..width)
        .map(|c| sorted(column(&rows_a, c).into_iter()))
        .collect();
    let bag_b: Vec<Vec<Key>> = columns_b
        .iter()
        .map(|c| sorted(c.iter().cloned()))
        .collect();
    let mut search = Search {
        rows_a: &rows_a,
        rows_b: &rows_b,
        columns_b: &columns_b,
        fits: (0..width)
            .map(|i| (0..width).map(|j| bag_a[i] == bag_b[j]).collect())
            .collect(),
        cells_left: SEARCH_CELLS,
    };
    search.extend(&mut Vec::with_capacity(width), &mut vec![false; width])
}

fn keys(rows: &[Vec<Value>]) -> Vec<Vec<Key>> {
    rows.iter()
        .map(|row| row.iter().map(Key::of).collect())
        .collect()
}

fn sorted<T: Ord>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut items: Vec<T> = items.collect();
    items.sort_unstable();
    items
}

/// Backtracking over assignments "column i of a is column `perm[i]` of b".
struct Search<'a> {
    rows_a: &'a [Vec<Key>],
    rows_b: &'a [Vec<Key>],
    columns_b: &'a [Vec<Key>],
    /// `fits[i][j]`: column i of a and column j of b hold the same multiset of values.
    fits: Vec<Vec<bool>>,
    cells_left: u64,
}

impl Search<'_> {
    fn extend(&mut self, perm: &mut Vec<usize>, used: &mut [bool]) -> bool {
        let level = perm.len();
        if level == used.len() {
            return true;
        }
        let mut tried: Vec<usize> = Vec::new();
        for j in 0..used.len() {
            if used[j] || !self.fits[level][j] {
                continue;
            }
            // A column equal to one tried at this level leads to the same outcome.
            if tried
                .iter()
                .any(|&t| self.columns_b[t] == self.columns_b[j])
            {
                continue;
            }
            tried.push(j);
            perm.push(j);
            used[j] = true;
            if self.projections_agree(perm) && self.extend(perm, used) {
                return true;
            }
            used[j] = false;
            perm.pop();
        }
        false
    }

    /// The rows of a on columns `0..perm.len()` and of b on `perm` are the same multiset
    /// (false once the search has compared its share of cells).
    fn projections_agree(&mut self, perm: &[usize]) -> bool {
        let cost = 2 * (perm.len() * self.rows_a.len()) as u64;
        let Some(left) = self.cells_left.checked_sub(cost) else {
            self.cells_left = 0;
            return false;
        };
        self.cells_left = left;
        let projected_a = sorted(self.rows_a.iter().map(|row| &row[..perm.len()]));
        let projected_b = sorted(
            self.rows_b
                .iter()
                .map(|row| perm.iter().map(|&j| &row[j]).collect::<Vec<_>>()),
        );
        projected_a
            .iter()
            .zip(&projected_b)
            .all(|(x, y)| x.iter().eq(y.iter().copied()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::{Integer as I, Null, Real as R, Text};

    fn t(s: &str) -> Value {
        Text(s.into())
    }

    #[test]
    fn rows_may_come_in_any_order_and_columns_in_any_permutation() {
        let a = vec![vec![I(1), t("x")], vec![I(2), t("y")], vec![I(2), t("y")]];
        let b = vec![vec![t("y"), R(2.0)], vec![t("x"), I(1)], vec![t("y"), I(2)]];
        assert!(same_rows_up_to_permutation(&a, &b));
        assert!(same_rows_up_to_permutation(&b, &a));
        // A multiset, not a set: the duplicate row counts.
        let c = vec![vec![t("y"), I(2)], vec![t("x"), I(1)], vec![t("x"), I(1)]];
        assert!(!same_rows_up_to_permutation(&a, &c));
    }

    #[test]
    fn columns_with_equal_values_must_still_pair_rows() {
        // Both columns hold {1, 2} in each table, but the rows differ: (1,1),(2,2) vs (1,2),(2,1).
        let a = vec![vec![I(1), I(1)], vec![I(2), I(2)]];
        let b = vec![vec![I(1), I(2)], vec![I(2), I(1)]];
        assert!(!same_rows_up_to_permutation(&a, &b));
        // Three columns where only one permutation works.
        let a = vec![vec![I(1), I(2), I(3)], vec![I(2), I(3), I(1)]];
        let b = vec![vec![I(3), I(1), I(2)], vec![I(1), I(2), I(3)]];
        assert!(same_rows_up_to_permutation(&a, &b));
    }

    #[test]
    fn shapes_and_values_must_agree() {
        assert!(same_rows_up_to_permutation(&[], &[]));
        assert!(!same_rows_up_to_permutation(&[vec![I(1)]], &[]));
        assert!(!same_rows_up_to_permutation(
            &[vec![I(1)]],
            &[vec![I(1), I(1)]]
        ));
        assert!(!same_rows_up_to_permutation(&[vec![I(1)]], &[vec![t("1")]]));
        assert!(same_rows_up_to_permutation(&[vec![Null]], &[vec![Null]]));
        assert!(!same_rows_up_to_permutation(
            &[vec![R(0.5)]],
            &[vec![R(0.25)]]
        ));
    }

    #[test]
    fn wide_tables_of_identical_columns_are_fast() {
        // Twelve identical columns: the search tries each distinct column once per level.
        let row: Vec<Value> = vec![I(7); 12];
        let a = vec![row.clone(); 50];
        assert!(same_rows_up_to_permutation(&a, &a.clone()));
    }
}
