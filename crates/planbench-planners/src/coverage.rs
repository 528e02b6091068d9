//! Coverage: how often at least one of k samples is correct, the ceiling of any selection
//! among them.

/// The unbiased pass@k estimator of Chen et al. 2021 (arXiv 2107.03374) from `n` samples of
/// which `c` are correct: `1 - C(n - c, k) / C(n, k)`, the chance that k samples drawn without
/// replacement from the n include a correct one.
///
/// Computed as the product `1 - prod_{i = n-c+1}^{n} (1 - k / i)`, which stays exact in
/// floating point where the binomials would overflow. `k = 0` gives 0; `k` and `c` above `n`
/// are clamped to `n` (k samples cannot be drawn from fewer), so `n = 0` gives 0.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> f64 {
    let (c, k) = (c.min(n), k.min(n));
    if k == 0 || c == 0 {
        return 0.0;
    }
    if n - c < k {
        return 1.0;
    }
    let all_wrong: f64 = (n - c + 1..=n).map(|i| 1.0 - k as f64 / i as f64).product();
    1.0 - all_wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn matches_hand_computed_values() {
        // pass@1 is the share of correct samples.
        assert!(close(pass_at_k(10, 3, 1), 0.3));
        // 1 - C(3,2)/C(5,2) = 1 - 3/10.
        assert!(close(pass_at_k(5, 2, 2), 0.7));
        // 1 - C(4,3)/C(6,3) = 1 - 4/20.
        assert!(close(pass_at_k(6, 2, 3), 0.8));
        // 1 - C(14,4)/C(16,4) = 1 - 1001/1820.
        assert!(close(pass_at_k(16, 2, 4), 1.0 - 1001.0 / 1820.0));
        // Too few wrong samples to fill k draws: always a correct one.
        assert_eq!(pass_at_k(5, 4, 2), 1.0);
        assert_eq!(pass_at_k(5, 5, 1), 1.0);
        assert_eq!(pass_at_k(5, 0, 5), 0.0);
    }

    #[test]
    fn large_pools_stay_finite_and_degenerate_inputs_are_clamped() {
        // C(1000, 500) overflows f64; the product does not.
        let p = pass_at_k(1000, 1, 500);
        assert!(close(p, 0.5), "{p}");
        assert_eq!(pass_at_k(0, 0, 1), 0.0);
        assert_eq!(pass_at_k(5, 2, 0), 0.0);
        assert_eq!(pass_at_k(3, 1, 10), 1.0);
        assert_eq!(pass_at_k(3, 7, 1), 1.0);
    }
}
