//! Why planning failed.

use planbench_core::{DiscriminatorError, GenError, TaskError};

/// A planner could not finish an example (budget stops are not errors).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("task: {0}")]
    Task(#[from] TaskError),
    #[error("generator: {0}")]
    Generator(#[from] GenError),
    #[error("discriminator: {0}")]
    Discriminator(#[from] DiscriminatorError),
    /// The discriminator broke its contract (wrong number of scores, a non-finite score).
    #[error("discriminator `{discriminator}` {problem}")]
    BadScores {
        discriminator: String,
        problem: String,
    },
    /// A blocking task call (execution) panicked or was cancelled.
    #[error("blocking task call failed: {0}")]
    Blocking(String),
}
