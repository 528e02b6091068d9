//! Human-readable rendering of planner traces (for `planbench show`).

use std::fmt::Write;

use super::model::{Candidate, Node, Round, Trace, VoteTrace};
use super::stop::Stop;

/// Renders a planner trace as text: candidates with scores, correction rounds, or a search
/// tree as indented lines.
pub fn render_trace(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "planner: {}", trace.planner());
    let _ = writeln!(out, "stop: {}", stop_text(trace.stop()));
    match trace {
        Trace::Greedy(t) => {
            for program in &t.candidates {
                let _ = writeln!(out, "  {} {}", score_text(None), one_line(program));
            }
        }
        Trace::Rerank(t) => {
            render_candidates(&mut out, &t.candidates, t.chosen);
            render_samples(&mut out, &t.samples);
        }
        Trace::Correct(t) => render_rounds(&mut out, &t.rounds),
        Trace::Tree(t) => render_tree(&mut out, &t.nodes, t.returned),
        Trace::Mcts(t) => render_tree(&mut out, &t.nodes, Some(t.returned)),
        Trace::Vote(t) | Trace::WeightedVote(t) => render_votes(&mut out, t),
    }
    let _ = writeln!(out, "program: {}", one_line(trace.program()));
    out
}

/// Renders a stored trace: typed when it parses, otherwise its planner, stop and pretty JSON.
pub fn render_trace_value(trace: &serde_json::Value) -> String {
    if let Ok(typed) = Trace::from_value(trace.clone()) {
        return render_trace(&typed);
    }
    let mut out = String::new();
    let planner = trace["planner"].as_str().unwrap_or("?");
    let stop = match &trace["stop"] {
        serde_json::Value::String(name) => name.clone(),
        other => other.to_string(),
    };
    let _ = writeln!(out, "planner: {planner}\nstop: {stop}");
    let _ = writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(trace).unwrap_or_default()
    );
    out
}

fn render_candidates(out: &mut String, candidates: &[Candidate], chosen: Option<usize>) {
    for (i, candidate) in candidates.iter().enumerate() {
        let mark = if chosen == Some(i) { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {} {}",
            score_text(candidate.score),
            one_line(&candidate.program)
        );
    }
}

/// Which candidate each sample gave (`-`: none), when the trace records it.
fn render_samples(out: &mut String, samples: &[Option<usize>]) {
    if samples.is_empty() {
        return;
    }
    let indices: Vec<String> = samples
        .iter()
        .map(|s| s.map_or_else(|| "-".to_string(), |i| i.to_string()))
        .collect();
    let _ = writeln!(out, "samples: {}", indices.join(" "));
}

/// The clusters with their votes (and score sums), each with its members; then the candidates
/// that did not vote.
fn render_votes(out: &mut String, trace: &VoteTrace) {
    let mut voted = vec![false; trace.candidates.len()];
    for (k, cluster) in trace.clusters.iter().enumerate() {
        let mark = if trace.chosen_cluster == Some(k) {
            "*"
        } else {
            " "
        };
        let score = cluster
            .score
            .map(|s| format!(", score {s:.3}"))
            .unwrap_or_default();
        let votes = if cluster.votes == 1 { "vote" } else { "votes" };
        let _ = writeln!(
            out,
            "{mark} answer {}: {} {votes}{score}",
            one_line(&cluster.answer),
            cluster.votes
        );
        for &member in &cluster.members {
            if let Some(candidate) = trace.candidates.get(member) {
                voted[member] = true;
                render_member(out, candidate, trace.chosen == Some(member));
            }
        }
    }
    if voted.iter().any(|v| !v) {
        let _ = writeln!(out, "  no vote:");
        for (i, candidate) in trace.candidates.iter().enumerate() {
            if !voted[i] {
                render_member(out, candidate, trace.chosen == Some(i));
            }
        }
    }
    render_samples(out, &trace.samples);
}

