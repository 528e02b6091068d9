//! The paper's protocol and planbench's: every place where planbench chooses differently from
//! Chen et al. (ACL 2024, their released code) is one [`Switch`], a named spec field with the
//! paper's value. [`Protocol::apply`] sets them all at once; a spec file's `protocol = "paper"`
//! or the CLI's `--protocol paper` start from it, and any field the file or a flag sets still
//! overrides it. `planbench protocol` prints the table; `docs/protocol.md` explains it.

use serde_json::{Map, Value};

use crate::spec::{DiscriminatorSpec, RunSpec, TaskSpec};
use crate::ExperimentError;

/// Which protocol's choices a spec starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// planbench's defaults.
    #[default]
    Planbench,
    /// The paper's released code, wherever planbench differs from it.
    Paper,
}

planbench_core::named_enum!(Protocol, "protocol", { Planbench => "planbench", Paper => "paper" });

impl Protocol {
    /// True for planbench's defaults (spec files leave the key out then).
    pub fn is_planbench(&self) -> bool {
        *self == Protocol::Planbench
    }
}

/// One deviation from the paper: the spec field that selects it and what each side does.
#[derive(Debug, Clone)]
pub struct Switch {
    /// Dotted path of the field in a run spec (`sampling.top_k`, `task.sql_steps`).
    pub field: &'static str,
    /// The switch exists only where the spec's value at this path is this (e.g. a task's or
    /// an oracle's field).
    pub only_if: Option<(&'static str, &'static str)>,
    /// The paper's value (JSON as in a spec file).
    pub paper: Value,
    /// What the paper's code does.
    pub paper_does: &'static str,
    /// What planbench does by default, and why.
    pub planbench_does: &'static str,
    /// Which reported results it moves.
    pub moves: &'static str,
}

