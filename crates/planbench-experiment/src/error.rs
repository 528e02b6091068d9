//! Why an experiment could not be set up or run.

use std::path::PathBuf;

use planbench_core::{GenError, TaskError};
use planbench_planners::PlanError;

use crate::store::StoreError;

/// An experiment failed; each variant names what it was about.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A spec field has a value no run can use.
    #[error("invalid spec: `{field}`: {reason}")]
    InvalidSpec { field: String, reason: String },
    /// A spec or study file could not be read or parsed (the message has line and field).
    #[error("{path}: {message}")]
    SpecFile { path: PathBuf, message: String },
    #[error("loading the {task} task: {source}")]
    Task {
        task: &'static str,
        source: TaskError,
    },
    #[error("loading model {model}: {source}")]
    Model { model: String, source: GenError },
    #[error("response cache: {0}")]
    Cache(GenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no examples selected ({0})")]
    NoExamples(String),
    /// A planner failed on one example; finished examples are stored.
    #[error(
        "run {run_id} stopped at example {example_id}: {source}; finished examples are stored \
         and the same command resumes it"
    )]
    Plan {
        run_id: String,
        example_id: String,
        source: PlanError,
    },
    #[error("judging a prediction of example {0} failed (the blocking task panicked)")]
    Judge(String),
    #[error("run {run_id} was stored without a spec and its old configuration lacks {missing}")]
    Legacy { run_id: String, missing: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("report: {0}")]
    Report(String),
}