fn render_member(out: &mut String, candidate: &Candidate, chosen: bool) {
    let mark = if chosen { "*" } else { " " };
    let _ = writeln!(
        out,
        "  {mark} {} {}",
        score_text(candidate.score),
        one_line(&candidate.program)
    );
}

fn render_rounds(out: &mut String, rounds: &[Round]) {
    for round in rounds {
        let improved = if round.improved { " (improved)" } else { "" };
        let _ = writeln!(out, "round {}{improved}", round.round);
        for candidate in &round.candidates {
            let _ = writeln!(
                out,
                "  {} {}",
                score_text(Some(candidate.score)),
                one_line(&candidate.program)
            );
        }
    }
}

/// A tree drawn from its roots; each node is drawn once, even in a malformed trace.
struct TreeDrawing<'a> {
    nodes: &'a [Node],
    returned: Option<usize>,
    drawn: Vec<bool>,
}

fn render_tree(out: &mut String, nodes: &[Node], returned: Option<usize>) {
    let mut drawing = TreeDrawing {
        nodes,
        returned,
        drawn: vec![false; nodes.len()],
    };
    for (index, _) in nodes.iter().enumerate().filter(|(_, n)| n.parent.is_none()) {
        drawing.node(out, index, 0);
    }
}

impl TreeDrawing<'_> {
    fn node(&mut self, out: &mut String, index: usize, depth: usize) {
        if std::mem::replace(&mut self.drawn[index], true) {
            return;
        }
        let node = &self.nodes[index];
        let parent_program = node
            .parent
            .and_then(|p| self.nodes.iter().find(|n| n.id == p))
            .map_or("", |p| p.program.as_str());
        let step = node
            .program
            .strip_prefix(parent_program.trim_end())
            .unwrap_or(&node.program);
        let step = if depth == 0 { "(root)" } else { step.trim() };
        let mut flags = String::new();
        for (flag, set) in [
            ("complete", node.complete),
            ("terminal", node.terminal),
            ("pruned", node.pruned),
        ] {
            if set {
                let _ = write!(flags, " {flag}");
            }
        }
        if self.returned == Some(node.id) {
            flags.push_str(" <= returned");
        }
        let _ = writeln!(
            out,
            "{}[#{} value {} visits {}] {}{flags}",
            "  ".repeat(depth),
            node.id,
            score_text(node.value),
            node.visits,
            one_line(step),
        );
        let children: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].parent == Some(node.id))
            .collect();
        for child in children {
            self.node(out, child, depth + 1);
        }
    }
}

/// A budget stop as it is stored (`{"budget":"seconds"}`), other stops by name.
fn stop_text(stop: Stop) -> String {
    match stop {
        Stop::Budget(limit) => format!("{{\"budget\":\"{limit}\"}}"),
        other => other.to_string(),
    }
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "  -  ".to_string(), |s| format!("{s:.3}"))
}