/// Every switch, in the order of `docs/protocol.md`.
pub fn switches() -> Vec<Switch> {
    vec![
        Switch {
            field: "sampling.top_k",
            only_if: None,
            paper: Value::from(50),
            paper_does: "Hugging Face `generate` with temperature 0.6, 5 samples, 300 new \
                         tokens, so its default top-k = 50 applies",
            planbench_does: "no top-k cut: the temperature and top-p alone shape sampling, the \
                             same on every backend (not every server accepts top-k)",
            moves: "every sampling planner's candidates (diversity, coverage)",
        },
        Switch {
            field: "discriminator.draws",
            only_if: Some(("discriminator.kind", "oracle")),
            paper: Value::from("per-call"),
            paper_does: "a fresh random draw on every scoring call, so a wrong program scored \
                         again gets a new chance to be flipped",
            planbench_does: "`per-candidate`: one draw per (seed, example, normalized program), \
                             so a candidate keeps its judgement however often a planner \
                             re-scores it (per-call draws stay seeded and deterministic)",
            moves: "correction and tree search, which re-score programs; the oracle's \
                    effective accuracy",
        },
        Switch {
            field: "discriminator.levels",
            only_if: Some(("discriminator.kind", "oracle")),
            paper: Value::from("paper"),
            paper_does: "three levels: a non-executable program is worst unless flipped, an \
                         executable wrong one is in the middle, the Spider soft F1 (first 5 \
                         rows, unclamped) or GSM8K equality above; nothing flips when the gold \
                         fails",
            planbench_does: "`unit`: the true score clamped to [0, 1], a wrong judgement is \
                             `1 - score` for every candidate, so every planner sees one scale",
            moves: "which wrong candidate wins under a noisy oracle; tree-search pruning",
        },
        Switch {
            field: "discriminator.score",
            only_if: Some(("discriminator.kind", "llm")),
            paper: Value::from("raw-yes"),
            paper_does: "the raw softmax probability of the `Yes` token over the whole \
                         vocabulary (its OpenAI path: P(Yes) from the top-5 logprobs, else \
                         1 − P(No), else 0)",
            planbench_does: "`yes-share`: P(Yes) / (P(Yes) + P(No)), a score on one scale \
                             whatever mass the model puts on other tokens",
            moves: "every LLM-judge result; correction's `> 0.99` stop fires more often on \
                    the share",
        },
        Switch {
            field: "task.scored_program",
            only_if: Some(("task.name", "spider")),
            paper: Value::from("normalized"),
            paper_does: "scores and evaluates the normalized SQL (identifiers lower-cased \
                         outside quotes, double quotes turned single, tokens re-joined with \
                         single spaces, one trailing `;`)",
            planbench_does: "`raw`: the query as the model first spelled it, what a user of \
                             the model would run",
            moves: "Spider execution accuracy where normalization changes what runs; \
                    candidate deduplication",
        },
        Switch {
            field: "task.disc_shots",
            only_if: Some(("task.name", "spider")),
            paper: Value::from(1),
            paper_does: "one demonstration in every Spider judge prompt (its re-ranking and \
                         correction scripts)",
            planbench_does: "0-shot: the judge sees only the question, schema and candidate, so \
                             judge results do not depend on a retrieval",
            moves: "every Spider LLM-judge score",
        },
        Switch {
            field: "task.disc_demos",
            only_if: Some(("task.name", "spider")),
            paper: Value::from("near-miss"),
            paper_does: "the demonstration is the BM25-closest training question, its \
                         \"No\" query the generator's own wrong candidate for it (a near miss \
                         that may not even execute)",
            planbench_does: "`other-query`: another gold query of the same database that runs \
                             to a different result, so demonstrations need no generator pass; \
                             `near-miss` samples the generator on the closest training \
                             questions before the run (cached) and keeps a wrong candidate",
            moves: "Spider LLM-judge scores with demonstrations",
        },
        Switch {
            field: "task.python_scope",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from("exec-locals"),
            paper_does: "`exec(program, None, locals)` under CPython 3.10: top-level names are \
                         invisible inside comprehensions and function bodies, a NameError",
            planbench_does: "`shared`: one namespace, as a script runs, so a correct program \
                             is not failed for its scoping",
            moves: "GSM8K accuracy and which candidates execute",
        },
        Switch {
            field: "task.python_imports",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from("stdlib"),
            paper_does: "any import is allowed",
            planbench_does: "`math` only; `stdlib` allows the pure-computation modules the \
                             monty sandbox supports (not every CPython module)",
            moves: "GSM8K programs that import",
        },
        Switch {
            field: "task.completeness",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from("answer-substring"),
            paper_does: "a tree-search program is complete once the text `answer =` appears \
                         anywhere; each new step is left-stripped",
            planbench_does: "`top-level-answer`: a finished top-level `answer = …`, \
                             indentation kept",
            moves: "GSM8K tree search: when it stops expanding",
        },
        Switch {
            field: "planner.options.tree_prune",
            only_if: None,
            paper: Value::from("all-worst"),
            paper_does: "a step is pruned only when every rollout got the worst score: with \
                         naive or exec judges it never prunes, and with its oracle a flipped \
                         non-executable rollout can lead the heap",
            planbench_does: "`no-execution`: prune a step when none of its rollouts executes, \
                             whatever the discriminator, so no judge keeps a dead branch alive",
            moves: "tree search's cost and accuracy, most under LLM judges",
        },
        Switch {
            field: "planner.options.tree_ties",
            only_if: None,
            paper: Value::from("lexicographic"),
            paper_does: "its heap orders equal values by the partial program's string",
            planbench_does: "`fifo`: equal values in the order they were found (`deepest` \
                             prefers the longer partial program); under the oracle's discrete \
                             scores ties are the rule, and both the paper's order and fifo are \
                             close to breadth-first",
            moves: "which node tree search opens next: its cost, and accuracy under a budget",
        },
        Switch {
            field: "task.sql_steps",
            only_if: Some(("task.name", "spider")),
            paper: Value::from("every-clause"),
            paper_does: "cuts SQL at the next clause keyword at any depth: a subquery's \
                         clauses are steps, and UNION / INTERSECT / EXCEPT and the SELECT after \
                         them are separate steps",
            planbench_does: "`top-level`: top-level clauses only, a set operator merged into \
                             its SELECT, so every step is a whole clause of the outer query",
            moves: "Spider tree search: depth, number of expansions, cost",
        },
        Switch {
            field: "task.correction_feedback",
            only_if: Some(("task.name", "spider")),
            paper: Value::from("none"),
            paper_does: "the correction prompt holds the question, the schema and the buggy \
                         query only",
            planbench_does: "`execution`: it also shows what the query returned (or its error), \
                             the signal a correcting model most needs",
            moves: "iterative correction's accuracy on Spider",
        },
        Switch {
            field: "task.correction_feedback",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from("none"),
            paper_does: "the correction prompt holds the question and the buggy program only",
            planbench_does: "`execution`: it also shows the program's answer or error",
            moves: "iterative correction's accuracy on GSM8K",
        },
        Switch {
            field: "task.error_text",
            only_if: Some(("task.name", "spider")),
            paper: Value::from("bare"),
            paper_does: "a failed execution is shown to judges and correction as `ERROR`",
            planbench_does: "`message`: `ERROR: <message>` (bounded and escaped), so a judge or \
                             a correction sees why it failed",
            moves: "exec/pro judges' scores and correction on failing queries",
        },
        Switch {
            field: "task.error_text",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from("bare"),
            paper_does: "a failed program is shown as `ERROR`",
            planbench_does: "`message`: `ERROR: <message>`",
            moves: "exec/pro judges' scores and correction on failing programs",
        },
        Switch {
            field: "task.exec_timeout",
            only_if: Some(("task.name", "gsm8k")),
            paper: Value::from(10.0),
            paper_does: "10 s per Python program",
            planbench_does: "5 s: program-of-thought answers run in milliseconds; a shorter \
                             limit bounds what a looping candidate costs",
            moves: "GSM8K wall time; accuracy only for programs between 5 and 10 s",
        },
    ]
}

