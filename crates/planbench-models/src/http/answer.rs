//! Answer probabilities from the top alternatives of the first generated token.

/// Probabilities of the answers, and whether the first answer had to be inferred.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    pub probs: Vec<f64>,
    /// The first answer was not among the alternatives (see [`score`]).
    pub fell_back: bool,
}

/// Scores `answers` against the first-token `alternatives` (token, probability).
///
/// Tokens match an answer after trimming whitespace on both, so `" Yes"` and `"Yes"` count
/// for `Yes`, and the probabilities of all matching tokens add up. An answer that is not among
/// the alternatives gets 0, except the first (positive) answer, which falls back as the
/// paper's OpenAI evaluator does: `1 − Σ P(other answers)` when some other answer is present,
/// and 0 when none is.
pub(crate) fn score(answers: &[String], alternatives: &[(String, f64)]) -> Scored {
    let found: Vec<Option<f64>> = answers
        .iter()
        .map(|answer| {
            let answer = answer.trim();
            alternatives
                .iter()
                .filter(|(token, _)| token.trim() == answer)
                .map(|(_, p)| *p)
                .reduce(|a, b| a + b)
                .map(|p| p.min(1.0))
        })
        .collect();
    let mut probs: Vec<f64> = found.iter().map(|p| p.unwrap_or(0.0)).collect();
    let fell_back = matches!(found.first(), Some(None));
    if fell_back && found[1..].iter().any(Option::is_some) {
        probs[0] = (1.0 - probs[1..].iter().sum::<f64>()).max(0.0);
    }
    Scored { probs, fell_back }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes_no() -> Vec<String> {
        vec!["Yes".into(), "No".into()]
    }

    fn alts(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
        pairs.iter().map(|(t, p)| (t.to_string(), *p)).collect()
    }

    #[test]
    fn sums_token_variants_with_leading_space() {
        let scored = score(
            &yes_no(),
            &alts(&[("Yes", 0.5), (" Yes", 0.2), ("No", 0.1), ("The", 0.1)]),
        );
        assert!(!scored.fell_back);
        assert!((scored.probs[0] - 0.7).abs() < 1e-12);
        assert!((scored.probs[1] - 0.1).abs() < 1e-12);
    }

    #[test]
    fn case_matters() {
        let scored = score(&yes_no(), &alts(&[("YES", 0.6), ("Yes", 0.3)]));
        assert!((scored.probs[0] - 0.3).abs() < 1e-12);
        assert_eq!(scored.probs[1], 0.0);
    }

    #[test]
    fn missing_yes_falls_back_to_one_minus_no() {
        let scored = score(&yes_no(), &alts(&[("No", 0.8), ("Maybe", 0.1)]));
        assert!(scored.fell_back);
        assert!((scored.probs[0] - 0.2).abs() < 1e-12);
        assert!((scored.probs[1] - 0.8).abs() < 1e-12);
    }

    #[test]
    fn neither_answer_scores_zero() {
        let scored = score(&yes_no(), &alts(&[("The", 0.9)]));
        assert!(scored.fell_back);
        assert_eq!(scored.probs, [0.0, 0.0]);
    }

    #[test]
    fn sums_are_capped_at_one() {
        let scored = score(&yes_no(), &alts(&[("Yes", 0.9), (" Yes", 0.9)]));
        assert_eq!(scored.probs[0], 1.0);
    }
}
