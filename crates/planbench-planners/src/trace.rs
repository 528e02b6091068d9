//! Human-readable rendering of planner traces (for `planbench show`).

use std::fmt::Write;

use serde_json::Value;

/// Renders a planner trace as text: candidates with scores, correction rounds, or a search
/// tree as indented lines. Unknown traces are pretty-printed JSON.
pub fn render_trace(trace: &Value) -> String {
    let mut out = String::new();
    let planner = trace["planner"].as_str().unwrap_or("?");
    let _ = writeln!(out, "planner: {planner}");
    let _ = writeln!(out, "stop: {}", compact(&trace["stop"]));
    match planner {
        "greedy" | "rerank" => render_candidates(&mut out, trace),
        "correct" => render_rounds(&mut out, trace),
        "tree" | "mcts" => render_tree(&mut out, trace),
        _ => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(trace).unwrap_or_default()
            );
            return out;
        }
    }
    let _ = writeln!(
        out,
        "program: {}",
        one_line(trace["program"].as_str().unwrap_or(""))
    );
    out
}

fn render_candidates(out: &mut String, trace: &Value) {
    let chosen = trace["chosen"].as_u64();
    for (i, candidate) in trace["candidates"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (program, score) = match candidate {
            Value::String(program) => (program.as_str(), Value::Null),
            other => (
                other["program"].as_str().unwrap_or(""),
                other["score"].clone(),
            ),
        };
        let mark = if chosen == Some(i as u64) { "*" } else { " " };
        let _ = writeln!(out, "{mark} {} {}", score_text(&score), one_line(program));
    }
}

fn render_rounds(out: &mut String, trace: &Value) {
    for round in trace["rounds"].as_array().into_iter().flatten() {
        let improved = if round["improved"].as_bool() == Some(true) {
            " (improved)"
        } else {
            ""
        };
        let _ = writeln!(out, "round {}{improved}", round["round"]);
        for candidate in round["candidates"].as_array().into_iter().flatten() {
            let program = candidate["program"].as_str().unwrap_or("");
            let _ = writeln!(
                out,
                "  {} {}",
                score_text(&candidate["score"]),
                one_line(program)
            );
        }
    }
}

fn render_tree(out: &mut String, trace: &Value) {
    let nodes: Vec<&Value> = trace["nodes"].as_array().into_iter().flatten().collect();
    let returned = trace["returned"].as_u64();
    let roots = nodes.iter().filter(|n| n["parent"].is_null());
    for root in roots {
        render_node(out, &nodes, root, 0, returned);
    }
}

fn render_node(
    out: &mut String,
    nodes: &[&Value],
    node: &Value,
    depth: usize,
    returned: Option<u64>,
) {
    let id = node["id"].as_u64();
    let program = node["program"].as_str().unwrap_or("");
    let parent_program = node["parent"]
        .as_u64()
        .and_then(|p| nodes.iter().find(|n| n["id"].as_u64() == Some(p)))
        .and_then(|p| p["program"].as_str())
        .unwrap_or("");
    let step = program
        .strip_prefix(parent_program.trim_end())
        .unwrap_or(program);
    let step = if depth == 0 { "(root)" } else { step.trim() };
    let mut flags = String::new();
    for flag in ["complete", "terminal", "pruned"] {
        if node[flag].as_bool() == Some(true) {
            let _ = write!(flags, " {flag}");
        }
    }
    if id.is_some() && id == returned {
        flags.push_str(" <= returned");
    }
    let _ = writeln!(
        out,
        "{}[#{} value {} visits {}] {}{flags}",
        "  ".repeat(depth),
        node["id"],
        score_text(&node["value"]),
        node["visits"],
        one_line(step),
    );
    for child in nodes
        .iter()
        .filter(|n| n["parent"].as_u64().is_some() && n["parent"].as_u64() == id)
    {
        render_node(out, nodes, child, depth + 1, returned);
    }
}

fn score_text(score: &Value) -> String {
    score
        .as_f64()
        .map_or_else(|| "  -  ".to_string(), |s| format!("{s:.3}"))
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn one_line(text: &str) -> String {
    text.replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn trees_render_as_indented_steps() {
        let trace = json!({
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
        });
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
        let rerank = json!({
            "planner": "rerank", "stop": "done", "program": "b", "chosen": 1,
            "candidates": [{ "program": "a", "score": 0.25 }, { "program": "b", "score": 0.5 }],
        });
        assert_eq!(
            render_trace(&rerank),
            "planner: rerank\nstop: done\n  0.250 a\n* 0.500 b\nprogram: b\n"
        );
        let correct = json!({
            "planner": "correct", "stop": { "budget": "seconds" }, "program": "a",
            "rounds": [{ "round": 1, "improved": true, "candidates": [{ "program": "a", "score": 1.0 }] }],
        });
        assert_eq!(
            render_trace(&correct),
            "planner: correct\nstop: {\"budget\":\"seconds\"}\nround 1 (improved)\n  1.000 a\nprogram: a\n"
        );
    }
}
