//! UCT Monte-Carlo tree search over partial programs.

use std::collections::HashMap;

use async_trait::async_trait;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use planbench_core::Example;
use serde_json::json;

use super::{MctsFinal, Planner, PlannerKind, MAX_SCORE};
use crate::context::{PlanContext, PlanOutcome};
use crate::error::PlanError;
use crate::session::{Budgeted, Interrupt, Session};
use crate::steps::next_steps;
use crate::trace::{self, BudgetStop, Candidate, MctsTrace, Scored, Stop, Trace};

/// UCT search (not in the paper; a standard counterpart to MC-ToT).
///
/// Each iteration selects a leaf by UCT from the root, expands it when it has been visited (one
/// generation request of n samples gives its children, the distinct next steps, each with the
/// sample it came from as its first rollout), simulates (scores one complete program with the
/// discriminator) and adds the score to every node on the path. A program the generator
/// declares finished, or one the task calls complete, is a terminal node scored as itself.
/// With `stop_at_max_score` the search returns the first simulated program that scores
/// [`MAX_SCORE`] at once.
///
/// MC-ToT's pruning and tie switches do not apply: UCT prunes nothing (a step whose rollouts
/// fail only gets low values), and its ties are between siblings (the oldest is selected first;
/// siblings are equally deep, and the paper has no MCTS whose order to follow).
#[derive(Debug, Clone, Copy)]
pub struct Mcts {
    pub iterations: usize,
    pub exploration: f64,
    pub final_choice: MctsFinal,
    pub stop_at_max_score: bool,
}

/// A partial program in the search tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeNode {
    pub program: String,
    /// Complete, or no continuation extends it: scored as itself.
    pub terminal: bool,
    pub expanded: bool,
    pub visits: u64,
    pub value_sum: f64,
    /// The complete program sampled with this node's step, used for its first simulation.
    pub rollout: Option<String>,
    /// The best-scored complete program simulated under this node.
    pub best: Option<(String, f64)>,
}

impl TreeNode {
    fn mean(&self) -> f64 {
        if self.visits == 0 {
            0.0
        } else {
            self.value_sum / self.visits as f64
        }
    }
}

pub(crate) type Tree = DiGraph<TreeNode, ()>;

/// The UCT value of a child: its mean plus `exploration * sqrt(ln(parent_visits) / visits)`;
/// unvisited children come first.
pub(crate) fn uct(mean: f64, visits: u64, parent_visits: u64, exploration: f64) -> f64 {
    if visits == 0 {
        return f64::INFINITY;
    }
    let parent = (parent_visits.max(1)) as f64;
    mean + exploration * (parent.ln() / visits as f64).sqrt()
}

/// The children of `node`, oldest first.
pub(crate) fn children(tree: &Tree, node: NodeIndex) -> Vec<NodeIndex> {
    let mut children: Vec<_> = tree.neighbors_directed(node, Direction::Outgoing).collect();
    children.sort();
    children
}

/// The child of `node` with the highest UCT value (ties: the oldest).
pub(crate) fn select_child(tree: &Tree, node: NodeIndex, exploration: f64) -> Option<NodeIndex> {
    let parent_visits = tree[node].visits;
    let mut best: Option<(NodeIndex, f64)> = None;
    for child in children(tree, node) {
        let c = &tree[child];
        let value = uct(c.mean(), c.visits, parent_visits, exploration);
        if best.is_none_or(|(_, b)| value > b) {
            best = Some((child, value));
        }
    }
    best.map(|(child, _)| child)
}

/// Adds `value` (from simulating `program`) to `leaf` and every ancestor.
pub(crate) fn backpropagate(tree: &mut Tree, leaf: NodeIndex, value: f64, program: Option<&str>) {
    let mut node = Some(leaf);
    while let Some(current) = node {
        let weight = &mut tree[current];
        weight.visits += 1;
        weight.value_sum += value;
        if let Some(program) = program {
            if weight.best.as_ref().is_none_or(|(_, best)| value > *best) {
                weight.best = Some((program.to_string(), value));
            }
        }
        node = tree.neighbors_directed(current, Direction::Incoming).next();
    }
}

