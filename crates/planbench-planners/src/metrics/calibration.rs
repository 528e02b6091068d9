//! Expected calibration error.

/// The number of equal-width score bins of the expected calibration error.
pub const CALIBRATION_BINS: usize = 10;

/// The expected calibration error over `bins` equal-width bins of [0, 1]: the candidate-weighted
/// mean over bins of |share correct − mean score|, i.e. the sum over bins of
/// |correct − sum of scores| divided by the number of candidates. Bin b holds scores in
/// [b/bins, (b+1)/bins), the last one also 1; scores outside [0, 1] fall into the end bins.
/// `None` without candidates (or without bins).
pub(super) fn expected_calibration_error(scored: &[(f64, bool)], bins: usize) -> Option<f64> {
    if scored.is_empty() || bins == 0 {
        return None;
    }
    // Per bin: (correct candidates, sum of scores).
    let mut totals = vec![(0usize, 0.0f64); bins];
    for &(score, label) in scored {
        let bin = ((score.clamp(0.0, 1.0) * bins as f64).floor() as usize).min(bins - 1);
        totals[bin].0 += usize::from(label);
        totals[bin].1 += score;
    }
    let gaps: f64 = totals
        .iter()
        .map(|(correct, scores)| (*correct as f64 - scores).abs())
        .sum();
    Some(gaps / scored.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn matches_hand_computed_values() {
        // Bin 2: 0.2 and 0.25, one correct: |1 - 0.45|. Bin 8: 0.8, correct: |1 - 0.8|.
        // Bin 9: 1.0, incorrect: |0 - 1|. Total 1.75 over 4 candidates.
        let scored = [(0.2, true), (0.25, false), (0.8, true), (1.0, false)];
        assert!(close(expected_calibration_error(&scored, 10), 1.75 / 4.0));
        // One bin: |2 - 2.0| / 4 = 0.
        let calibrated = [(0.5, true), (0.5, false), (0.5, true), (0.5, false)];
        assert!(close(expected_calibration_error(&calibrated, 10), 0.0));
        // 0.1 opens bin 1 and is not mixed with 0.05 (bin 0): 0.05 + 0.9 over 2.
        let edges = [(0.05, false), (0.1, true)];
        assert!(close(expected_calibration_error(&edges, 10), 0.95 / 2.0));
        assert_eq!(expected_calibration_error(&[], 10), None);
    }
}
