//! The typed trace of one planner run: what each planner did, why it stopped, what it returned.
//!
//! The JSON form is the one the planners wrote before traces were typed, so stored results
//! still load: `{"planner": "rerank", "stop": "done", "program": …, "example_seed": …, …}`.

use serde::{Deserialize, Serialize};

use super::stop::Stop;
use super::wire;
use crate::planners::PlannerKind;

/// What one planner did on one example, tagged by planner in JSON (`"planner": "tree"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "planner", rename_all = "lowercase")]
pub enum Trace {
    /// Greedy decoding.
    Greedy(GreedyTrace),
    /// Re-ranking.
    Rerank(RerankTrace),
    /// Iterative correction.
    Correct(CorrectTrace),
    /// MC-ToT best-first tree search.
    Tree(TreeTrace),
    /// UCT Monte-Carlo tree search.
    Mcts(MctsTrace),
    /// Majority voting over executed answers (self-consistency).
    Vote(VoteTrace),
    /// Voting weighted by discriminator scores.
    #[serde(rename = "weighted-vote")]
    WeightedVote(VoteTrace),
}

/// How a planner run ended; every trace has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ending {
    /// Why the planner stopped.
    pub stop: Stop,
    /// The returned program (empty when there was none).
    #[serde(default)]
    pub program: String,
    /// The example's seed, derived from the run seed and the example id (absent only in traces
    /// not written by a planner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example_seed: Option<u64>,
}

/// A candidate program and its score, when it was scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The program.
    pub program: String,
    /// The discriminator's score; absent when a budget stop came before scoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A program and its discriminator score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// The program.
    pub program: String,
    /// The discriminator's score.
    pub score: f64,
}

/// Greedy decoding: the one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GreedyTrace {
    /// The distinct programs of the greedy sample (at most one; none after a budget stop).
    #[serde(default)]
    pub candidates: Vec<String>,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// Re-ranking: the distinct samples, their scores and the chosen one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RerankTrace {
    /// The distinct samples in sample order, scored unless a budget stop came first.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// The index of the returned candidate.
    #[serde(default)]
    pub chosen: Option<usize>,
    /// Every sample in sample order as the index of its program in `candidates` (`None`: the
    /// completion held no program), so that coverage (pass@k) can count duplicates. Empty in
    /// traces written before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Option<usize>>,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// Voting: the samples, their answer clusters and the winning cluster. Plain voting never
/// calls the discriminator, so its scores are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoteTrace {
    /// The distinct samples in sample order; weighted voting scores those that vote.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Every sample in sample order as the index of its program in `candidates` (`None`: the
    /// completion held no program).
    #[serde(default)]
    pub samples: Vec<Option<usize>>,
    /// The answer clusters of the candidates that executed, in order of their first member.
    /// Candidates in no cluster did not vote (no output, no answer, or not executed before a
    /// budget stop).
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// The index of the winning cluster (none when no candidate voted).
    #[serde(default)]
    pub chosen_cluster: Option<usize>,
    /// The index of the returned candidate: the winning cluster's first member, or the first
    /// candidate when none voted.
    #[serde(default)]
    pub chosen: Option<usize>,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// The candidates that gave one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// The answer, briefly (a GSM8K value, or a table's size and first row).
    #[serde(default)]
    pub answer: String,
    /// The indices of its candidates, in sample order.
    #[serde(default)]
    pub members: Vec<usize>,
    /// Its samples (a program sampled twice votes twice).
    #[serde(default)]
    pub votes: usize,
    /// Weighted voting: the sum of its samples' scores; absent when nothing was scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// Iterative correction: one entry per scored round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectTrace {
    /// The scored rounds, the initial samples first.
    #[serde(default)]
    pub rounds: Vec<Round>,
    /// The best score of any round.
    #[serde(default)]
    pub best_score: Option<f64>,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// One scoring round of iterative correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// 1 for the initial samples, then one more per correction.
    pub round: usize,
    /// The round's distinct candidates with their scores.
    #[serde(default)]
    pub candidates: Vec<Scored>,
    /// Whether the round's best score beat every earlier round's.
    #[serde(default)]
    pub improved: bool,
}

/// MC-ToT: the search tree, the pop order and the returned node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeTrace {
    /// Every node, the root (id 0) first; ids are indices.
    #[serde(default, with = "wire::tree_nodes")]
    pub nodes: Vec<Node>,
    /// The ids of the popped nodes, in pop order.
    #[serde(default)]
    pub pops: Vec<usize>,
    /// Generation requests for next steps.
    #[serde(default)]
    pub expansions: usize,
    /// The id of the returned node (none after a budget stop or an empty queue).
    #[serde(default)]
    pub returned: Option<usize>,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// UCT: the search tree and the recommended node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MctsTrace {
    /// Every node, the root (id 0) first; ids are indices.
    #[serde(default, with = "wire::mcts_nodes")]
    pub nodes: Vec<Node>,
    /// The id of the node the final descent reached (its best program is returned).
    #[serde(default)]
    pub returned: usize,
    /// Completed iterations.
    #[serde(default)]
    pub iterations: usize,
    /// How the run ended (stop, program, example seed).
    #[serde(flatten)]
    pub ending: Ending,
}