/// Descends from `root` by `choice` among visited children; returns the node reached.
pub(crate) fn recommend(tree: &Tree, root: NodeIndex, choice: MctsFinal) -> NodeIndex {
    let mut node = root;
    loop {
        let mut best: Option<NodeIndex> = None;
        for child in children(tree, node)
            .into_iter()
            .filter(|c| tree[*c].visits > 0)
        {
            let better = best.is_none_or(|b| {
                let (c, b) = (&tree[child], &tree[b]);
                match choice {
                    MctsFinal::BestMean => c.mean() > b.mean(),
                    MctsFinal::MostVisits => {
                        c.visits > b.visits || (c.visits == b.visits && c.mean() > b.mean())
                    }
                }
            });
            if better {
                best = Some(child);
            }
        }
        match best {
            Some(child) => node = child,
            None => return node,
        }
    }
}

/// The search state of one example.
struct Search {
    tree: Tree,
    root: NodeIndex,
    score_cache: HashMap<String, f64>,
    iterations: usize,
}

impl Search {
    fn new() -> Self {
        let mut tree = Tree::new();
        let root = tree.add_node(TreeNode::default());
        Self {
            tree,
            root,
            score_cache: HashMap::new(),
            iterations: 0,
        }
    }

    /// One iteration; returns the simulated leaf when its program scored the maximum.
    async fn iterate(
        &mut self,
        session: &mut Session<'_>,
        exploration: f64,
    ) -> Result<Option<NodeIndex>, Interrupt> {
        let mut node = self.root;
        while self.tree[node].expanded {
            match select_child(&self.tree, node, exploration) {
                Some(child) => node = child,
                None => break,
            }
        }
        let leaf = {
            let weight = &self.tree[node];
            let fresh = weight.visits == 0 && weight.rollout.is_some();
            if weight.terminal || weight.expanded || fresh {
                node
            } else {
                self.expand(session, node).await?
            }
        };
        let program = {
            let weight = &self.tree[leaf];
            match (&weight.rollout, weight.terminal) {
                (_, true) => weight.program.clone(),
                (Some(rollout), false) => rollout.clone(),
                (None, false) => weight.program.clone(),
            }
        };
        let value = self.simulate(session, &program).await?;
        let simulated = (!program.trim().is_empty()).then_some(program.as_str());
        backpropagate(&mut self.tree, leaf, value, simulated);
        self.iterations += 1;
        Ok((value >= MAX_SCORE && simulated.is_some()).then_some(leaf))
    }

    /// Adds the distinct next steps of `node` as children; returns the first child, or `node`
    /// itself, made terminal, when no sample extends it.
    async fn expand(
        &mut self,
        session: &mut Session<'_>,
        node: NodeIndex,
    ) -> Result<NodeIndex, Interrupt> {
        let partial = self.tree[node].program.clone();
        let samples = session.sample(&partial, session.default_draw()).await?;
        let task = session.ctx().task.clone();
        self.tree[node].expanded = true;
        let mut added = Vec::new();
        for (child, source) in next_steps(task.as_ref(), &partial, &samples) {
            let terminal = task.is_complete(&child);
            let index = self.tree.add_node(TreeNode {
                program: child,
                terminal,
                rollout: Some(source),
                ..TreeNode::default()
            });
            self.tree.add_edge(node, index, ());
            added.push(index);
        }
        self.prescore(session, &added).await?;
        Ok(added.first().copied().unwrap_or_else(|| {
            self.tree[node].terminal = true;
            node
        }))
    }

    /// The discriminator's score of `program` (cached per normalized program; 0 when empty).
    async fn simulate(
        &mut self,
        session: &mut Session<'_>,
        program: &str,
    ) -> Result<f64, Interrupt> {
        if program.trim().is_empty() {
            return Ok(0.0);
        }
        let key = session.ctx().task.normalize(program);
        if let Some(score) = self.score_cache.get(&key) {
            return Ok(*score);
        }
        let batch = session.score(&[program.to_string()]).await?;
        let (Some(&score), None) = (batch.done.first(), batch.stop) else {
            return Err(Interrupt::Budget(
                batch.stop.unwrap_or(BudgetStop::LlmCalls),
            ));
        };
        self.score_cache.insert(key, score);
        Ok(score)
    }