fn one_line(text: &str) -> String {
    text.replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn typed(value: serde_json::Value) -> Trace {
        Trace::from_value(value).unwrap()
    }

    #[test]
    fn trees_render_as_indented_steps() {
        let trace = typed(json!({
            "planner": "tree",
            "stop": "complete",
            "program": "1\n5\n=",
            "returned": 3,
            "nodes": [
                { "id": 0, "parent": null, "program": "", "value": null, "visits": 0 },
                { "id": 1, "parent": 0, "program": "1", "value": 0.6, "visits": 1 },
                { "id": 2, "parent": 0, "program": "x", "value": 0.9, "visits": 1, "pruned": true },
                { "id": 3, "parent": 1, "program": "1\n5\n=", "value": 0.6, "visits": 1, "complete": true },
            ],
        }));
        assert_eq!(
            render_trace(&trace),
            "planner: tree\nstop: complete\n\
             [#0 value   -   visits 0] (root)\n\
             \x20 [#1 value 0.600 visits 1] 1\n\
             \x20   [#3 value 0.600 visits 1] 5\\n= complete <= returned\n\
             \x20 [#2 value 0.900 visits 1] x pruned\n\
             program: 1\\n5\\n=\n"
        );
    }

    #[test]
    fn candidates_and_rounds_render_with_scores() {
        let rerank = typed(json!({
            "planner": "rerank", "stop": "done", "program": "b", "chosen": 1,
            "candidates": [{ "program": "a", "score": 0.25 }, { "program": "b", "score": 0.5 }],
        }));
        assert_eq!(
            render_trace(&rerank),
            "planner: rerank\nstop: done\n  0.250 a\n* 0.500 b\nprogram: b\n"
        );
        let correct = typed(json!({
            "planner": "correct", "stop": { "budget": "seconds" }, "program": "a",
            "rounds": [{ "round": 1, "improved": true, "candidates": [{ "program": "a", "score": 1.0 }] }],
        }));
        assert_eq!(
            render_trace(&correct),
            "planner: correct\nstop: {\"budget\":\"seconds\"}\nround 1 (improved)\n  1.000 a\nprogram: a\n"
        );
        let greedy = typed(json!({
            "planner": "greedy", "stop": "done", "program": "a", "candidates": ["a"],
        }));
        assert_eq!(
            render_trace(&greedy),
            "planner: greedy\nstop: done\n    -   a\nprogram: a\n"
        );
    }

    #[test]
    fn votes_render_by_cluster() {
        let vote = typed(json!({
            "planner": "weighted-vote", "stop": "done", "program": "b",
            "candidates": [{ "program": "a", "score": 0.25 }, { "program": "b", "score": 0.5 },
                           { "program": "c" }],
            "samples": [0, 1, 1, null, 2],
            "clusters": [{ "answer": "1", "members": [0], "votes": 1, "score": 0.25 },
                         { "answer": "2", "members": [1], "votes": 2, "score": 1.0 }],
            "chosen_cluster": 1, "chosen": 1,
        }));
        assert_eq!(
            render_trace(&vote),
            "planner: weighted-vote\nstop: done\n\
             \x20 answer 1: 1 vote, score 0.250\n\
             \x20   0.250 a\n\
             * answer 2: 2 votes, score 1.000\n\
             \x20 * 0.500 b\n\
             \x20 no vote:\n\
             \x20     -   c\n\
             samples: 0 1 1 - 2\n\
             program: b\n"
        );
    }

    #[test]
    fn uct_trees_show_terminal_nodes() {
        let trace = typed(json!({
            "planner": "mcts", "stop": "iterations", "program": "4", "returned": 1,
            "iterations": 2,
            "nodes": [
                { "id": 0, "parent": null, "program": "", "value": 0.5, "visits": 2,
                  "terminal": false, "rollout": null, "best": null },
                { "id": 1, "parent": 0, "program": "4", "value": 0.5, "visits": 2,
                  "terminal": true, "rollout": "4", "best": { "program": "4", "score": 0.5 } },
            ],
        }));
        assert_eq!(
            render_trace(&trace),
            "planner: mcts\nstop: iterations\n\
             [#0 value 0.500 visits 2] (root)\n\
             \x20 [#1 value 0.500 visits 2] 4 terminal <= returned\n\
             program: 4\n"
        );
    }

    #[test]
    fn malformed_traces_render_as_json_and_cycles_end() {
        let unknown = json!({ "planner": "beam", "stop": "done" });
        let text = render_trace_value(&unknown);
        assert!(text.starts_with("planner: beam\nstop: done\n{"), "{text}");
        assert!(render_trace_value(&json!(null)).starts_with("planner: ?\nstop: null\n"));
        // Duplicate ids make a cycle under the root; every node is still drawn once.
        let cyclic = typed(json!({
            "planner": "tree", "stop": "complete", "program": "",
            "nodes": [
                { "id": 1, "program": "" },
                { "id": 0, "parent": 1, "program": "a" },
                { "id": 1, "parent": 0, "program": "a\nb" },
            ],
        }));
        assert_eq!(render_trace(&cyclic).lines().count(), 6);
    }
}
