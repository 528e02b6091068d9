//! Compute matching: the point of a baseline's budget curve closest in mean tokens.

/// Index of the value of `curve` (mean tokens per example of a baseline's points) nearest to
/// `tokens` in absolute difference; a tie goes to the cheaper point, then the earlier one.
/// `None` for an empty curve.
pub fn nearest_by_tokens(tokens: f64, curve: &[f64]) -> Option<usize> {
    (0..curve.len()).min_by(|&a, &b| {
        let distance = |i: usize| (curve[i] - tokens).abs();
        distance(a)
            .total_cmp(&distance(b))
            .then(curve[a].total_cmp(&curve[b]))
            .then(a.cmp(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_point_in_tokens() {
        let curve = [100.0, 400.0, 1600.0, 6400.0];
        assert_eq!(nearest_by_tokens(90.0, &curve), Some(0));
        assert_eq!(nearest_by_tokens(300.0, &curve), Some(1));
        assert_eq!(nearest_by_tokens(1100.0, &curve), Some(2));
        assert_eq!(nearest_by_tokens(99_999.0, &curve), Some(3));
        // 250 is 150 from both 100 and 400: the cheaper one.
        assert_eq!(nearest_by_tokens(250.0, &curve), Some(0));
        // The curve need not be sorted.
        assert_eq!(nearest_by_tokens(1500.0, &[6400.0, 1600.0, 100.0]), Some(1));
        assert_eq!(nearest_by_tokens(10.0, &[]), None);
    }
}
