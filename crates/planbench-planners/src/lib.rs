//! planbench's planners and discriminators.
//!
//! A [`Planner`] turns one benchmark example into a program by asking a generator for candidates
//! and a discriminator for their scores: greedy decoding, re-ranking, iterative correction, the
//! paper's MC-ToT tree search, UCT Monte-Carlo tree search, and majority voting over executed
//! answers (plain or weighted by scores). Every planner goes through one
//! per-example session that renders prompts, extracts programs, accounts cost and
//! enforces the [`Budget`].
//!
//! Discriminators: [`LlmDiscriminator`] asks a model "Yes"/"No"; [`OracleDiscriminator`] knows
//! the truth and is right with a chosen probability. [`intrinsic_metrics`] measures any
//! discriminator on a labelled pool of candidates; [`pass_at_k`] estimates coverage from the
//! samples that re-ranking and voting traces record ([`Trace::samples`]).

mod answers;
mod context;
mod coverage;
pub mod discriminators;
mod error;
mod metrics;
pub mod planners;
mod pool;
mod seed;
mod selection;
mod session;
mod steps;
pub mod trace;

#[cfg(test)]
mod testkit;

pub use context::{Budget, PlanContext, PlanOutcome, SamplingDefaults};
pub use coverage::pass_at_k;
pub use discriminators::{
    LlmDiscriminator, LlmScore, LlmVariant, OracleConfig, OracleConfigError, OracleDiscriminator,
    OracleDraws, OracleNoise,
};
pub use error::PlanError;
pub use metrics::{
    intrinsic_metrics, intrinsic_metrics_at, judge_accuracy_by_depth, DepthAccuracy, DepthError,
    IntrinsicMetrics, MetricsError, PoolExample, CALIBRATION_BINS, DEFAULT_THRESHOLD,
};
pub use planners::{
    build_planner, MctsFinal, Planner, PlannerKind, PlannerOptions, TreePrune, TreeTies,
};
pub use pool::sample_candidates;
pub use selection::{choose_from_pool, SamplePool, SelectionError};
pub use trace::{render_trace, render_trace_value, BudgetStop, Stop, Trace};