/// Every switch as a Markdown table: field, the paper's value, planbench's default, what each
/// side does and which results it moves.
pub fn table() -> String {
    let mut out = String::from(
        "| switch | paper | planbench | the paper's code | planbench, and why | moves |\n\
         |---|---|---|---|---|---|\n",
    );
    for switch in switches() {
        let field = match switch.only_if {
            Some((_, kind)) => format!("`{}` ({kind})", switch.field),
            None => format!("`{}`", switch.field),
        };
        let default = planbench_value(&switch).map_or("unset".to_string(), |v| format!("`{v}`"));
        out.push_str(&format!(
            "| {field} | `{}` | {default} | {} | {} | {} |\n",
            switch.paper, switch.paper_does, switch.planbench_does, switch.moves
        ));
    }
    out
}

/// planbench's default value of `switch` (`None`: unset).
fn planbench_value(switch: &Switch) -> Option<Value> {
    let mut spec = RunSpec::default();
    match switch.only_if {
        Some(("task.name", task)) => {
            spec.task = TaskSpec::of(task.parse().expect("switch conditions name tasks"));
        }
        Some(("discriminator.kind", "oracle")) => {
            spec.discriminator = DiscriminatorSpec::oracle(1.0);
        }
        Some(("discriminator.kind", "llm")) => spec.discriminator = DiscriminatorSpec::default(),
        _ => {}
    }
    lookup(&planbench_defaults(&spec), switch.field).cloned()
}

impl Protocol {
    /// Sets every switch that exists in `spec` (its task and discriminator) to this protocol's
    /// value: the paper's, or planbench's default.
    pub fn apply(self, spec: &mut RunSpec) {
        self.apply_where(spec, "");
    }

    /// Sets the switches whose field starts with `prefix` (e.g. `task.` after the task
    /// changed kind).
    pub fn apply_where(self, spec: &mut RunSpec, prefix: &str) {
        let mut value = serde_json::to_value(&*spec).expect("specs serialize");
        let defaults = planbench_defaults(spec);
        for switch in switches() {
            if !switch.field.starts_with(prefix) || !applies(&switch, &value) {
                continue;
            }
            let chosen = match self {
                Protocol::Paper => Some(switch.paper.clone()),
                Protocol::Planbench => lookup(&defaults, switch.field).cloned(),
            };
            set_path(&mut value, switch.field, chosen);
        }
        let mut resolved: RunSpec =
            serde_json::from_value(value).expect("a protocol's values fit its spec fields");
        if prefix.is_empty() {
            resolved.protocol = self;
        }
        *spec = resolved;
    }
}

/// A spec with planbench's defaults for the same task and discriminator kinds as `spec`.
fn planbench_defaults(spec: &RunSpec) -> Value {
    serde_json::to_value(same_kinds(spec)).expect("specs serialize")
}

/// The default spec with `spec`'s task and discriminator kinds (and the discriminator's
/// accuracy, rule, variant and model), every other option at planbench's default.
fn same_kinds(spec: &RunSpec) -> RunSpec {
    RunSpec {
        task: TaskSpec::of(spec.task.kind()),
        discriminator: spec.discriminator.with_default_options(),
        ..RunSpec::default()
    }
}

/// True when `switch` exists in the spec `value`.
fn applies(switch: &Switch, value: &Value) -> bool {
    switch
        .only_if
        .is_none_or(|(path, want)| lookup(value, path).and_then(Value::as_str) == Some(want))
}

