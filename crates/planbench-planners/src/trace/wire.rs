//! The JSON shapes of tree nodes: MC-ToT and UCT store different keys for the one [`Node`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{Candidate, Node, Scored};

/// An MC-ToT node as stored.
#[derive(Serialize, Deserialize)]
struct TreeNode {
    id: usize,
    #[serde(default)]
    parent: Option<usize>,
    program: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    visits: u64,
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    pruned: bool,
    #[serde(default)]
    expanded: bool,
    #[serde(default)]
    rollouts: Vec<Candidate>,
}

/// A UCT node as stored.
#[derive(Serialize, Deserialize)]
struct MctsNode {
    id: usize,
    #[serde(default)]
    parent: Option<usize>,
    program: String,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    visits: u64,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    rollout: Option<String>,
    #[serde(default)]
    best: Option<Scored>,
}

impl From<TreeNode> for Node {
    fn from(n: TreeNode) -> Self {
        Node {
            id: n.id,
            parent: n.parent,
            program: n.program,
            value: n.value,
            visits: n.visits,
            complete: n.complete,
            pruned: n.pruned,
            expanded: n.expanded,
            rollouts: n.rollouts,
            ..Node::default()
        }
    }
}

impl From<&Node> for TreeNode {
    fn from(n: &Node) -> Self {
        TreeNode {
            id: n.id,
            parent: n.parent,
            program: n.program.clone(),
            value: n.value,
            visits: n.visits,
            complete: n.complete,
            pruned: n.pruned,
            expanded: n.expanded,
            rollouts: n.rollouts.clone(),
        }
    }
}

impl From<MctsNode> for Node {
    fn from(n: MctsNode) -> Self {
        Node {
            id: n.id,
            parent: n.parent,
            program: n.program,
            value: n.value,
            visits: n.visits,
            terminal: n.terminal,
            rollouts: n
                .rollout
                .map(|program| Candidate {
                    program,
                    score: None,
                })
                .into_iter()
                .collect(),
            best: n.best,
            ..Node::default()
        }
    }
}

impl From<&Node> for MctsNode {
    fn from(n: &Node) -> Self {
        MctsNode {
            id: n.id,
            parent: n.parent,
            program: n.program.clone(),
            value: n.value,
            visits: n.visits,
            terminal: n.terminal,
            rollout: n.rollouts.first().map(|c| c.program.clone()),
            best: n.best.clone(),
        }
    }
}

/// `#[serde(with)]` for MC-ToT's nodes.
pub(super) mod tree_nodes {
    use super::*;

    pub fn serialize<S: Serializer>(nodes: &[Node], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(nodes.iter().map(TreeNode::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Node>, D::Error> {
        let nodes = Vec::<TreeNode>::deserialize(deserializer)?;
        Ok(nodes.into_iter().map(Node::from).collect())
    }
}

/// `#[serde(with)]` for UCT's nodes.
pub(super) mod mcts_nodes {
    use super::*;

    pub fn serialize<S: Serializer>(nodes: &[Node], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(nodes.iter().map(MctsNode::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Node>, D::Error> {
        let nodes = Vec::<MctsNode>::deserialize(deserializer)?;
        Ok(nodes.into_iter().map(Node::from).collect())
    }
}
