//! Measured rates on constructed pools, with known answers.

use std::collections::HashMap;

use super::*;
use crate::testkit::{example, SumTask};

/// 8000 distinct candidates for "sum to 6", half of them correct.
fn pool() -> Vec<String> {
    (0..4000)
        .flat_map(|k: i64| [format!("{k}\n{}\n=", 6 - k), format!("{}\n=", k + 7)])
        .collect()
}

fn oracle(accuracy: f64, rule: OracleRule, seed: u64) -> OracleDiscriminator {
    OracleDiscriminator::new(Arc::new(SumTask), accuracy, rule, seed)
}

#[tokio::test]
async fn judgements_are_right_with_the_chosen_probability() {
    let programs = pool();
    let truths: Vec<f64> = programs
        .iter()
        .map(|p| SumTask.oracle_score(&example(), p, OracleRule::Exact))
        .collect();
    assert_eq!(truths.iter().sum::<f64>(), 4000.0);
    for accuracy in [0.6, 0.8, 0.9, 1.0] {
        let scores = oracle(accuracy, OracleRule::Exact, 3)
            .score(&example(), &programs)
            .await
            .unwrap();
        assert_eq!(scores.cost.llm_calls, 0);
        let right = scores
            .scores
            .iter()
            .zip(&truths)
            .filter(|(s, t)| s == t)
            .count();
        let measured = right as f64 / programs.len() as f64;
        assert!(
            (measured - accuracy).abs() <= 0.02,
            "P = {accuracy}: measured {measured}"
        );
    }
}

#[tokio::test]
async fn wrong_judgements_invert_soft_scores() {
    // "4" is 2 away from 6: true paper score 1/3.
    let programs = vec!["4\n=".to_string()];
    let right = oracle(1.0, OracleRule::Paper, 0)
        .score(&example(), &programs)
        .await
        .unwrap();
    let wrong = oracle(0.0, OracleRule::Paper, 0)
        .score(&example(), &programs)
        .await
        .unwrap();
    assert!((right.scores[0] - 1.0 / 3.0).abs() < 1e-12);
    assert!((wrong.scores[0] - 2.0 / 3.0).abs() < 1e-12);
    // A program that does not execute is judged 0, or 1 when the judgement is wrong.
    let broken = vec!["x\n=".to_string()];
    let wrong = oracle(0.0, OracleRule::Paper, 0)
        .score(&example(), &broken)
        .await
        .unwrap();
    assert_eq!(wrong.scores, vec![1.0]);
}

#[tokio::test]
async fn draws_do_not_depend_on_order_or_concurrency() {
    let programs = pool();
    let judge = oracle(0.7, OracleRule::Exact, 11);
    let ex = example();
    let whole = judge.score(&ex, &programs).await.unwrap().scores;
    let by_program: HashMap<&String, f64> = programs.iter().zip(whole.iter().copied()).collect();

    // Reversed, in concurrent chunks, and spelled differently (same normalized program).
    let reversed: Vec<String> = programs.iter().rev().map(|p| format!(" {p} ")).collect();
    let chunks = futures::future::try_join_all(reversed.chunks(97).map(|c| judge.score(&ex, c)))
        .await
        .unwrap();
    let again: Vec<f64> = chunks.into_iter().flat_map(|s| s.scores).collect();
    for (program, score) in programs.iter().rev().zip(again) {
        assert_eq!(by_program[program], score, "{program:?}");
    }

    let other_seed = oracle(0.7, OracleRule::Exact, 12)
        .score(&ex, &programs)
        .await
        .unwrap();
    assert_ne!(whole, other_seed.scores);
}

fn configured(config: OracleConfig, seed: u64) -> OracleDiscriminator {
    OracleDiscriminator::with_config(Arc::new(SumTask), config, seed).unwrap()
}

fn exact(noise: OracleNoise, draws: OracleDraws) -> OracleConfig {
    OracleConfig {
        noise,
        rule: OracleRule::Exact,
        draws,
        ..OracleConfig::default()
    }
}

/// [`pool`] without programs that normalize alike (per-call draws count normalized programs).
fn distinct_pool() -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    pool()
        .into_iter()
        .filter(|p| seen.insert(SumTask.normalize(p)))
        .collect()
}

/// Equal score lists, without printing thousands of scores when they differ.
fn same(a: &[f64], b: &[f64]) -> bool {
    a == b
}

fn share(count: usize, of: usize) -> f64 {
    count as f64 / of as f64
}

#[tokio::test]
async fn per_call_draws_give_a_program_scored_again_a_new_draw() {
    let programs = distinct_pool();
    assert!(programs.len() > 7000);
    let ex = example();
    let flip = OracleNoise::Flip { accuracy: 0.5 };
    let per_candidate = configured(exact(flip, OracleDraws::PerCandidate), 5);
    let once = per_candidate.score(&ex, &programs).await.unwrap().scores;
    assert_eq!(
        per_candidate.score(&ex, &programs).await.unwrap().scores,
        once
    );

    let per_call = configured(exact(flip, OracleDraws::PerCall), 5);
    assert_eq!(
        per_call.describe(),
        "oracle(accuracy=0.5,rule=exact,draws=per-call,seed=5)"
    );
    // The first scoring draws as per-candidate draws do; the second draws again.
    let first = per_call.score(&ex, &programs).await.unwrap().scores;
    assert!(same(&first, &once));
    let second = per_call.score(&ex, &programs).await.unwrap().scores;
    let changed = first.iter().zip(&second).filter(|(a, b)| a != b).count();
    let changed = share(changed, programs.len());
    assert!((changed - 0.5).abs() <= 0.02, "changed {changed}");

    // The count is per (example, program), not a global call order: a fresh oracle scoring in
    // reversed concurrent chunks gives every program the same two draws.
    let again = configured(exact(flip, OracleDraws::PerCall), 5);
    let reversed: Vec<String> = programs.iter().rev().cloned().collect();
    for expected in [&first, &second] {
        let chunks =
            futures::future::try_join_all(reversed.chunks(97).map(|c| again.score(&ex, c)))
                .await
                .unwrap();
        let mut scores: Vec<f64> = chunks.into_iter().flat_map(|s| s.scores).collect();
        scores.reverse();
        assert!(same(&scores, expected));
    }
    // Another example has its own counts.
    let other = Example {
        id: "toy/1".into(),
        ..example()
    };
    let elsewhere = per_candidate.score(&other, &programs).await.unwrap().scores;
    assert_eq!(
        again.score(&other, &programs).await.unwrap().scores,
        elsewhere
    );
}