/// The value at a dotted `path`.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Sets (or, for `None`, removes) the value at a dotted `path`, creating tables on the way.
pub(crate) fn set_path(value: &mut Value, path: &str, new: Option<Value>) {
    let (parents, last) = match path.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, path),
    };
    let mut table = value;
    for key in parents.into_iter().flat_map(|p| p.split('.')) {
        let map = table.as_object_mut().expect("spec sections are tables");
        table = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    let map = table.as_object_mut().expect("spec sections are tables");
    match new {
        Some(v) => {
            map.insert(last.to_string(), v);
        }
        None => {
            map.remove(last);
        }
    }
}

/// Merges `overlay` into `base`: tables merge key by key, anything else replaces.
pub(crate) fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(slot) if slot.is_object() && value.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

/// The run spec a spec-file table describes under `protocol` (the table's own `protocol` key
/// when `None`): the protocol's spec for the table's task and discriminator kinds, with every
/// field the table sets merged over it.
pub(crate) fn expand(table: Value, protocol: Option<Protocol>) -> Result<RunSpec, ExperimentError> {
    let invalid = |e: serde_json::Error| ExperimentError::InvalidSpec {
        field: "protocol".into(),
        reason: e.to_string(),
    };
    // The table as written fixes the task and discriminator kinds (and checks every field).
    let written: RunSpec = serde_json::from_value(table.clone()).map_err(invalid)?;
    let protocol = protocol.unwrap_or(written.protocol);
    let mut preset = same_kinds(&written);
    protocol.apply(&mut preset);
    let mut value = serde_json::to_value(&preset).expect("specs serialize");
    merge(&mut value, table);
    let mut spec: RunSpec = serde_json::from_value(value).map_err(invalid)?;
    spec.protocol = protocol;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Gsm8kSpec, TaskKind};

    #[test]
    fn the_paper_protocol_sets_its_switches_and_planbench_restores_the_defaults() {
        let mut spec = RunSpec {
            task: TaskSpec::of(TaskKind::Gsm8k),
            ..RunSpec::default()
        };
        Protocol::Paper.apply(&mut spec);
        assert_eq!(spec.sampling.top_k, Some(50));
        assert_eq!(spec.task.exec_timeout(), 10.0);
        assert_eq!(spec.protocol, Protocol::Paper);
        Protocol::Planbench.apply(&mut spec);
        let mut default = RunSpec {
            task: TaskSpec::of(TaskKind::Gsm8k),
            ..RunSpec::default()
        };
        default.protocol = Protocol::Planbench;
        assert_eq!(spec, default);
    }

    #[test]
    fn a_switch_of_another_task_is_left_alone() {
        let mut spider = RunSpec::default();
        Protocol::Paper.apply(&mut spider);
        assert_eq!(
            spider.task.exec_timeout(),
            RunSpec::default().task.exec_timeout()
        );
        let TaskSpec::Spider(s) = &spider.task else {
            panic!("still Spider")
        };
        assert_eq!(s.sql_steps, planbench_tasks::spider::SqlSteps::EveryClause);
        // The oracle's switches exist only for an oracle.
        let text = serde_json::to_string(&spider.discriminator).unwrap();
        assert!(!text.contains("draws"), "{text}");
    }

    #[test]
    fn a_written_field_overrides_the_protocol() {
        let table = serde_json::json!({
            "protocol": "paper",
            "task": { "name": "gsm8k", "exec_timeout": 3.0 },
        });
        let spec = expand(table.clone(), None).unwrap();
        let TaskSpec::Gsm8k(g) = &spec.task else {
            panic!("GSM8K")
        };
        assert_eq!(g.exec_timeout, 3.0);
        assert_ne!(g.error_text, Gsm8kSpec::default().error_text);
        assert_eq!(spec.sampling.top_k, Some(50));
        // The caller's protocol replaces the table's.
        let spec = expand(table, Some(Protocol::Planbench)).unwrap();
        assert_eq!(spec.sampling.top_k, None);
        assert_eq!(spec.task.exec_timeout(), 3.0);
    }

    #[test]
    fn the_table_lists_every_switch_with_both_values() {
        let table = table();
        for switch in switches() {
            assert!(
                table.contains(&format!("`{}`", switch.field)),
                "{}",
                switch.field
            );
        }
        assert!(
            table.contains("| `task.exec_timeout` (gsm8k) | `10.0` | `5.0` |"),
            "{table}"
        );
        assert!(
            table.contains("| `sampling.top_k` | `50` | unset |"),
            "{table}"
        );
    }

    #[test]
    fn docs_protocol_md_names_every_switch() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md");
        let docs = std::fs::read_to_string(&path).unwrap();
        for switch in switches() {
            assert!(
                docs.contains(&format!("`{}`", switch.field)),
                "docs/protocol.md lacks {}",
                switch.field
            );
        }
    }
}
