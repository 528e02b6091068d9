//! Spec files: a [`RunSpec`](crate::RunSpec) or [`StudySpec`](crate::StudySpec) in TOML. A
//! bad file is an error naming the file, the line and the field.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ExperimentError;

/// Reads a spec of type `T` from the TOML file at `path`.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T, ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses a spec of type `T` from TOML `text` (read from `path`, for error messages).
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ExperimentError> {
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
}