    /// Scores the first rollouts of `children` that are not scored yet, together, so that
    /// their first simulations find them cached. The judgements of one expansion are then in
    /// flight at once; a child the search never visits costs its judgement all the same. A
    /// budget stop here is left to the simulation that needs the missing score.
    async fn prescore(
        &mut self,
        session: &mut Session<'_>,
        children: &[NodeIndex],
    ) -> Result<(), PlanError> {
        let task = session.ctx().task.clone();
        let mut keys = Vec::new();
        let mut programs = Vec::new();
        for child in children {
            let Some(rollout) = self.tree[*child].rollout.as_ref() else {
                continue;
            };
            let program = if self.tree[*child].terminal {
                &self.tree[*child].program
            } else {
                rollout
            };
            let key = task.normalize(program);
            if program.trim().is_empty()
                || self.score_cache.contains_key(&key)
                || keys.contains(&key)
            {
                continue;
            }
            keys.push(key);
            programs.push(program.clone());
        }
        let batch = session.score(&programs).await?;
        self.score_cache.extend(keys.into_iter().zip(batch.done));
        Ok(())
    }

    /// The tree as trace nodes (UCT records no `complete`, `pruned` or `expanded` flags).
    fn trace_nodes(&self) -> Vec<trace::Node> {
        self.tree
            .node_indices()
            .map(|index| {
                let node = &self.tree[index];
                let parent = self
                    .tree
                    .neighbors_directed(index, Direction::Incoming)
                    .next()
                    .map(NodeIndex::index);
                trace::Node {
                    id: index.index(),
                    parent,
                    program: node.program.clone(),
                    value: (node.visits > 0).then(|| node.mean()),
                    visits: node.visits,
                    terminal: node.terminal,
                    rollouts: node
                        .rollout
                        .iter()
                        .map(|program| Candidate {
                            program: program.clone(),
                            score: None,
                        })
                        .collect(),
                    best: node.best.as_ref().map(|(program, score)| Scored {
                        program: program.clone(),
                        score: *score,
                    }),
                    ..trace::Node::default()
                }
            })
            .collect()
    }
}

