//! Discriminators: an LLM asked "Yes"/"No", and a simulated oracle of chosen accuracy.

mod llm;
mod oracle;

pub use llm::{LlmDiscriminator, LlmScore, LlmVariant};
pub use oracle::{OracleConfig, OracleConfigError, OracleDiscriminator, OracleDraws, OracleNoise};
