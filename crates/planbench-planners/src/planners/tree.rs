//! The paper's MC-ToT: best-first search over partial programs valued by Monte-Carlo rollouts.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use async_trait::async_trait;
use planbench_core::Example;
use serde_json::json;

use super::{Planner, PlannerKind, TreePrune, TreeTies, MAX_SCORE};
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
/// are pruned as `prune` says, the rest join a priority queue, and the best queued partial
/// program is popped next (equal values: as `ties` says). The search returns the first complete
/// program popped; after `max_expansions` expansions it returns the last popped partial program,
/// and when the queue runs dry it returns the first sample of the last expansion. With
/// `stop_at_max_score` it returns the first rollout scored [`MAX_SCORE`] at once.
///
/// The work of one expansion is in flight together: the rollouts of all its steps, then all
/// their judgements, then their executions. Request seeds, judgements and nodes follow step
/// order, so the result does not depend on which answer comes back first. Under a call budget
/// only the requests and judgements that fit are launched, in that order; a step whose
/// rollouts are not all judged when the budget stops the search is left out of the tree (its
/// judged rollouts still count for the best rollout returned).
#[derive(Debug, Clone, Copy)]
pub struct MonteCarloTreeOfThought {
    pub max_expansions: usize,
    pub prune: TreePrune,
    pub ties: TreeTies,
    pub stop_at_max_score: bool,
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
    /// Joined the queue (valued and not pruned).
    queued: bool,
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
            pruned: self.parent.is_some() && !self.queued,
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
}

/// A queue entry: the best value first, then the best tie key.
#[derive(Debug, Clone, PartialEq)]
struct Queued {
    value: f64,
    tie: TieKey,
    node: usize,
}

/// Among equal values, the greater key pops first (every entry of a queue has the same kind).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum TieKey {
    /// [`TreeTies::Fifo`]: the earliest queued.
    Fifo(Reverse<usize>),
    /// [`TreeTies::Lexicographic`]: the program that sorts first, then the earliest queued.
    Lexicographic(Reverse<String>, Reverse<usize>),
    /// [`TreeTies::Deepest`]: the most steps, then the earliest queued.
    Deepest(usize, Reverse<usize>),
}

impl TieKey {
    /// The key of the `order`-th queued node, `program` at `depth` steps from the root.
    fn new(ties: TreeTies, order: usize, program: &str, depth: usize) -> Self {
        match ties {
            TreeTies::Fifo => TieKey::Fifo(Reverse(order)),
            TreeTies::Lexicographic => {
                TieKey::Lexicographic(Reverse(program.to_string()), Reverse(order))
            }
            TreeTies::Deepest => TieKey::Deepest(depth, Reverse(order)),
        }
    }
}

impl Eq for Queued {}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value
            .total_cmp(&other.value)
            .then_with(|| self.tie.cmp(&other.tie))
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
    /// A rollout scored the maximum (`stop_at_max_score`): that rollout, and its node when the
    /// rollout is the node's own program.
    MaxScore(String, Option<usize>),
    Budget(BudgetStop),
}

/// The search state of one example.
struct Search {
    options: MonteCarloTreeOfThought,
    nodes: Vec<Node>,
    /// Each node's depth in steps from the root (the root's is 0).
    depths: Vec<usize>,
    queue: BinaryHeap<Queued>,
    pops: Vec<usize>,
    expansions: usize,
    last_samples: Vec<String>,
    best_rollout: Option<(String, f64)>,
}

impl Search {
    fn new(options: MonteCarloTreeOfThought) -> Self {
        Self {
            options,
            nodes: Vec::new(),
            depths: Vec::new(),
            queue: BinaryHeap::new(),
            pops: Vec::new(),
            expansions: 0,
            last_samples: Vec::new(),
            best_rollout: None,
        }
    }

