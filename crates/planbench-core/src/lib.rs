//! Core types and traits of planbench.
//!
//! A [`Generator`] (an LLM backend) proposes programs, a [`Discriminator`] scores them, and a
//! [`Task`] knows how to prompt for, extract, execute and judge the programs of one benchmark.
//! Planners (in `planbench-planners`) combine the three; every call reports its [`Usage`] so
//! that runs can be compared at equal cost.

pub mod cache;
pub mod cost;
pub mod discriminator;
pub mod llm;
pub mod names;
pub mod task;

pub use cost::{call_flops, Cost};
pub use discriminator::{Discriminator, DiscriminatorError, Scores};
pub use llm::{
    AnswerProbs, AnswerProbsRequest, ChatMessage, GenError, GenerateRequest, Generation, Generator,
    Prompt, Role, SamplingParams, Usage,
};
pub use task::{
    Example, ExecError, Execution, OracleLevels, OracleRule, OracleTruth, Output, Task, TaskError,
    Value,
};
