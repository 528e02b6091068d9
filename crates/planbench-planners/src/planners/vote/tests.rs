//! Known answers on constructed samples.

use std::sync::Arc;

use planbench_core::OracleRule;

use super::*;
use crate::context::Budget;
use crate::discriminators::OracleDiscriminator;
use crate::testkit::{
    assert_trace_fixture, context, context_with, example, LiteralTask, ScriptedDiscriminator,
    ScriptedGenerator,
};

fn generator(completions: &'static [&'static str]) -> Arc<ScriptedGenerator> {
    Arc::new(ScriptedGenerator::new(move |_| {
        completions.iter().map(|c| c.to_string()).collect()
    }))
}

fn vote_trace(trace: &Trace) -> &VoteTrace {
    match trace {
        Trace::Vote(t) | Trace::WeightedVote(t) => t,
        other => panic!("{other:?}"),
    }
}

/// (members, votes, score) of each cluster.
fn shape(trace: &VoteTrace) -> Vec<(Vec<usize>, usize, Option<f64>)> {
    trace
        .clusters
        .iter()
        .map(|c| (c.members.clone(), c.votes, c.score))
        .collect()
}

/// Sums 6, 6, 6, 7, 7 (one program sampled twice), then one that fails and one empty.
const SUMS: &[&str] = &[
    "2\n4\n=", "3\n3\n=", "1\n5\n=", "7\n=", " 7\n= ", "x\n=", "```",
];

#[tokio::test]
async fn the_majority_answer_wins_without_the_discriminator() {
    let generator = generator(SUMS);
    let discriminator = Arc::new(ScriptedDiscriminator::default());
    let ctx = context(&generator, &discriminator);
    let outcome = Vote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "2\n4\n=");
    assert!(discriminator.batches.lock().unwrap().is_empty());
    let trace = vote_trace(&outcome.trace);
    assert_eq!(shape(trace), [(vec![0, 1, 2], 3, None), (vec![3], 2, None)]);
    assert_eq!(trace.clusters[0].answer, "6");
    assert_eq!((trace.chosen_cluster, trace.chosen), (Some(0), Some(0)));
    assert_eq!(
        trace.samples,
        [Some(0), Some(1), Some(2), Some(3), Some(3), Some(4), None]
    );
    assert!(trace.candidates.iter().all(|c| c.score.is_none()));
    assert_eq!(outcome.cost.llm_calls, 1);
    assert!(outcome.cost.execution_seconds > 0.0);
    assert!(outcome.trace.scored_candidates().is_empty());
    assert_eq!(outcome.trace.samples().len(), 7);
    assert_trace_fixture("vote_done", &outcome.trace);
}

#[tokio::test]
async fn samples_vote_not_programs() {
    // 6 once, 7 three times (as one program): 7 wins although 6 came first.
    let generator = generator(&["3\n3\n=", "7\n=", " 7\n=", "7\n= "]);
    let discriminator = Arc::new(ScriptedDiscriminator::default());
    let outcome = Vote
        .plan(&context(&generator, &discriminator), &example())
        .await
        .unwrap();
    assert_eq!(outcome.program, "7\n=");
    assert_eq!(
        shape(vote_trace(&outcome.trace)),
        [(vec![0], 1, None), (vec![1], 3, None)]
    );
}

#[tokio::test]
async fn ties_go_to_the_cluster_sampled_first() {
    // 7: samples 0 and 2; 6: samples 1 and 3.
    let generator = generator(&["7\n=", "2\n4\n=", "3\n4\n=", "6\n="]);
    let discriminator = Arc::new(ScriptedDiscriminator::default());
    let ctx = context(&generator, &discriminator);
    let outcome = Vote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "7\n=");
    let trace = vote_trace(&outcome.trace);
    assert_eq!(shape(trace), [(vec![0, 2], 2, None), (vec![1, 3], 2, None)]);
    assert_eq!(trace.chosen_cluster, Some(0));

    // Weighted: 0.25 + 0.5 for 7 and 0.5 + 0.25 for 6 tie exactly.
    let discriminator = Arc::new(ScriptedDiscriminator::new(&[
        ("7\n=", 0.25),
        ("2\n4\n=", 0.5),
        ("3\n4\n=", 0.5),
        ("6\n=", 0.25),
    ]));
    let ctx = context(&generator, &discriminator);
    let outcome = WeightedVote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "7\n=");
    assert_eq!(
        shape(vote_trace(&outcome.trace)),
        [(vec![0, 2], 2, Some(0.75)), (vec![1, 3], 2, Some(0.75))]
    );
}

#[tokio::test]
async fn with_no_executable_sample_the_first_is_returned() {
    let generator = generator(&["```", "x\n=", "y\n=", "x\n="]);
    let discriminator = Arc::new(ScriptedDiscriminator::new(&[("y\n=", 0.9)]));
    for planner in [&Vote as &dyn Planner, &WeightedVote] {
        let ctx = context(&generator, &discriminator);
        let outcome = planner.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "x\n=", "{}", planner.name());
        let trace = vote_trace(&outcome.trace);
        assert!(trace.clusters.is_empty());
        assert_eq!((trace.chosen_cluster, trace.chosen), (None, Some(0)));
        assert_eq!(outcome.trace.stop(), Stop::Done);
    }
    // Nothing voted, so nothing was scored.
    assert!(discriminator.batches.lock().unwrap().is_empty());
}

