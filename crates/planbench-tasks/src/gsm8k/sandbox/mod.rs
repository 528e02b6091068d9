//! The sandbox that runs program-of-thought Python: monty interpreters in worker processes.
//!
//! LLM output is hostile. Programs never run in a host Python, nor in the task's own process:
//! each runs in monty (a Python interpreter written in Rust with no filesystem, network or
//! subprocess access) inside a worker process that has confined itself with kernel limits, may
//! import only `math` (or the pure standard modules of [`PythonImports::Stdlib`]), and is killed by the parent at its wall-clock deadline. Workers are
//! reused across programs and replaced after one is killed or dies.
//!
//! The worker is a separate executable: `planbench-python-worker` (this crate's binary, whose
//! `main` calls [`worker_main`]), or any binary that calls [`worker_main`] from a subcommand;
//! [`WorkerCommand`] says which.

mod dialect;
mod imports;
mod os_limits;
mod pool;
mod protocol;
mod scope;
mod worker;

pub use dialect::{PythonDialect, PythonImports, PythonScope};
pub use pool::{is_infrastructure, Sandbox, SandboxError, SandboxLimits, WorkerCommand};
pub use worker::worker_main;
