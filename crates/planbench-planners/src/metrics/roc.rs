//! Threshold-free and threshold rates of scores against labels, over pooled candidates.

/// The area under the ROC curve: the chance that a random correct candidate scores above a
/// random incorrect one, a tie counting half (the Mann-Whitney U over `P * N`). `None` unless
/// both labels occur.
pub(super) fn auroc(scored: &[(f64, bool)]) -> Option<f64> {
    let positives = scored.iter().filter(|(_, label)| *label).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Walk groups of equal scores upwards, counting the negatives below each group.
    let (mut wins, mut negatives_below, mut start) = (0.0, 0usize, 0);
    while start < sorted.len() {
        let score = sorted[start].0;
        let end = start + sorted[start..].partition_point(|(s, _)| *s == score);
        let group = &sorted[start..end];
        let group_positives = group.iter().filter(|(_, label)| *label).count();
        let group_negatives = group.len() - group_positives;
        wins += group_positives as f64 * (negatives_below as f64 + 0.5 * group_negatives as f64);
        negatives_below += group_negatives;
        start = end;
    }
    Some(wins / (positives as f64 * negatives as f64))
}

/// The shares of correct (true-positive rate) and of incorrect (false-positive rate)
/// candidates scored above `threshold`; each `None` without candidates of its label.
pub(super) fn rates_above(scored: &[(f64, bool)], threshold: f64) -> (Option<f64>, Option<f64>) {
    let rate = |label: bool| {
        let of_label: Vec<f64> = scored
            .iter()
            .filter(|(_, l)| *l == label)
            .map(|(s, _)| *s)
            .collect();
        let above = of_label.iter().filter(|s| **s > threshold).count();
        (!of_label.is_empty()).then(|| above as f64 / of_label.len() as f64)
    };
    (rate(true), rate(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auroc_counts_ties_half() {
        let separated = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        assert_eq!(auroc(&separated), Some(1.0));
        let reversed = [(0.1, true), (0.9, false)];
        assert_eq!(auroc(&reversed), Some(0.0));
        let tied = [(0.5, true), (0.5, false), (0.5, false)];
        assert_eq!(auroc(&tied), Some(0.5));
        // Positive 0.7 beats 0.3, ties 0.7 and loses to 0.9: (1 + 0.5 + 0) / 3.
        let mixed = [(0.3, false), (0.7, true), (0.9, false), (0.7, false)];
        assert_eq!(auroc(&mixed), Some(0.5));
        assert_eq!(auroc(&[(0.3, true)]), None);
        assert_eq!(auroc(&[]), None);
    }

    #[test]
    fn rates_count_scores_strictly_above_the_threshold() {
        let scored = [
            (0.5, true),
            (0.6, true),
            (0.9, false),
            (0.1, false),
            (0.2, false),
        ];
        assert_eq!(rates_above(&scored, 0.5), (Some(0.5), Some(1.0 / 3.0)));
        assert_eq!(rates_above(&[(0.7, false)], 0.5), (None, Some(1.0)));
    }
}
