//! Runs stored before specs were kept: their `config` JSON (written key by key by the old CLI)
//! converted into a [`RunSpec`], so reports, exports and `show` treat them like new runs.

use serde_json::Value;

use crate::spec::{
    DiscriminatorSpec, Gsm8kSpec, OracleSpec, PlannerSpec, RunSpec, SelectionSpec, SpiderSpec,
    TaskSpec,
};
use crate::ExperimentError;
use planbench_planners::LlmScore;

/// The spec of a run stored by the old CLI. Models are not recoverable from the old record
/// (it kept their identity, not their path), so the generator keeps its default.
pub fn spec_from_config(run_id: &str, config: &Value) -> Result<RunSpec, ExperimentError> {
    let missing = |what: &str| ExperimentError::Legacy {
        run_id: run_id.to_string(),
        missing: what.to_string(),
    };
    let field = |key: &str| config.get(key).filter(|v| !v.is_null()).cloned();
    let parse = |key: &str| -> Result<Option<String>, ExperimentError> {
        Ok(field(key).and_then(|v| v.as_str().map(str::to_string)))
    };
    // The old record's string `key`, parsed into `T` when present.
    fn known<T: std::str::FromStr>(
        value: Option<String>,
        missing: impl Fn(&str) -> ExperimentError,
        what: &str,
    ) -> Result<Option<T>, ExperimentError> {
        value
            .map(|v| v.parse().map_err(|_| missing(what)))
            .transpose()
    }
    let task = match parse("task")?.as_deref() {
        Some("spider") => {
            let mut s = SpiderSpec::default();
            if let Some(split) = known(parse("split")?, missing, "a known split")? {
                s.split = split;
            }
            if let Some(metric) = known(parse("metric")?, missing, "a known metric")? {
                s.metric = metric;
            }
            if let Some(t) = field("exec_timeout").and_then(|v| v.as_f64()) {
                s.exec_timeout = t;
            }
            if let Some(k) = field("disc_shots").and_then(|v| v.as_u64()) {
                s.disc_shots = k as usize;
            }
            TaskSpec::Spider(s)
        }
        Some("gsm8k") => {
            let mut g = Gsm8kSpec::default();
            if let Some(split) = known(parse("split")?, missing, "a known split")? {
                g.split = split;
            }
            if let Some(format) = known(parse("format")?, missing, "a known format")? {
                g.format = format;
            }
            if let Some(t) = field("exec_timeout").and_then(|v| v.as_f64()) {
                g.exec_timeout = t;
            }
            TaskSpec::Gsm8k(g)
        }
        _ => return Err(missing("a task")),
    };
    let selection: SelectionSpec = field("selection")
        .map(serde_json::from_value)
        .transpose()
        .map_err(|_| missing("a readable selection"))?
        .unwrap_or_default();
    let kind = parse("planner")?
        .ok_or_else(|| missing("a planner"))?
        .parse()
        .map_err(|_| missing("a known planner"))?;
    let mut spec = RunSpec {
        task,
        selection,
        planner: PlannerSpec {
            kind,
            ..PlannerSpec::default()
        },
        ..RunSpec::default()
    };
    if let Some(sampling) = field("sampling") {
        spec.sampling =
            serde_json::from_value(sampling).map_err(|_| missing("readable sampling"))?;
    }
    if let Some(budget) = field("budget") {
        spec.budget = serde_json::from_value(budget).map_err(|_| missing("a readable budget"))?;
    }
    spec.seed = field("seed").and_then(|v| v.as_u64()).unwrap_or(0);
    if let Some(described) = parse("discriminator")? {
        spec.discriminator = discriminator(&described).ok_or_else(|| missing("a discriminator"))?;
    }
    let options = &mut spec.planner.options;
    let knob = |key: &str| config["planner_config"].get(key).cloned();
    if let Some(v) = knob("max_rounds").and_then(|v| v.as_u64()) {
        options.correction_max_rounds = v as usize;
    }
    if let Some(v) = knob("patience").and_then(|v| v.as_u64()) {
        options.correction_patience = v as usize;
    }
    if let Some(v) = knob("threshold").and_then(|v| v.as_f64()) {
        options.correction_threshold = v;
    }
    if let Some(v) = knob("max_expansions").and_then(|v| v.as_u64()) {
        options.tree_max_expansions = v as usize;
    }
    if let Some(v) = knob("iterations").and_then(|v| v.as_u64()) {
        options.mcts_iterations = v as usize;
    }
    if let Some(v) = knob("exploration").and_then(|v| v.as_f64()) {
        options.mcts_exploration = v;
    }
    if let Some(v) = knob("final").and_then(|v| serde_json::from_value(v).ok()) {
        options.mcts_final = v;
    }
    Ok(spec)
}

/// Parses a discriminator's old description: `oracle(accuracy=0.9,rule=paper,seed=0)` or
/// `llm(variant=pro,model=…)`.
fn discriminator(described: &str) -> Option<DiscriminatorSpec> {
    let (kind, rest) = described.split_once('(')?;
    let args = rest.strip_suffix(')')?;
    let value = |key: &str| {
        args.split(',')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    };
    match kind {
        "oracle" => Some(DiscriminatorSpec::Oracle(OracleSpec {
            accuracy: value("accuracy")?.parse().ok()?,
            rule: value("rule")?.parse().ok()?,
            ..OracleSpec::default()
        })),
        "llm" => Some(DiscriminatorSpec::Llm {
            variant: value("variant")?.parse().ok()?,
            model: None,
            score: LlmScore::default(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use planbench_planners::PlannerKind;
    use serde_json::json;

    #[test]
    fn old_configurations_convert() {
        let config = json!({
            "task": "gsm8k", "split": "test", "format": "pot", "exec_timeout": null,
            "selection": {"limit": 2, "sample": null, "sample_seed": 0},
            "planner": "tree", "planner_config": {"max_expansions": 7},
            "sampling": {"n": 5, "temperature": 0.6, "top_p": 1.0, "max_tokens": 300},
            "budget": {"max_llm_calls": 9, "max_seconds": null},
            "discriminator": "oracle(accuracy=0.8,rule=paper,seed=3)", "seed": 3,
        });
        let spec = spec_from_config("r", &config).unwrap();
        assert_eq!(spec.planner.kind, PlannerKind::Tree);
        assert_eq!(spec.planner.options.tree_max_expansions, 7);
        assert_eq!(spec.selection.limit, Some(2));
        assert_eq!(spec.budget.max_llm_calls, Some(9));
        assert_eq!(spec.discriminator.oracle_accuracy(), Some(0.8));
        assert!(matches!(spec.task, TaskSpec::Gsm8k(_)));
        assert!(spec_from_config("r", &json!({"planner": "tree"})).is_err());
    }
}
