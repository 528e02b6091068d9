//! The discriminator trait: scores candidate programs.

use async_trait::async_trait;

use crate::cost::Cost;
use crate::llm::GenError;
use crate::task::{Example, TaskError};

/// Scores of a batch of candidates, in input order, with what computing them cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    /// One score in [0, 1] per candidate; higher is better.
    pub scores: Vec<f64>,
    pub cost: Cost,
}

/// Why scoring failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscriminatorError {
    #[error(transparent)]
    Generator(#[from] GenError),
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// Scores candidate programs for one example.
#[async_trait]
pub trait Discriminator: Send + Sync {
    /// A stable description (kind, variant, model) for run records.
    fn describe(&self) -> String;

    /// Scores every program of `programs` for `example`.
    async fn score(
        &self,
        example: &Example,
        programs: &[String],
    ) -> Result<Scores, DiscriminatorError>;
}
