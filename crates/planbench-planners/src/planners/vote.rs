//! Voting: sample n programs, execute them, group them by answer, return the first member of
//! the cluster with the most votes (self-consistency) or the highest total score (weighted
//! best-of-n).

use async_trait::async_trait;
use planbench_core::{Example, Output};
use serde_json::json;

use super::{first_best, Planner, PlannerKind};
use crate::answers;
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Session};
use crate::steps::Sampled;
use crate::trace::{BudgetStop, Candidate, Cluster, Stop, Trace, VoteTrace};

/// Self-consistency: the run's n samples (one request of the default draw) are executed and
/// grouped by answer (GSM8K: the `answer` value under Python's `==`; Spider: the result table
/// as a multiset of rows up to column order, in any row order). Every sample votes for its
/// cluster, so a program sampled twice votes twice; samples without a program, that fail to
/// execute or that assign no answer do not vote. The cluster with the most votes wins (ties:
/// the one whose first member was sampled first) and its first member is returned; with no
/// votes at all, the first sample. The discriminator is never called.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vote;

/// Weighted voting (search-and-learn's weighted best-of-n): as [`Vote`], but the cluster with
/// the largest sum of discriminator scores over its samples wins (ties: the earlier cluster).
/// Only the programs that vote are scored, once each, together. When a budget stop leaves a
/// cluster unscored, the votes decide.
#[derive(Debug, Clone, Copy, Default)]
pub struct WeightedVote;

#[async_trait]
impl Planner for Vote {
    fn name(&self) -> &'static str {
        PlannerKind::Vote.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({})
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        plan_vote(ctx, example, false).await
    }
}

#[async_trait]
impl Planner for WeightedVote {
    fn name(&self) -> &'static str {
        PlannerKind::WeightedVote.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({})
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        plan_vote(ctx, example, true).await
    }
}

async fn plan_vote(
    ctx: &PlanContext,
    example: &Example,
    weighted: bool,
) -> Result<PlanOutcome, PlanError> {
    let mut session = Session::new(ctx, example)?;
    let draw = session.default_draw();
    let mut budget: Option<BudgetStop> = None;
    let Sampled { programs, samples } = match session.sample_every(draw).await.budgeted()? {
        Ok(sampled) => sampled,
        Err(stop) => {
            budget = Some(stop);
            Sampled::default()
        }
    };
    let mut outputs: Vec<Option<Output>> = vec![None; programs.len()];
    if budget.is_none() {
        match session.execute_all(&programs).await.budgeted()? {
            Ok(executions) => {
                outputs = executions.into_iter().map(|e| e.result.ok()).collect();
            }
            Err(stop) => budget = Some(stop),
        }
    }
    let mut scores: Vec<Option<f64>> = vec![None; programs.len()];
    if weighted && budget.is_none() {
        let voters = voters(&outputs);
        let voting: Vec<String> = voters.iter().map(|&i| programs[i].clone()).collect();
        if !voting.is_empty() {
            let batch = session.score(&voting).await?;
            for (&i, score) in voters.iter().zip(batch.done) {
                scores[i] = Some(score);
            }
            budget = batch.stop;
        }
    }
    let Decision {
        clusters,
        chosen_cluster,
        chosen,
    } = decide(&samples, &outputs, &scores);
    let program = chosen.map(|i| programs[i].clone()).unwrap_or_default();
    let candidates = programs
        .into_iter()
        .zip(scores)
        .map(|(program, score)| Candidate { program, score })
        .collect();
    let stop = Stop::Done.unless_budget(budget);
    Ok(session.finish(program, stop, |ending| {
        let trace = VoteTrace {
            candidates,
            samples,
            clusters,
            chosen_cluster,
            chosen,
            ending,
        };
        if weighted {
            Trace::WeightedVote(trace)
        } else {
            Trace::Vote(trace)
        }
    }))
}

/// What voting decided: the clusters, the winner and the returned candidate.
pub(crate) struct Decision {
    pub clusters: Vec<Cluster>,
    /// The winning cluster (none when no candidate voted).
    pub chosen_cluster: Option<usize>,
    /// The winning cluster's first member, or the first candidate when none voted (none
    /// without candidates).
    pub chosen: Option<usize>,
}

/// The candidates (indices of `outputs`) that vote: those with an output that can vote, in
/// candidate order.
fn voters(outputs: &[Option<Output>]) -> Vec<usize> {
    outputs
        .iter()
        .enumerate()
        .filter_map(|(i, output)| output.as_ref().filter(|o| answers::votes(o)).map(|_| i))
        .collect()
}

/// Voting over candidates: `samples` gives each sample's candidate (`None`: no program),
/// `outputs` each candidate's execution output (`None`: it did not run; outputs that cannot
/// vote abstain) and `scores` each candidate's score (weighted voting; all `None` for plain
/// voting). When every cluster is scored, the highest score sum wins, otherwise the most votes
/// (ties: the earlier cluster).
pub(crate) fn decide(
    samples: &[Option<usize>],
    outputs: &[Option<Output>],
    scores: &[Option<f64>],
) -> Decision {
    let voting: Vec<Option<&Output>> = outputs
        .iter()
        .map(|output| output.as_ref().filter(|o| answers::votes(o)))
        .collect();
    let groups = answers::group(&voting);
    let clusters = tally(&groups, samples, scores, &voting);
    let chosen_cluster = winner(&clusters);
    let chosen = chosen_cluster
        .map(|k| clusters[k].members[0])
        .or((!outputs.is_empty()).then_some(0));
    Decision {
        clusters,
        chosen_cluster,
        chosen,
    }
}

/// The clusters of `groups` (candidate indices) with their votes and, when every member is
/// scored, the sum of their samples' scores, added in sample order.
fn tally(
    groups: &[Vec<usize>],
    samples: &[Option<usize>],
    scores: &[Option<f64>],
    outputs: &[Option<&Output>],
) -> Vec<Cluster> {
    let mut clusters: Vec<Cluster> = groups
        .iter()
        .map(|members| Cluster {
            answer: outputs[members[0]]
                .map(answers::describe)
                .unwrap_or_default(),
            members: members.clone(),
            votes: 0,
            score: members
                .iter()
                .all(|&m| scores.get(m).copied().flatten().is_some())
                .then_some(0.0),
        })
        .collect();
    for candidate in samples.iter().flatten() {
        let Some(cluster) = clusters.iter_mut().find(|c| c.members.contains(candidate)) else {
            continue;
        };
        cluster.votes += 1;
        if let (Some(sum), Some(score)) = (
            cluster.score.as_mut(),
            scores.get(*candidate).copied().flatten(),
        ) {
            *sum += score;
        }
    }
    clusters
}

/// The winning cluster: the first highest score sum when every cluster is scored, otherwise the
/// first with the most votes.
fn winner(clusters: &[Cluster]) -> Option<usize> {
    let sums: Option<Vec<f64>> = clusters.iter().map(|c| c.score).collect();
    let weights = sums.unwrap_or_else(|| clusters.iter().map(|c| c.votes as f64).collect());
    first_best(&weights)
}

#[cfg(test)]
mod tests;
