//! planbench's benchmarks.
//!
//! Each task implements [`planbench_core::Task`]: it loads its examples from the data directory,
//! renders prompts from the templates in `tasks/`, extracts programs from completions, executes
//! them in a sandbox and judges them exactly as the benchmark's reference evaluator does.

pub mod extract;
pub mod protocol;
pub mod templates;

pub mod gsm8k;
pub mod spider;

mod memo;
mod paper_levels;
mod prompt_text;
pub use memo::{MemoLimits, MemoStats};
