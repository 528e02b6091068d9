//! Holm(-Bonferroni) step-down adjustment of a family of p-values.

/// Holm-adjusted p-values, in the order of `p_values`.
///
/// With the `m` p-values sorted ascending, `p_(1) <= … <= p_(m)`, the adjusted value of the
/// `i`-th smallest is `max over j <= i of min(1, (m - j + 1) * p_(j))`. Rejecting where the
/// adjusted value is below `alpha` controls the family-wise error rate at `alpha`
/// (Holm 1979). Ties keep their input order; an empty family gives an empty result.
pub fn holm_adjust(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &index) in order.iter().enumerate() {
        let scaled = ((m - rank) as f64 * p_values[index]).min(1.0);
        running = running.max(scaled);
        adjusted[index] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn holm_matches_hand_computed_values() {
        // Sorted: 0.005 * 4 = 0.02; 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04 -> 0.06.
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03, 0.005]);
        assert!(close(&adjusted, &[0.03, 0.06, 0.06, 0.02]), "{adjusted:?}");
        // Capped at 1, and monotone.
        let adjusted = holm_adjust(&[0.5, 0.2, 0.9]);
        assert!(close(&adjusted, &[1.0, 0.6, 1.0]), "{adjusted:?}");
        // A family of one is not adjusted.
        assert!(close(&holm_adjust(&[0.03]), &[0.03]));
        assert!(holm_adjust(&[]).is_empty());
        // Ties: both smallest get 3 * 0.01, the last 1 * 0.2.
        assert!(close(&holm_adjust(&[0.01, 0.2, 0.01]), &[0.03, 0.2, 0.03]));
    }
}
