//! planbench's experiment engine.
//!
//! An experiment is data: a [`RunSpec`] names the task and examples, the planner, the
//! discriminator, the models, sampling, budget and seed; a [`StudySpec`] crosses a base spec
//! with axes. The [`Engine`] resolves a spec into a named run (its id derives from the
//! canonical spec), runs it with resume and concurrency, and records every finished example in
//! the [`store::ResultsStore`], which this crate alone owns. [`reporting`] turns stored runs
//! into report cells; [`store::ResultsStore::merge_from`] joins the shards of a study.
//!
//! The CLI only parses flags into specs and calls this crate.

mod assemble;
mod error;
mod identity;
mod legacy;
mod near_miss;
mod pool;
pub mod protocol;
pub mod reporting;
mod runner;
mod select;
mod spec;
pub mod spec_file;
pub mod store;
mod study;
mod summary;

pub use assemble::{Assembled, Environment, LoadedTask, Loader};
pub use error::ExperimentError;
pub use identity::{digest, examples_digest};
pub use pool::Discrimination;
pub use protocol::{Protocol, Switch};
pub use runner::{code_revision, Engine, ResolvedRun, RunOptions};
pub use select::{choose, Shard};
pub use spec::{
    DiscriminatorSpec, GeneratorSpec, Gsm8kSpec, HttpSpec, LocalSpec, OracleSpec, PlannerSpec,
    RunSpec, SelectionSpec, SpiderSpec, StatsSpec, Stratum, TaskKind, TaskSpec, DEFAULT_MODEL,
};
pub use study::{Axes, Cell, StudyOutcome, StudySpec, StudyTask};
pub use summary::{PassAtK, Summary};
