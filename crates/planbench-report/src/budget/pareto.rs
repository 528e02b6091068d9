//! The Pareto frontier of (cost, accuracy) points.

/// Indices of the points of `points` (`(cost, accuracy)`) that no other point dominates, by
/// ascending cost (then ascending index). A point is dominated when another has at least its
/// accuracy at no more than its cost, and strictly more accuracy or strictly less cost; equal
/// points do not dominate each other, so both stay on the frontier.
pub fn pareto_frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let dominates =
        |q: (f64, f64), p: (f64, f64)| q.1 >= p.1 && q.0 <= p.0 && (q.1 > p.1 || q.0 < p.0);
    let mut frontier: Vec<usize> = (0..points.len())
        .filter(|&i| !points.iter().any(|&q| dominates(q, points[i])))
        .collect();
    frontier.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0).then(a.cmp(&b)));
    frontier
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_of_hand_points() {
        // (cost, accuracy)
        let points = [
            (10.0, 0.50), // 0: cheapest, on the frontier
            (20.0, 0.45), // 1: dominated by 0
            (30.0, 0.70), // 2: on the frontier
            (30.0, 0.60), // 3: same cost as 2, less accurate: dominated
            (25.0, 0.70), // 4: as accurate as 2 and cheaper: dominates 2
            (50.0, 0.90), // 5: most accurate, on the frontier
            (50.0, 0.90), // 6: equal to 5: both stay
            (60.0, 0.90), // 7: as accurate as 5 but dearer: dominated
        ];
        assert_eq!(pareto_frontier(&points), [0, 4, 5, 6]);
        assert_eq!(pareto_frontier(&[]), Vec::<usize>::new());
        assert_eq!(pareto_frontier(&[(1.0, 0.0)]), [0]);
        // The frontier is ordered by cost whatever the input order.
        assert_eq!(pareto_frontier(&[(9.0, 0.9), (1.0, 0.1)]), [1, 0]);
    }
}
