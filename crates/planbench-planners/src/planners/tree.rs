//! The paper's MC-ToT: best-first search over partial programs valued by Monte-Carlo rollouts.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{Planner, PlannerKind};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Interrupt, Session};
use crate::steps::next_steps;
use crate::trace::{self, BudgetStop, Candidate, Stop, Trace, TreeTrace};

/// Best-first tree search ("MC-ToT" in the paper).
///
/// Each expansion samples n continuations of the current partial program and takes the first
/// new step of each. Every distinct step is valued by the best discriminator score of n
/// rollouts completed from it (a step that completes the program is its own rollout); steps
/// none of whose rollouts executes are pruned, the rest join a priority queue, and the best
/// queued partial program is popped next. The search returns the first complete program popped;
/// after `max_expansions` expansions it returns the last popped partial program, and when the
/// queue runs dry it returns the first sample of the last expansion.
#[derive(Debug, Clone, Copy)]
pub struct MonteCarloTreeOfThought {
    pub max_expansions: usize,
}

/// A partial program in the search tree.
struct Node {
    parent: Option<usize>,
    program: String,
    complete: bool,
    rollouts: Vec<String>,
    scores: Vec<f64>,
    /// Best rollout score; `None` for the root and for steps without rollouts.
    value: Option<f64>,
    executable: bool,
    expanded: bool,
}

impl Node {
    fn to_trace(&self, id: usize) -> trace::Node {
        trace::Node {
            id,
            parent: self.parent,
            program: self.program.clone(),
            value: self.value,
            visits: self.rollouts.len() as u64,
            complete: self.complete,
            pruned: self.parent.is_some() && !self.queued(),
            expanded: self.expanded,
            rollouts: self
                .rollouts
                .iter()
                .zip(&self.scores)
                .map(|(program, score)| Candidate {
                    program: program.clone(),
                    score: Some(*score),
                })
                .collect(),
            ..trace::Node::default()
        }
    }

    fn queued(&self) -> bool {
        self.executable && self.value.is_some()
    }
}

/// A queue entry: the best value first, then the earliest pushed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Queued {
    value: f64,
    order: usize,
    node: usize,
}

impl Eq for Queued {}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value
            .total_cmp(&other.value)
            .then_with(|| other.order.cmp(&self.order))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How the search ended.
enum Ending {
    /// A node was returned (complete, or the last popped at the expansion limit).
    Node(usize, Stop),
    /// The queue ran dry: the first sample of the last expansion.
    Exhausted,
    Budget(BudgetStop),
}

/// The search state of one example.
#[derive(Default)]
struct Search {
    nodes: Vec<Node>,
    queue: BinaryHeap<Queued>,
    pops: Vec<usize>,
    expansions: usize,
    last_samples: Vec<String>,
    best_rollout: Option<(String, f64)>,
}

impl Search {
    /// Values one step by its rollouts and records it; queues it unless pruned.
    async fn add_step(
        &mut self,
        session: &mut Session<'_>,
        parent: usize,
        program: String,
    ) -> Result<(), Interrupt> {
        let complete = session.ctx().task.is_complete(&program);
        let rollouts = if complete {
            vec![program.clone()]
        } else {
            session.sample(&program, session.default_draw()).await?
        };
        let scores = session.score(&rollouts).await?;
        let mut executable = false;
        for rollout in &rollouts {
            if session.execute(rollout).await?.is_ok() {
                executable = true;
                break;
            }
        }
        for (rollout, score) in rollouts.iter().zip(&scores) {
            if self
                .best_rollout
                .as_ref()
                .is_none_or(|(_, best)| score > best)
            {
                self.best_rollout = Some((rollout.clone(), *score));
            }
        }
        let value = scores.iter().copied().reduce(f64::max);
        let id = self.nodes.len();
        self.nodes.push(Node {
            parent: Some(parent),
            program,
            complete,
            rollouts,
            scores,
            value,
            executable,
            expanded: false,
        });
        if let (true, Some(value)) = (executable, value) {
            self.queue.push(Queued {
                value,
                order: id,
                node: id,
            });
        }
        Ok(())
    }