    /// Values the steps `children` of `parent` by their rollouts and records them, queued
    /// unless pruned; all their rollouts are sampled together, then scored together, then
    /// executed together (for `no-execution` pruning), and nodes join in step order. Returns
    /// the ending when a rollout scored the maximum and the search stops there.
    async fn add_steps(
        &mut self,
        session: &mut Session<'_>,
        parent: usize,
        children: Vec<String>,
    ) -> Result<Option<Ending>, Interrupt> {
        let task = session.ctx().task.clone();
        let open: Vec<String> = children
            .iter()
            .filter(|child| !task.is_complete(child))
            .cloned()
            .collect();
        let sampled = session.sample_each(&open, session.default_draw()).await?;
        let mut stop = sampled.stop;
        // The steps whose rollouts are known, in order, up to the first one held back.
        let mut launched = sampled.done.into_iter();
        let mut steps: Vec<(String, bool, Vec<String>)> = Vec::new();
        for child in children {
            let complete = task.is_complete(&child);
            let rollouts = if complete {
                vec![child.clone()]
            } else {
                match launched.next() {
                    Some(rollouts) => rollouts,
                    None => break,
                }
            };
            steps.push((child, complete, rollouts));
        }
        let all: Vec<String> = steps
            .iter()
            .flat_map(|(_, _, r)| r.iter().cloned())
            .collect();
        let scored = session.score(&all).await?;
        stop = stop.or(scored.stop);
        for (rollout, score) in all.iter().zip(&scored.done) {
            if self
                .best_rollout
                .as_ref()
                .is_none_or(|(_, best)| score > best)
            {
                self.best_rollout = Some((rollout.clone(), *score));
            }
        }
        // Only steps whose rollouts were all scored become nodes.
        let mut scores = scored.done.into_iter();
        let mut valued: Vec<(String, bool, Vec<String>, Vec<f64>)> = Vec::new();
        for (child, complete, rollouts) in steps {
            let step_scores: Vec<f64> = scores.by_ref().take(rollouts.len()).collect();
            if step_scores.len() < rollouts.len() {
                break;
            }
            valued.push((child, complete, rollouts, step_scores));
        }
        let keep: Vec<bool> = match self.options.prune {
            TreePrune::NoExecution => {
                let rollouts: Vec<&[String]> = valued.iter().map(|v| v.2.as_slice()).collect();
                any_executes(session, &rollouts).await?
            }
            TreePrune::AllWorst => valued
                .iter()
                .map(|v| v.3.iter().any(|score| *score > WORST_SCORE))
                .collect(),
        };
        let mut top = None;
        for ((program, complete, rollouts, scores), keep) in valued.into_iter().zip(keep) {
            let id = self.nodes.len();
            let value = scores.iter().copied().reduce(f64::max);
            let queued = keep && value.is_some();
            if top.is_none() && self.options.stop_at_max_score {
                top = scores.iter().position(|s| *s >= MAX_SCORE).map(|i| {
                    let node = (rollouts[i] == program).then_some(id);
                    Ending::MaxScore(rollouts[i].clone(), node)
                });
            }
            if let (true, Some(value)) = (queued, value) {
                let depth = self.depths[parent] + 1;
                let tie = TieKey::new(self.options.ties, id, &program, depth);
                self.queue.push(Queued {
                    value,
                    tie,
                    node: id,
                });
            }
            self.push(Node {
                parent: Some(parent),
                program,
                complete,
                rollouts,
                scores,
                value,
                queued,
                expanded: false,
            });
        }
        match (top, stop) {
            (Some(top), _) => Ok(Some(top)),
            (None, Some(stop)) => Err(Interrupt::Budget(stop)),
            (None, None) => Ok(None),
        }
    }

    fn push(&mut self, node: Node) {
        let depth = node.parent.map_or(0, |parent| self.depths[parent] + 1);
        self.depths.push(depth);
        self.nodes.push(node);
    }

