//! How well a judge's scores of tree-search rollouts agree with the truth, by tree depth.

use serde::{Deserialize, Serialize};

use crate::trace::Trace;

/// Judgements of rollouts taken at one depth of a search tree (the number of steps of the
/// partial program they were completed from; the root's children are at depth 1). Counts add
/// up over examples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthAccuracy {
    pub depth: usize,
    /// Scored rollouts.
    pub judged: usize,
    /// Of those, the ones judged correct (score above the threshold) exactly when correct.
    pub right: usize,
    /// Of those, the correct ones.
    pub correct: usize,
}

impl DepthAccuracy {
    /// `right / judged`; `None` without judgements.
    pub fn accuracy(&self) -> Option<f64> {
        (self.judged > 0).then(|| self.right as f64 / self.judged as f64)
    }
}

/// Why a trace's tree could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    /// A node's parent is not an earlier node (ids are indices, the root first).
    #[error("node {node} has the parent {parent}, which is not an earlier node")]
    BadParent { node: usize, parent: usize },
}

/// The judge's accuracy on the scored rollouts of an MC-ToT trace, by the depth of the node
/// they were rolled out from (index 0: depth 1). Traces do not record correctness, so the
/// caller supplies it: `is_correct(program)`, e.g. the task's `is_correct` for the trace's
/// example. A score above `threshold` is a "correct" judgement (as in
/// [`crate::intrinsic_metrics_at`]). Rollouts without a score (MCTS records none, and a
/// budget stop may leave some) are skipped; a program is counted once per node that rolled
/// it out.
pub fn judge_accuracy_by_depth(
    trace: &Trace,
    threshold: f64,
    mut is_correct: impl FnMut(&str) -> bool,
) -> Result<Vec<DepthAccuracy>, DepthError> {
    let nodes = trace.nodes();
    let mut depths: Vec<usize> = Vec::with_capacity(nodes.len());
    let mut by_depth: Vec<DepthAccuracy> = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let depth = match node.parent {
            None => 0,
            Some(parent) if parent < index => depths[parent] + 1,
            Some(parent) => {
                return Err(DepthError::BadParent {
                    node: node.id,
                    parent,
                })
            }
        };
        depths.push(depth);
        for rollout in &node.rollouts {
            let Some(score) = rollout.score else { continue };
            if depth == 0 {
                continue;
            }
            if by_depth.len() < depth {
                by_depth.resize_with(depth, DepthAccuracy::default);
                for (i, entry) in by_depth.iter_mut().enumerate() {
                    entry.depth = i + 1;
                }
            }
            let correct = is_correct(&rollout.program);
            let entry = &mut by_depth[depth - 1];
            entry.judged += 1;
            entry.correct += usize::from(correct);
            entry.right += usize::from((score > threshold) == correct);
        }
    }
    Ok(by_depth)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Candidate, Ending, Node, Stop, TreeTrace};

    fn node(id: usize, parent: Option<usize>, rollouts: &[(&str, Option<f64>)]) -> Node {
        Node {
            id,
            parent,
            rollouts: rollouts
                .iter()
                .map(|(program, score)| Candidate {
                    program: program.to_string(),
                    score: *score,
                })
                .collect(),
            ..Node::default()
        }
    }

    fn tree(nodes: Vec<Node>) -> Trace {
        Trace::Tree(TreeTrace {
            nodes,
            pops: Vec::new(),
            expansions: 0,
            returned: None,
            ending: Ending {
                stop: Stop::Complete,
                program: String::new(),
                example_seed: None,
            },
        })
    }

    #[test]
    fn rollouts_are_judged_by_the_depth_of_their_node() {
        // Correct programs start with "ok". Depth 1: two right judgements, one wrong; depth 2:
        // one wrong, one unscored.
        let trace = tree(vec![
            node(0, None, &[]),
            node(1, Some(0), &[("ok a", Some(0.9)), ("bad", Some(0.1))]),
            node(2, Some(0), &[("bad", Some(0.7))]),
            node(3, Some(1), &[("ok b", Some(0.2)), ("ok c", None)]),
        ]);
        let by_depth = judge_accuracy_by_depth(&trace, 0.5, |p| p.starts_with("ok")).unwrap();
        assert_eq!(
            by_depth,
            [
                DepthAccuracy {
                    depth: 1,
                    judged: 3,
                    right: 2,
                    correct: 1
                },
                DepthAccuracy {
                    depth: 2,
                    judged: 1,
                    right: 0,
                    correct: 1
                }
            ]
        );
        assert_eq!(by_depth[1].accuracy(), Some(0.0));
        assert_eq!(DepthAccuracy::default().accuracy(), None);
    }

    #[test]
    fn a_parent_that_is_not_an_earlier_node_is_an_error() {
        let trace = tree(vec![
            node(0, None, &[]),
            node(1, Some(5), &[("a", Some(1.0))]),
        ]);
        assert_eq!(
            judge_accuracy_by_depth(&trace, 0.5, |_| true),
            Err(DepthError::BadParent { node: 1, parent: 5 })
        );
        assert!(judge_accuracy_by_depth(&tree(Vec::new()), 0.5, |_| true)
            .unwrap()
            .is_empty());
    }
}