    async fn run(
        &mut self,
        session: &mut Session<'_>,
        max_expansions: usize,
    ) -> Result<Ending, PlanError> {
        self.nodes.push(Node {
            parent: None,
            program: String::new(),
            complete: false,
            rollouts: Vec::new(),
            scores: Vec::new(),
            value: None,
            executable: true,
            expanded: false,
        });
        let mut current = 0;
        while self.expansions < max_expansions {
            if let Err(stop) = self.expand(session, current).await.budgeted()? {
                return Ok(Ending::Budget(stop));
            }
            let Some(best) = self.queue.pop() else {
                return Ok(Ending::Exhausted);
            };
            current = best.node;
            self.pops.push(current);
            if self.nodes[current].complete {
                return Ok(Ending::Node(current, Stop::Complete));
            }
        }
        Ok(Ending::Node(current, Stop::ExpansionLimit))
    }

    async fn expand(&mut self, session: &mut Session<'_>, current: usize) -> Result<(), Interrupt> {
        let partial = self.nodes[current].program.clone();
        let samples = session.sample(&partial, session.default_draw()).await?;
        self.expansions += 1;
        self.nodes[current].expanded = true;
        let children = next_steps(session.ctx().task.as_ref(), &partial, &samples);
        self.last_samples = samples;
        for (child, _) in children {
            self.add_step(session, current, child).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Planner for MonteCarloTreeOfThought {
    fn name(&self) -> &'static str {
        PlannerKind::Tree.as_str()
    }

    fn config(&self) -> serde_json::Value {
        json!({ "max_expansions": self.max_expansions })
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let mut search = Search::default();
        let ending = search.run(&mut session, self.max_expansions).await?;
        let (program, returned, stop) = match ending {
            Ending::Node(id, reason) => (search.nodes[id].program.clone(), Some(id), reason),
            Ending::Exhausted => (
                search.last_samples.first().cloned().unwrap_or_default(),
                None,
                Stop::QueueEmpty,
            ),
            Ending::Budget(stop) => (
                search
                    .best_rollout
                    .as_ref()
                    .map(|(program, _)| program.clone())
                    .or_else(|| search.last_samples.first().cloned())
                    .unwrap_or_default(),
                None,
                Stop::Budget(stop),
            ),
        };
        let nodes = search
            .nodes
            .iter()
            .enumerate()
            .map(|(id, node)| node.to_trace(id))
            .collect();
        Ok(session.finish(program, stop, |ending| {
            Trace::Tree(TreeTrace {
                nodes,
                pops: search.pops,
                expansions: search.expansions,
                returned,
                ending,
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testkit::{
        assert_trace_fixture, context, example, ScriptedDiscriminator, ScriptedGenerator,
    };

    const SEARCH: MonteCarloTreeOfThought = MonteCarloTreeOfThought { max_expansions: 50 };

    /// Root samples start with 1, 4 or x (x does not execute). Rollouts: "1…" ends 1,5 (0.6),
    /// "4…" ends 4,2 (0.8) but "4,2…" only reaches 4,2,1 (0.3); "x…" scores 0.9 and never runs.
    fn scenario() -> (Arc<ScriptedGenerator>, Arc<ScriptedDiscriminator>) {
        let generator = ScriptedGenerator::by_partial(&[
            ("", &["1\n2\n3\n=", "4\n2\n=", "x\n=", "1\n5\n="]),
            ("1", &["\n5\n="]),
            ("1\n5", &["\n="]),
            ("4", &["\n2\n="]),
            ("4\n2", &["\n1\n="]),
            ("x", &["\n="]),
        ]);
        let discriminator = ScriptedDiscriminator::new(&[
            ("1\n5\n=", 0.6),
            ("4\n2\n=", 0.8),
            ("4\n2\n1\n=", 0.3),
            ("x\n=", 0.9),
        ]);
        (Arc::new(generator), Arc::new(discriminator))
    }

    fn tree(outcome: &PlanOutcome) -> &TreeTrace {
        match &outcome.trace {
            Trace::Tree(trace) => trace,
            other => panic!("{other:?}"),
        }
    }

    fn programs_of(trace: &TreeTrace, ids: &[usize]) -> Vec<String> {
        ids.iter()
            .map(|id| trace.nodes[*id].program.clone())
            .collect()
    }

    #[tokio::test]
    async fn pops_in_score_order_prunes_and_stops_on_a_complete_program() {
        let (generator, discriminator) = scenario();
        let ctx = context(&generator, &discriminator);
        let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n5\n=");
        assert_eq!(outcome.trace.stop(), Stop::Complete);
        let trace = tree(&outcome);
        // "4" (0.8) first; its child "4,2" is worth only 0.3, so the search backs up to "1".
        assert_eq!(
            programs_of(trace, &trace.pops),
            ["4", "1", "1\n5", "1\n5\n="]
        );
        // The non-executable step is pruned despite its high score, and never expanded.
        let x = &trace.nodes[3];
        assert_eq!((x.program.as_str(), x.value), ("x", Some(0.9)));
        assert!(x.pruned && !x.expanded);
        assert_eq!(
            generator.partials(),
            ["", "1", "4", "x", "4", "4\n2", "1", "1\n5", "1\n5"]
        );
        assert_eq!(trace.expansions, 4);
        assert!(outcome.trace.returned().unwrap().complete);
        assert_trace_fixture("tree_complete", &outcome.trace);
    }

    #[tokio::test]
    async fn falls_back_to_the_first_sample_when_nothing_executes() {
        let generator = Arc::new(ScriptedGenerator::by_partial(&[
            ("", &["x\n=", "y\n="]),
            ("x", &["\n="]),
            ("y", &["\n="]),
        ]));
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[("y\n=", 0.9)]));
        let outcome = SEARCH
            .plan(&context(&generator, &discriminator), &example())
            .await
            .unwrap();
        assert_eq!(outcome.program, "x\n=");
        assert_eq!(outcome.trace.stop(), Stop::QueueEmpty);
        assert_eq!(tree(&outcome).returned, None);
        assert_trace_fixture("tree_queue_empty", &outcome.trace);
    }

    #[tokio::test]
    async fn respects_the_expansion_limit() {
        // Programs never end: every continuation adds lines of 1.
        let generator = Arc::new(ScriptedGenerator::new(|request| {
            let root = request.assistant_prefix == "```\n";
            vec![if root { "1\n1" } else { "\n1\n1" }.to_string()]
        }));
        let discriminator = Arc::new(ScriptedDiscriminator::default());
        let search = MonteCarloTreeOfThought { max_expansions: 4 };
        let outcome = search
            .plan(&context(&generator, &discriminator), &example())
            .await
            .unwrap();
        assert_eq!(outcome.trace.stop(), Stop::ExpansionLimit);
        assert_eq!(tree(&outcome).expansions, 4);
        // The last popped partial program is returned, as in the paper.
        assert_eq!(outcome.program, "1\n1\n1\n1");
        assert_eq!(generator.requests.lock().unwrap().len(), 8);
        assert_trace_fixture("tree_expansion_limit", &outcome.trace);
    }

    #[tokio::test]
    async fn a_budget_stop_returns_the_best_rollout() {
        let (generator, discriminator) = scenario();
        let mut ctx = context(&generator, &discriminator);
        // Expansion (1), rollouts of "1" (2), their scoring (3); the rollouts of "4" are refused.
        ctx.budget.max_llm_calls = Some(3);
        let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n5\n=");
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        assert_eq!(outcome.cost.llm_calls, 3);
        assert_trace_fixture("tree_budget_llm_calls", &outcome.trace);
    }
}