    async fn run(&mut self, session: &mut Session<'_>) -> Result<Ending, PlanError> {
        self.push(Node {
            parent: None,
            program: String::new(),
            complete: false,
            rollouts: Vec::new(),
            scores: Vec::new(),
            value: None,
            queued: false,
            expanded: false,
        });
        let mut current = 0;
        while self.expansions < self.options.max_expansions {
            match self.expand(session, current).await.budgeted()? {
                Err(stop) => return Ok(Ending::Budget(stop)),
                Ok(Some(top)) => return Ok(top),
                Ok(None) => {}
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

    async fn expand(
        &mut self,
        session: &mut Session<'_>,
        current: usize,
    ) -> Result<Option<Ending>, Interrupt> {
        let partial = self.nodes[current].program.clone();
        let samples = session.sample(&partial, session.default_draw()).await?;
        self.expansions += 1;
        self.nodes[current].expanded = true;
        let children = next_steps(session.ctx().task.as_ref(), &partial, &samples);
        self.last_samples = samples;
        let children = children.into_iter().map(|(child, _)| child).collect();
        self.add_steps(session, current, children).await
    }
}

/// The lowest score: the paper prunes a step when every rollout got it.
const WORST_SCORE: f64 = 0.0;

/// For each step's rollouts, whether any executes. Each step runs its rollouts in order until
/// one does, and the steps run theirs side by side: round r executes the r-th rollout of every
/// step still undecided, all at once (the executions are those of running each step alone).
async fn any_executes(
    session: &mut Session<'_>,
    rollouts: &[&[String]],
) -> Result<Vec<bool>, Interrupt> {
    let mut executes = vec![false; rollouts.len()];
    for round in 0.. {
        let pending: Vec<usize> = (0..rollouts.len())
            .filter(|&i| !executes[i] && round < rollouts[i].len())
            .collect();
        if pending.is_empty() {
            break;
        }
        let programs: Vec<String> = pending
            .iter()
            .map(|&i| rollouts[i][round].clone())
            .collect();
        let executions = session.execute_all(&programs).await?;
        for (i, execution) in pending.into_iter().zip(executions) {
            executes[i] = execution.is_ok();
        }
    }
    Ok(executes)
}

#[async_trait]
impl Planner for MonteCarloTreeOfThought {
    fn name(&self) -> &'static str {
        PlannerKind::Tree.as_str()
    }

    /// `{"max_expansions": …}`, and the switches that are not at their defaults.
    fn config(&self) -> serde_json::Value {
        let mut config = json!({ "max_expansions": self.max_expansions });
        if self.prune != TreePrune::default() {
            config["prune"] = json!(self.prune);
        }
        if self.ties != TreeTies::default() {
            config["ties"] = json!(self.ties);
        }
        if self.stop_at_max_score {
            config["stop_at_max_score"] = json!(true);
        }
        config
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let mut search = Search::new(*self);
        let ending = search.run(&mut session).await?;
        let (program, returned, stop) = match ending {
            Ending::Node(id, reason) => (search.nodes[id].program.clone(), Some(id), reason),
            Ending::MaxScore(program, node) => (program, node, Stop::MaxScore),
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

    use std::sync::atomic::Ordering::SeqCst;

    use super::*;
    use crate::discriminators::{LlmDiscriminator, LlmVariant};
    use crate::testkit::{
        assert_trace_fixture, context, example, ScriptedDiscriminator, ScriptedGenerator, SumTask,
    };

    const SEARCH: MonteCarloTreeOfThought = MonteCarloTreeOfThought {
        max_expansions: 50,
        prune: TreePrune::NoExecution,
        ties: TreeTies::Fifo,
        stop_at_max_score: false,
    };

    /// Root samples start with 1, 4 or x (x does not execute). Rollouts: "1…" ends 1,5 (0.6),
    /// "4…" ends 4,2 (0.8) but "4,2…" only reaches 4,2,1 (0.3); "x…" scores 0.9 and never runs.
    const STEPS: &[(&str, &[&str])] = &[
        ("", &["1\n2\n3\n=", "4\n2\n=", "x\n=", "1\n5\n="]),
        ("1", &["\n5\n="]),
        ("1\n5", &["\n="]),
        ("4", &["\n2\n="]),
        ("4\n2", &["\n1\n="]),
        ("x", &["\n="]),
    ];
    const JUDGE: &[(&str, f64)] = &[
        ("1\n5\n=", 0.6),
        ("4\n2\n=", 0.8),
        ("4\n2\n1\n=", 0.3),
        ("x\n=", 0.9),
    ];

    fn scenario() -> (Arc<ScriptedGenerator>, Arc<ScriptedDiscriminator>) {
        (
            Arc::new(ScriptedGenerator::by_partial(STEPS)),
            Arc::new(ScriptedDiscriminator::new(JUDGE)),
        )
    }

    /// The scenario judged by an LLM (naive, P(Yes) as [`JUDGE`]) on one generator whose calls
    /// finish out of order as `salt` says.
    fn judged_by_an_llm(salt: u64) -> (Arc<ScriptedGenerator>, PlanContext) {
        let generator = JUDGE
            .iter()
            .fold(ScriptedGenerator::by_partial(STEPS), |g, (program, p)| {
                g.with_yes(program, *p)
            });
        let generator = Arc::new(generator.staggered(salt));
        let judge = LlmDiscriminator::new(Arc::new(SumTask), generator.clone(), LlmVariant::Naive);
        let mut ctx = context(&generator, &Arc::new(ScriptedDiscriminator::default()));
        ctx.discriminator = Arc::new(judge);
        (generator, ctx)
    }

    #[tokio::test]
    async fn parallel_expansion_never_exceeds_a_call_budget_and_stays_deterministic() {
        let mut most_in_flight = 0;
        for calls in 1..=16 {
            let mut traces = Vec::new();
            for salt in [1, 2, 3] {
                let (generator, mut ctx) = judged_by_an_llm(salt);
                ctx.budget.max_llm_calls = Some(calls);
                let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
                assert!(
                    outcome.cost.llm_calls <= calls,
                    "{calls}: {:?}",
                    outcome.cost
                );
                assert_eq!(generator.calls() as u64, outcome.cost.llm_calls);
                most_in_flight = most_in_flight.max(generator.max_in_flight.load(SeqCst));
                traces.push(outcome.trace);
            }
            assert!(traces.iter().all(|t| *t == traces[0]), "{calls} calls");
        }
        // The rollouts of the three first steps, then their four judgements, went together.
        assert!(most_in_flight >= 3, "{most_in_flight}");
        // Unbudgeted, the LLM judge's search is the scripted one's.
        let (_, ctx) = judged_by_an_llm(1);
        let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n5\n=");
        assert_eq!(tree(&outcome).pops.len(), 4);
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
        let search = MonteCarloTreeOfThought {
            max_expansions: 4,
            ..SEARCH
        };
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
        // Expansion (1), the rollouts of "1", "4" and "x" together (4), then one judgement
        // fits: the rollout of "1" (5). Only "1" is fully valued and joins the tree.
        ctx.budget.max_llm_calls = Some(5);
        let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n5\n=");
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        assert_eq!(outcome.cost.llm_calls, 5);
        assert_eq!(generator.partials(), ["", "1", "4", "x"]);
        assert_trace_fixture("tree_budget_llm_calls", &outcome.trace);
    }

    #[tokio::test]
    async fn the_paper_pruning_keeps_steps_whose_rollouts_fail_but_score() {
        // Under a naive judge "x" (0.9) never executes: planbench prunes it, the paper's rule
        // queues it first and returns its program.
        let (generator, discriminator) = scenario();
        let ctx = context(&generator, &discriminator);
        let paper = MonteCarloTreeOfThought {
            prune: TreePrune::AllWorst,
            ..SEARCH
        };
        let outcome = paper.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "x\n=");
        assert_eq!(outcome.trace.stop(), Stop::Complete);
        let trace = tree(&outcome);
        assert_eq!(programs_of(trace, &trace.pops), ["x", "x\n="]);
        assert_eq!(paper.config()["prune"], "all-worst");
        assert_eq!(SEARCH.config(), json!({ "max_expansions": 50 }));

        // Steps every rollout of which scores 0 are pruned although they execute.
        let generator = Arc::new(ScriptedGenerator::by_partial(&[
            ("", &["1\n=", "2\n2\n="]),
            ("2", &["\n2\n="]),
        ]));
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[("2\n2\n=", 0.0)]));
        let outcome = paper
            .plan(&context(&generator, &discriminator), &example())
            .await
            .unwrap();
        assert_eq!(outcome.trace.stop(), Stop::QueueEmpty);
        assert!(tree(&outcome).nodes[1..].iter().all(|node| node.pruned));
    }

    /// Three first steps of equal value: 3, 1 and 2 (in sample order), each with one rollout.
    fn equal_values() -> (Arc<ScriptedGenerator>, Arc<ScriptedDiscriminator>) {
        let generator = ScriptedGenerator::by_partial(&[
            ("", &["3\n3\n=", "1\n5\n=", "2\n4\n="]),
            ("3", &["\n3\n="]),
            ("1", &["\n5\n="]),
            ("2", &["\n4\n="]),
            ("3\n3", &["\n="]),
            ("1\n5", &["\n="]),
        ]);
        let discriminator =
            ScriptedDiscriminator::new(&[("3\n3\n=", 0.5), ("1\n5\n=", 0.5), ("2\n4\n=", 0.5)]);
        (Arc::new(generator), Arc::new(discriminator))
    }

    #[tokio::test]
    async fn equal_values_pop_in_the_chosen_tie_order() {
        let expected: [(TreeTies, [&str; 2]); 3] = [
            (TreeTies::Fifo, ["3", "1"]),
            // The paper's heap: "1" < "1\n5" < "2" < "3".
            (TreeTies::Lexicographic, ["1", "1\n5"]),
            (TreeTies::Deepest, ["3", "3\n3"]),
        ];
        for (ties, pops) in expected {
            let (generator, discriminator) = equal_values();
            let search = MonteCarloTreeOfThought {
                ties,
                max_expansions: 2,
                ..SEARCH
            };
            let outcome = search
                .plan(&context(&generator, &discriminator), &example())
                .await
                .unwrap();
            let trace = tree(&outcome);
            assert_eq!(programs_of(trace, &trace.pops[..2]), pops, "{ties}");
        }
    }

    #[tokio::test]
    async fn stops_at_the_first_rollout_with_the_highest_score_when_asked() {
        let generator = Arc::new(ScriptedGenerator::by_partial(&[
            ("", &["1\n2\n3\n=", "4\n2\n=", "1\n5\n="]),
            ("1", &["\n5\n="]),
            ("4", &["\n2\n="]),
            ("4\n2", &["\n="]),
        ]));
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("1\n5\n=", 0.6),
            ("4\n2\n=", 1.0),
        ]));
        let ctx = context(&generator, &discriminator);
        let eager = MonteCarloTreeOfThought {
            stop_at_max_score: true,
            ..SEARCH
        };
        let outcome = eager.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "4\n2\n=");
        assert_eq!(outcome.trace.stop(), Stop::MaxScore);
        assert!(tree(&outcome).pops.is_empty());
        assert_eq!(generator.partials(), ["", "1", "4"]);
        // Without the switch the search goes on: it pops "4", then its complete child.
        let outcome = SEARCH.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.trace.stop(), Stop::Complete);
        assert_eq!(tree(&outcome).pops.len(), 3);
    }
}