/// A partial program in a search tree; one shape for MC-ToT and UCT. Fields that only one of
/// them records are left empty by the other (their JSON keys differ, see each field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    /// The node's index in its trace.
    pub id: usize,
    /// The parent's id; `None` for the root.
    pub parent: Option<usize>,
    /// The partial program (the root's is empty).
    pub program: String,
    /// MC-ToT: the best rollout score; UCT: the mean simulated value. `None` when unvalued.
    pub value: Option<f64>,
    /// MC-ToT: rollouts; UCT: simulations through the node.
    pub visits: u64,
    /// MC-ToT: the task calls the program complete (it is its own rollout).
    pub complete: bool,
    /// UCT: complete, or no continuation extends it; scored as itself.
    pub terminal: bool,
    /// MC-ToT: not queued (none of its rollouts executes, or it has no value).
    pub pruned: bool,
    /// MC-ToT: next steps were sampled from it.
    pub expanded: bool,
    /// MC-ToT: the scored rollouts; UCT: the sample the step came from, unscored.
    pub rollouts: Vec<Candidate>,
    /// UCT: the best-scored complete program simulated under the node.
    pub best: Option<Scored>,
}

impl Node {
    /// The node's program and value when the program is finished and was scored as itself
    /// (MC-ToT `complete`, UCT `terminal`).
    pub fn scored_program(&self) -> Option<(&str, f64)> {
        match (self.complete || self.terminal, self.value) {
            (true, Some(value)) => Some((self.program.as_str(), value)),
            _ => None,
        }
    }
}

impl Trace {
    /// Parses a stored trace; callers fall back (e.g. to raw JSON) on an error.
    pub fn from_value(value: serde_json::Value) -> Result<Trace, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// The trace as stored JSON (the keys and shapes of [`Trace::from_value`]).
    pub fn to_value(&self) -> serde_json::Value {
        // Serializing these types cannot fail (string keys, no custom serializers that error).
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The planner that wrote the trace.
    pub fn planner(&self) -> PlannerKind {
        match self {
            Trace::Greedy(_) => PlannerKind::Greedy,
            Trace::Rerank(_) => PlannerKind::Rerank,
            Trace::Correct(_) => PlannerKind::Correct,
            Trace::Tree(_) => PlannerKind::Tree,
            Trace::Mcts(_) => PlannerKind::Mcts,
            Trace::Vote(_) => PlannerKind::Vote,
            Trace::WeightedVote(_) => PlannerKind::WeightedVote,
        }
    }

    /// How the run ended.
    pub fn ending(&self) -> &Ending {
        match self {
            Trace::Greedy(t) => &t.ending,
            Trace::Rerank(t) => &t.ending,
            Trace::Correct(t) => &t.ending,
            Trace::Tree(t) => &t.ending,
            Trace::Mcts(t) => &t.ending,
            Trace::Vote(t) | Trace::WeightedVote(t) => &t.ending,
        }
    }

    /// Why the planner stopped.
    pub fn stop(&self) -> Stop {
        self.ending().stop
    }

    /// The returned program.
    pub fn program(&self) -> &str {
        &self.ending().program
    }

    /// The search tree's nodes (empty for planners without a tree).
    pub fn nodes(&self) -> &[Node] {
        match self {
            Trace::Tree(t) => &t.nodes,
            Trace::Mcts(t) => &t.nodes,
            _ => &[],
        }
    }

    /// The node the search returned, if any.
    pub fn returned(&self) -> Option<&Node> {
        let id = match self {
            Trace::Tree(t) => t.returned?,
            Trace::Mcts(t) => t.returned,
            _ => return None,
        };
        self.nodes().iter().find(|node| node.id == id)
    }

    /// Every sample of re-ranking and voting in sample order, as its program (`None`: the
    /// completion held no program), duplicates included: the n samples that coverage
    /// ([`crate::pass_at_k`]) counts. Empty for other planners and for re-ranking traces written
    /// before samples were recorded.
    pub fn samples(&self) -> Vec<Option<&str>> {
        let (candidates, samples) = match self {
            Trace::Rerank(t) => (&t.candidates, &t.samples),
            Trace::Vote(t) | Trace::WeightedVote(t) => (&t.candidates, &t.samples),
            _ => return Vec::new(),
        };
        samples
            .iter()
            .map(|index| index.and_then(|i| candidates.get(i).map(|c| c.program.as_str())))
            .collect()
    }

    /// Every finished program the trace records a discriminator score for, in trace order:
    /// re-ranking's and weighted voting's scored candidates, every candidate of every correction round, and the tree
    /// nodes of [`Node::scored_program`]. Greedy and plain voting score nothing. A program may repeat (e.g. a
    /// correction that reproduces an earlier candidate).
    pub fn scored_candidates(&self) -> Vec<(&str, f64)> {
        match self {
            Trace::Greedy(_) | Trace::Vote(_) => Vec::new(),
            Trace::Rerank(RerankTrace { candidates, .. })
            | Trace::WeightedVote(VoteTrace { candidates, .. }) => candidates
                .iter()
                .filter_map(|c| Some((c.program.as_str(), c.score?)))
                .collect(),
            Trace::Correct(t) => t
                .rounds
                .iter()
                .flat_map(|round| &round.candidates)
                .map(|c| (c.program.as_str(), c.score))
                .collect(),
            Trace::Tree(_) | Trace::Mcts(_) => self
                .nodes()
                .iter()
                .filter_map(Node::scored_program)
                .collect(),
        }
    }
}