#[tokio::test]
async fn separate_rates_are_measured_on_correct_and_wrong_programs() {
    let programs = pool();
    let ex = example();
    let correct: Vec<bool> = programs
        .iter()
        .map(|p| SumTask.is_correct(&ex, p))
        .collect();
    let noise = OracleNoise::Rates { tpr: 0.9, fpr: 0.2 };
    let judge = configured(exact(noise, OracleDraws::PerCandidate), 2);
    assert_eq!(
        judge.describe(),
        "oracle(tpr=0.9,fpr=0.2,rule=exact,seed=2)"
    );
    let scores = judge.score(&ex, &programs).await.unwrap().scores;
    let positive = |want: bool| {
        let of: Vec<f64> = scores
            .iter()
            .zip(&correct)
            .filter(|(_, c)| **c == want)
            .map(|(s, _)| *s)
            .collect();
        share(of.iter().filter(|s| **s == 1.0).count(), of.len())
    };
    let (tpr, fpr) = (positive(true), positive(false));
    assert!((tpr - 0.9).abs() <= 0.02, "tpr {tpr}");
    assert!((fpr - 0.2).abs() <= 0.02, "fpr {fpr}");

    // The symmetric rates are the flip oracle, judgement for judgement.
    let symmetric = OracleNoise::Rates { tpr: 0.7, fpr: 0.3 };
    let flip = OracleNoise::Flip { accuracy: 0.7 };
    let by_rates = configured(exact(symmetric, OracleDraws::PerCandidate), 2);
    let by_flip = configured(exact(flip, OracleDraws::PerCandidate), 2);
    assert!(same(
        &by_rates.score(&ex, &programs).await.unwrap().scores,
        &by_flip.score(&ex, &programs).await.unwrap().scores
    ));
}

#[tokio::test]
async fn gaussian_noise_has_the_chosen_spread_and_stays_in_the_unit_interval() {
    let programs = pool();
    let ex = example();
    // Paper levels: a wrong sum is 0.5, far from the clipping bounds at sigma 0.1.
    let config = OracleConfig {
        noise: OracleNoise::Gaussian { sigma: 0.1 },
        levels: planbench_core::OracleLevels::Paper,
        ..OracleConfig::default()
    };
    let judge = configured(config, 9);
    assert_eq!(
        judge.describe(),
        "oracle(sigma=0.1,rule=paper,levels=paper,seed=9)"
    );
    let scores = judge.score(&ex, &programs).await.unwrap().scores;
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    let wrong: Vec<f64> = programs
        .iter()
        .zip(&scores)
        .filter(|(p, _)| !SumTask.is_correct(&ex, p))
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(wrong.len(), 4000);
    let mean = wrong.iter().sum::<f64>() / wrong.len() as f64;
    let sd = (wrong.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / wrong.len() as f64).sqrt();
    assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    assert!((sd - 0.1).abs() < 0.01, "sd {sd}");
    // Deterministic per draw.
    assert!(same(
        &judge.score(&ex, &programs).await.unwrap().scores,
        &scores
    ));
}

#[tokio::test]
async fn programs_the_oracle_cannot_be_wrong_about_keep_their_score() {
    // A gold that is not a number flips nothing (as the paper's evaluator when the gold fails).
    let broken_gold = Example {
        gold: "six".into(),
        ..example()
    };
    let programs = vec!["6\n=".to_string(), "x\n=".into(), "1\n=".into()];
    for noise in [
        OracleNoise::Flip { accuracy: 0.0 },
        OracleNoise::Rates { tpr: 0.0, fpr: 1.0 },
        OracleNoise::Gaussian { sigma: 5.0 },
    ] {
        let judge = configured(exact(noise, OracleDraws::PerCall), 1);
        for _ in 0..2 {
            let scores = judge.score(&broken_gold, &programs).await.unwrap().scores;
            assert_eq!(scores, vec![0.0; 3], "{noise:?}");
        }
    }
}

#[tokio::test]
async fn levels_reach_the_task() {
    let programs = vec!["6\n=".to_string(), "4\n=".into(), "x\n=".into()];
    let paper = |accuracy: f64| OracleConfig {
        noise: OracleNoise::Flip { accuracy },
        levels: planbench_core::OracleLevels::Paper,
        ..OracleConfig::default()
    };
    let right = configured(paper(1.0), 0)
        .score(&example(), &programs)
        .await
        .unwrap();
    assert_eq!(right.scores, vec![1.0, 0.5, 0.0]);
    let wrong = configured(paper(0.0), 0)
        .score(&example(), &programs)
        .await
        .unwrap();
    assert_eq!(wrong.scores, vec![0.5, 1.0, 1.0]);
    assert!(OracleDiscriminator::with_config(
        Arc::new(SumTask),
        exact(OracleNoise::Flip { accuracy: 2.0 }, OracleDraws::PerCall),
        0
    )
    .is_err());
}
