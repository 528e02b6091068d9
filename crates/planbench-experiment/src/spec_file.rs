//! Spec files: a [`RunSpec`](crate::RunSpec) or [`StudySpec`](crate::StudySpec) in TOML. A
//! bad file is an error naming the file, the line and the field.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::protocol::{self, Protocol};
use crate::{ExperimentError, RunSpec, StudySpec};

/// A spec a file can hold: parsed as written, then expanded over its protocol's preset.
pub trait SpecText: DeserializeOwned {
    /// `self`, parsed from `table`, with the fields `table` leaves out taken from the preset
    /// of `protocol` (the file's own `protocol` key when `None`).
    fn under_protocol(
        self,
        table: Value,
        protocol: Option<Protocol>,
    ) -> Result<Self, ExperimentError>;
}

impl SpecText for RunSpec {
    fn under_protocol(
        self,
        table: Value,
        protocol: Option<Protocol>,
    ) -> Result<Self, ExperimentError> {
        if self.protocol.is_planbench() && protocol.is_none_or(|p| p.is_planbench()) {
            return Ok(self);
        }
        protocol::expand(table, protocol)
    }
}

impl SpecText for StudySpec {
    fn under_protocol(
        mut self,
        table: Value,
        protocol: Option<Protocol>,
    ) -> Result<Self, ExperimentError> {
        let base = table
            .get("base")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}));
        self.base = self.base.under_protocol(base, protocol)?;
        if self.base.protocol.is_planbench() {
            return Ok(self);
        }
        // A task of the tasks axis replaces the base task: give it the protocol's values too.
        let tasks = table.pointer("/axes/tasks").and_then(Value::as_array);
        for (task, written) in self.axes.tasks.iter_mut().zip(tasks.into_iter().flatten()) {
            let written = serde_json::json!({ "task": written.get("task").cloned() });
            task.task = protocol::expand(written, Some(self.base.protocol))?.task;
        }
        Ok(self)
    }
}

/// Reads a spec of type `T` from the TOML file at `path`.
pub fn read<T: SpecText>(path: &Path) -> Result<T, ExperimentError> {
    read_under(path, None)
}

/// Reads a spec of type `T` from the TOML file at `path` under `protocol` (overriding the
/// file's `protocol` key; fields the file sets still override the protocol).
pub fn read_under<T: SpecText>(
    path: &Path,
    protocol: Option<Protocol>,
) -> Result<T, ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_under(path, &text, protocol)
}

/// Parses a spec of type `T` from TOML `text` (read from `path`, for error messages).
pub fn parse<T: SpecText>(path: &Path, text: &str) -> Result<T, ExperimentError> {
    parse_under(path, text, None)
}

/// [`parse`] under `protocol`.
pub fn parse_under<T: SpecText>(
    path: &Path,
    text: &str,
    protocol: Option<Protocol>,
) -> Result<T, ExperimentError> {
    let spec: T = parse_as_written(path, text)?;
    let table: toml::Value = parse_as_written(path, text)?;
    let table = serde_json::to_value(table).expect("TOML values convert to JSON");
    spec.under_protocol(table, protocol)
        .map_err(|e| ExperimentError::SpecFile {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Parses TOML `text` as `T`, with errors naming the line and the field.
fn parse_as_written<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ExperimentError> {
    toml::from_str(text).map_err(|e| {
        let mut message = e.to_string().trim_end().to_string();
        // Inside tagged tables TOML points at the table; point at the field too.
        if let Some(line) = unknown_field_line(&message, text) {
            message = format!("line {line}: {message}");
        }
        ExperimentError::SpecFile {
            path: path.to_path_buf(),
            message,
        }
    })
}

/// The line (from 1) of the key named in an "unknown field `key`" message.
fn unknown_field_line(message: &str, text: &str) -> Option<usize> {
    let rest = message.split("unknown field `").nth(1)?;
    let key = rest.split('`').next()?;
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|after| after.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// A spec as TOML text (what `--print-spec` prints).
pub fn to_toml<T: Serialize>(spec: &T) -> String {
    toml::to_string_pretty(spec).expect("specs serialize to TOML")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{DiscriminatorSpec, Gsm8kSpec, RunSpec, TaskSpec};
    use crate::study::StudySpec;

    #[test]
    fn specs_round_trip_through_toml() {
        let mut spec = RunSpec::default();
        assert_eq!(
            parse::<RunSpec>(Path::new("d"), &to_toml(&spec)).unwrap(),
            spec
        );
        spec.task = TaskSpec::Gsm8k(Gsm8kSpec {
            exec_timeout: 2.5,
            ..Gsm8kSpec::default()
        });
        spec.discriminator = DiscriminatorSpec::oracle(0.7);
        spec.budget.max_llm_calls = Some(12);
        spec.planner.options.tree_max_expansions = 9;
        spec.selection.sample = Some(40);
        let text = to_toml(&spec);
        assert_eq!(parse::<RunSpec>(Path::new("s"), &text).unwrap(), spec);
        // A file names only what it changes.
        let partial: RunSpec = parse(
            Path::new("p"),
            "seed = 4\n[task]\nname = \"gsm8k\"\n[planner]\nkind = \"tree\"\n\
             [planner.options]\ntree_max_expansions = 3\n[sampling]\nn = 8\n",
        )
        .unwrap();
        assert_eq!(partial.seed, 4);
        assert_eq!(partial.task, TaskSpec::Gsm8k(Gsm8kSpec::default()));
        assert_eq!(partial.sampling.n, 8);
        assert_eq!(
            partial.sampling.max_tokens,
            RunSpec::default().sampling.max_tokens
        );
        assert_eq!(partial.planner.options.tree_max_expansions, 3);
    }

    #[test]
    fn a_bad_field_is_named_with_its_file_and_line() {
        let err = parse::<RunSpec>(
            Path::new("studies/x.toml"),
            "seed = 1\n\n[task]\nname = \"spider\"\nmetrik = \"bird\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("studies/x.toml: "), "{err}");
        assert!(err.contains("line 5") && err.contains("metrik"), "{err}");
        let err = parse::<RunSpec>(Path::new("y.toml"), "[task]\nname = \"mnist\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mnist") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_quick_study_preset_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../studies/quick.toml");
        let study: StudySpec = read(&path).unwrap();
        assert_eq!(study.cells().len(), 2 * 4 * 4);
        assert!(study.cells().iter().all(|c| c.spec.validate().is_ok()));
    }

    #[test]
    fn the_paper_presets_use_the_paper_protocol_in_every_cell() {
        for (file, cells) in [("paper-spider.toml", 4 * 12), ("paper-gsm8k.toml", 4 * 12)] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../studies")
                .join(file);
            let study: StudySpec = read(&path).unwrap();
            let cells_of = study.cells();
            assert_eq!(cells_of.len(), cells, "{file}");
            for cell in &cells_of {
                let mut paper = cell.spec.clone();
                Protocol::Paper.apply(&mut paper);
                assert_eq!(paper, cell.spec, "{file}: {}", cell.axes);
                assert!(cell.spec.selection.examples.is_some(), "{file}");
            }
        }
    }
}