#[async_trait]
impl Planner for Mcts {
    fn name(&self) -> &'static str {
        PlannerKind::Mcts.as_str()
    }

    fn config(&self) -> serde_json::Value {
        let mut config = json!({
            "iterations": self.iterations,
            "exploration": self.exploration,
            "final": self.final_choice,
        });
        if self.stop_at_max_score {
            config["stop_at_max_score"] = json!(true);
        }
        config
    }

    async fn plan(&self, ctx: &PlanContext, example: &Example) -> Result<PlanOutcome, PlanError> {
        let mut session = Session::new(ctx, example)?;
        let mut search = Search::new();
        let mut budget = None;
        let mut top = None;
        while search.iterations < self.iterations {
            match search
                .iterate(&mut session, self.exploration)
                .await
                .budgeted()?
            {
                Err(stop) => {
                    budget = Some(stop);
                    break;
                }
                Ok(Some(leaf)) if self.stop_at_max_score => {
                    top = Some(leaf);
                    break;
                }
                Ok(_) => {}
            }
        }
        let returned =
            top.unwrap_or_else(|| recommend(&search.tree, search.root, self.final_choice));
        let program = search.tree[returned]
            .best
            .as_ref()
            .or(search.tree[search.root].best.as_ref())
            .map(|(program, _)| program.clone())
            .unwrap_or_default();
        let own_stop = if top.is_some() {
            Stop::MaxScore
        } else {
            Stop::Iterations
        };
        let stop = own_stop.unless_budget(budget);
        Ok(session.finish(program, stop, |ending| {
            Trace::Mcts(MctsTrace {
                nodes: search.trace_nodes(),
                returned: returned.index(),
                iterations: search.iterations,
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

    fn node(visits: u64, mean: f64) -> TreeNode {
        TreeNode {
            visits,
            value_sum: mean * visits as f64,
            ..TreeNode::default()
        }
    }

    #[test]
    fn uct_follows_the_formula() {
        // 0.5 + sqrt(2) * sqrt(ln(10) / 2), computed by hand.
        let value = uct(0.5, 2, 10, std::f64::consts::SQRT_2);
        assert!((value - 2.017_427_129_3).abs() < 1e-9, "{value}");
        assert_eq!(uct(0.9, 0, 10, 1.0), f64::INFINITY);
    }

    #[test]
    fn selection_maximizes_uct() {
        let mut tree = Tree::new();
        let root = tree.add_node(node(10, 0.6));
        // UCT with c = sqrt(2): a 0.8 + 0.876 = 1.676; b 0.5 + 1.517 = 2.017; c 0.6 + 1.517.
        let a = tree.add_node(node(6, 0.8));
        let b = tree.add_node(node(2, 0.5));
        let c = tree.add_node(node(2, 0.6));
        for child in [a, b, c] {
            tree.add_edge(root, child, ());
        }
        assert_eq!(select_child(&tree, root, std::f64::consts::SQRT_2), Some(c));
        assert_eq!(select_child(&tree, root, 0.0), Some(a));
        let unvisited = tree.add_node(node(0, 0.0));
        tree.add_edge(root, unvisited, ());
        assert_eq!(select_child(&tree, root, 0.0), Some(unvisited));
    }

    #[test]
    fn backpropagation_updates_every_ancestor() {
        let mut tree = Tree::new();
        let root = tree.add_node(TreeNode::default());
        let a = tree.add_node(TreeNode::default());
        let b = tree.add_node(TreeNode::default());
        tree.add_edge(root, a, ());
        tree.add_edge(a, b, ());
        backpropagate(&mut tree, b, 0.7, Some("p"));
        backpropagate(&mut tree, a, 0.2, Some("q"));
        assert_eq!(
            (tree[root].visits, tree[a].visits, tree[b].visits),
            (2, 2, 1)
        );
        assert!((tree[root].value_sum - 0.9).abs() < 1e-12);
        assert!((tree[b].value_sum - 0.7).abs() < 1e-12);
        assert_eq!(tree[root].best, Some(("p".to_string(), 0.7)));
    }

    fn scenario() -> (Arc<ScriptedGenerator>, Arc<ScriptedDiscriminator>) {
        let generator = ScriptedGenerator::by_partial(&[
            ("", &["1\n5\n=", "4\n2\n="]),
            ("4", &["\n2\n="]),
            ("4\n2", &["\n="]),
        ]);
        let discriminator = ScriptedDiscriminator::new(&[("1\n5\n=", 0.2), ("4\n2\n=", 0.9)]);
        (Arc::new(generator), Arc::new(discriminator))
    }

    #[tokio::test]
    async fn searches_towards_the_best_program() {
        let (generator, discriminator) = scenario();
        let ctx = context(&generator, &discriminator);
        let mcts = Mcts {
            iterations: 4,
            exploration: std::f64::consts::SQRT_2,
            final_choice: MctsFinal::BestMean,
            stop_at_max_score: false,
        };
        let outcome = mcts.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "4\n2\n=");
        // Iterations: expand the root and simulate "1"; simulate "4"; expand "4"; expand "4,2".
        assert_eq!(generator.partials(), ["", "4", "4\n2"]);
        // Repeated programs are scored once, and the children of an expansion together.
        assert_eq!(
            *discriminator.batches.lock().unwrap(),
            [["1\n5\n=".to_string(), "4\n2\n=".to_string()]]
        );
        let Trace::Mcts(trace) = &outcome.trace else {
            panic!("{:?}", outcome.trace)
        };
        assert_eq!(trace.iterations, 4);
        assert_eq!(outcome.trace.stop(), Stop::Iterations);
        let returned = outcome.trace.returned().unwrap();
        assert_eq!(returned.program, "4\n2\n=");
        assert!(returned.terminal);
        assert_eq!(trace.nodes[0].visits, 4);
        assert_trace_fixture("mcts_iterations", &outcome.trace);
        let most_visits = Mcts {
            final_choice: MctsFinal::MostVisits,
            ..mcts
        };
        assert_eq!(
            most_visits.plan(&ctx, &example()).await.unwrap().program,
            "4\n2\n="
        );
    }

    #[tokio::test]
    async fn a_budget_stop_returns_the_best_so_far() {
        let (generator, discriminator) = scenario();
        let mut ctx = context(&generator, &discriminator);
        ctx.budget.max_llm_calls = Some(2);
        let mcts = Mcts {
            iterations: 50,
            exploration: 1.0,
            final_choice: MctsFinal::BestMean,
            stop_at_max_score: false,
        };
        let outcome = mcts.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "1\n5\n=");
        assert_eq!(outcome.trace.stop(), Stop::Budget(BudgetStop::LlmCalls));
        let Trace::Mcts(trace) = &outcome.trace else {
            panic!("{:?}", outcome.trace)
        };
        assert_eq!(trace.iterations, 1);
        assert_trace_fixture("mcts_budget_llm_calls", &outcome.trace);
    }

    #[tokio::test]
    async fn stops_at_the_first_simulation_with_the_highest_score_when_asked() {
        let generator = Arc::new(ScriptedGenerator::by_partial(&[(
            "",
            &["1\n5\n=", "4\n2\n="],
        )]));
        let discriminator = Arc::new(ScriptedDiscriminator::new(&[
            ("1\n5\n=", 0.2),
            ("4\n2\n=", 1.0),
        ]));
        let ctx = context(&generator, &discriminator);
        let mcts = Mcts {
            iterations: 50,
            exploration: 1.0,
            final_choice: MctsFinal::BestMean,
            stop_at_max_score: true,
        };
        let outcome = mcts.plan(&ctx, &example()).await.unwrap();
        assert_eq!(outcome.program, "4\n2\n=");
        assert_eq!(outcome.trace.stop(), Stop::MaxScore);
        let Trace::Mcts(trace) = &outcome.trace else {
            panic!("{:?}", outcome.trace)
        };
        assert_eq!(trace.iterations, 2);
        assert_eq!(outcome.trace.returned().unwrap().program, "4");
        assert_eq!(mcts.config()["stop_at_max_score"], true);
    }

    #[tokio::test]
    async fn a_call_budget_holds_exactly_with_an_llm_judge() {
        use crate::discriminators::{LlmDiscriminator, LlmVariant};
        use crate::testkit::SumTask;

        let mcts = Mcts {
            iterations: 50,
            exploration: 1.0,
            final_choice: MctsFinal::BestMean,
            stop_at_max_score: false,
        };
        for calls in 1..=8 {
            let mut traces = Vec::new();
            for salt in [1, 2] {
                let generator = Arc::new(
                    ScriptedGenerator::by_partial(&[
                        ("", &["1\n5\n=", "4\n2\n=", "3\n3\n="]),
                        ("4", &["\n2\n="]),
                    ])
                    .with_yes("4\n2\n=", 0.9)
                    .staggered(salt),
                );
                let judge =
                    LlmDiscriminator::new(Arc::new(SumTask), generator.clone(), LlmVariant::Naive);
                let mut ctx = context(&generator, &Arc::new(ScriptedDiscriminator::default()));
                ctx.discriminator = Arc::new(judge);
                ctx.budget.max_llm_calls = Some(calls);
                let outcome = mcts.plan(&ctx, &example()).await.unwrap();
                assert!(
                    outcome.cost.llm_calls <= calls,
                    "{calls}: {:?}",
                    outcome.cost
                );
                assert_eq!(generator.calls() as u64, outcome.cost.llm_calls);
                traces.push(outcome.trace);
            }
            assert_eq!(traces[0], traces[1], "{calls} calls");
        }
    }
}