#[tokio::test]
async fn weighted_voting_sums_scores_over_samples() {
    let generator = generator(SUMS);
    // 6: three programs at 0.25 (0.75); 7: one program at 0.5, sampled twice (1.0).
    let discriminator = Arc::new(ScriptedDiscriminator::new(&[
        ("2\n4\n=", 0.25),
        ("3\n3\n=", 0.25),
        ("1\n5\n=", 0.25),
        ("7\n=", 0.5),
        ("x\n=", 1.0),
    ]));
    let ctx = context(&generator, &discriminator);
    let outcome = WeightedVote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "7\n=");
    // Only the programs that vote are scored, once each.
    assert_eq!(
        *discriminator.batches.lock().unwrap(),
        vec![vec![
            "2\n4\n=".to_string(),
            "3\n3\n=".into(),
            "1\n5\n=".into(),
            "7\n=".into()
        ]]
    );
    let trace = vote_trace(&outcome.trace);
    assert_eq!(
        shape(trace),
        [(vec![0, 1, 2], 3, Some(0.75)), (vec![3], 2, Some(1.0))]
    );
    assert_eq!((trace.chosen_cluster, trace.chosen), (Some(1), Some(3)));
    assert_eq!(trace.candidates[4].score, None);
    assert_eq!(outcome.trace.scored_candidates().len(), 4);
    assert_eq!(outcome.cost.llm_calls, 1 + 4);
    assert_trace_fixture("weighted_vote_done", &outcome.trace);
}

#[tokio::test]
async fn weighted_voting_works_with_the_oracle() {
    let generator = generator(SUMS);
    let task: Arc<dyn planbench_core::Task> = Arc::new(crate::testkit::SumTask);
    let oracle = Arc::new(OracleDiscriminator::new(task, 1.0, OracleRule::Exact, 3));
    let mut ctx = context(&generator, &Arc::new(ScriptedDiscriminator::default()));
    ctx.discriminator = oracle;
    let outcome = WeightedVote.plan(&ctx, &example()).await.unwrap();
    // The perfect oracle scores the sums of 6 at 1 and 7 at 0.
    assert_eq!(outcome.program, "2\n4\n=");
    assert_eq!(
        shape(vote_trace(&outcome.trace)),
        [(vec![0, 1, 2], 3, Some(3.0)), (vec![3], 2, Some(0.0))]
    );
}

#[tokio::test]
async fn a_budget_stop_before_scoring_falls_back_to_the_votes() {
    let generator = generator(&["7\n=", "3\n3\n=", "6\n="]);
    let discriminator = Arc::new(ScriptedDiscriminator::new(&[("7\n=", 1.0)]));
    let mut ctx = context(&generator, &discriminator);
    ctx.budget = Budget {
        max_llm_calls: Some(1),
        max_seconds: None,
        ..Budget::default()
    };
    let outcome = WeightedVote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "3\n3\n=");
    assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
    assert!(discriminator.batches.lock().unwrap().is_empty());
    assert_eq!(
        shape(vote_trace(&outcome.trace)),
        [(vec![0], 1, None), (vec![1, 2], 2, None)]
    );
    assert_trace_fixture("weighted_vote_budget_llm_calls", &outcome.trace);

    ctx.budget = Budget {
        max_llm_calls: None,
        max_seconds: Some(0.0),
        ..Budget::default()
    };
    let outcome = Vote.plan(&ctx, &example()).await.unwrap();
    assert_eq!((outcome.program.as_str(), outcome.cost.llm_calls), ("", 0));
    assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::Seconds));
    assert_eq!(vote_trace(&outcome.trace).chosen, None);
}

#[tokio::test]
async fn answers_compare_with_python_equality() {
    // 18 and 18.0 are one answer; '18' (text, sampled twice) is another; None abstains.
    let generator = generator(&["None\n=", "18\n=", "'18'\n=", "18.0\n=", "'18'\n="]);
    let discriminator = Arc::new(ScriptedDiscriminator::default());
    let ctx = context_with(
        Arc::new(LiteralTask { tables: false }),
        &generator,
        &discriminator,
    );
    let outcome = Vote.plan(&ctx, &example()).await.unwrap();
    // A tie at two votes: the cluster of 18 was sampled first.
    assert_eq!(outcome.program, "18\n=");
    let trace = vote_trace(&outcome.trace);
    assert_eq!(shape(trace), [(vec![1, 3], 2, None), (vec![2], 2, None)]);
    assert_eq!(trace.clusters[1].answer, "18");
}

#[tokio::test]
async fn tables_are_equal_under_column_permutation_and_row_order() {
    let generator = generator(&[
        "9,z\n=",
        "1,a\n2,b\n=",
        "b,2\na,1\n=",
        "2.0,'b'\n1,a\n=",
        "1,a\n=",
        "fail\n=",
    ]);
    let discriminator = Arc::new(ScriptedDiscriminator::default());
    let ctx = context_with(
        Arc::new(LiteralTask { tables: true }),
        &generator,
        &discriminator,
    );
    let outcome = Vote.plan(&ctx, &example()).await.unwrap();
    assert_eq!(outcome.program, "1,a\n2,b\n=");
    let trace = vote_trace(&outcome.trace);
    assert_eq!(
        shape(trace),
        [
            (vec![0], 1, None),
            (vec![1, 2, 3], 3, None),
            (vec![4], 1, None)
        ]
    );
    assert_eq!(trace.clusters[1].answer, "2 rows x 2 columns: (1, a)");
    assert_eq!(trace.chosen_cluster, Some(1));
}
