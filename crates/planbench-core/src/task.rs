//! The task side: examples, program execution results, and the [`Task`] trait.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::llm::Prompt;

/// One benchmark example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    /// Stable identifier, unique within a task and split (e.g. `dev/17`).
    pub id: String,
    /// Position in the split's file, from 0.
    pub index: usize,
    /// The natural-language question.
    pub question: String,
    /// The gold program (Spider: SQL) or gold answer (GSM8K: a number).
    pub gold: String,
    /// The database the example runs on, for tasks that have one.
    pub db_id: Option<String>,
}

/// One value produced by executing a program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => write!(f, "None"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:?}"),
            Value::Text(s) => write!(f, "{s}"),
            Value::Blob(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

/// What a program that ran to completion produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// A result table (SQL).
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
    /// The value the program assigned to `answer` (program-of-thought Python).
    Answer(Value),
}

/// Why a program did not produce an output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ExecError {
    /// The program raised an error or did not parse.
    #[error("error: {0}")]
    Failed(String),
    /// The program was refused by the sandbox (writes, imports, file access...).
    #[error("refused: {0}")]
    Refused(String),
    /// The program ran past its time limit.
    #[error("time limit of {0} s exceeded")]
    Timeout(f64),
    /// The program exceeded a memory or row limit.
    #[error("resource limit exceeded: {0}")]
    ResourceLimit(String),
}

/// The result of executing one program, with the time it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub result: Result<Output, ExecError>,
    pub seconds: f64,
}

impl Execution {
    /// True when the program ran to completion.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// Why loading a task or rendering one of its prompts failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// How a simulated discriminator computes the true score of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OracleRule {
    /// The paper's oracle (Spider: soft F1 over the first 5 rows; GSM8K: answer equality).
    Paper,
    /// The task's official correctness, 1 or 0.
    Exact,
}

crate::named_enum!(OracleRule, "oracle rule", { Paper => "paper", Exact => "exact" });

/// Which score levels a simulated discriminator returns, and what a wrong judgement returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OracleLevels {
    #[default]
    /// planbench's: the true score clamped to [0, 1]; a wrong judgement returns `1 - score`,
    /// whatever the candidate and the gold did.
    Unit,
    /// The paper's evaluators' levels, rescaled to higher-is-better (`(1 - loss) / 2`): a
    /// non-executable program is worst (0) unless flipped, an executable wrong one is in the
    /// middle, and nothing flips when the gold itself fails (see `docs/protocol.md`).
    Paper,
}

crate::named_enum!(OracleLevels, "oracle levels", { Unit => "unit", Paper => "paper" });

/// The truth a simulated discriminator reports about one program: `kept` when it tells the
/// truth, `flipped` when it does not (`None`: it cannot be wrong about this program).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OracleTruth {
    pub kept: f64,
    pub flipped: Option<f64>,
    /// The task's official correctness of the program (for true/false-positive rates).
    pub correct: bool,
}

/// A benchmark: prompts for it, programs out of completions, and execution and judgement.
///
/// Methods that execute programs block (they run sandboxed, under time limits); async callers
/// run them on a blocking thread.
pub trait Task: Send + Sync {
    /// Short name (`spider`, `gsm8k`).
    fn name(&self) -> &str;

    /// The text of the prompt templates this task renders its prompts from; run ids include
    /// its digest, so editing a template starts new runs. Empty for a task without templates.
    fn prompt_templates(&self) -> &str {
        ""
    }

    /// The prompt that asks for a program solving `example`.
    fn generation_prompt(&self, example: &Example) -> Result<Prompt, TaskError>;

    /// The prompt that asks to fix `program`, given how it executed.
    fn correction_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: &Execution,
    ) -> Result<Prompt, TaskError>;

    /// A yes/no question asking whether `program` solves `example`; with `execution` when the
    /// discriminator observes execution results.
    fn discrimination_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: Option<&Execution>,
    ) -> Result<Prompt, TaskError>;

    /// Text every answer is forced to start with (e.g. an opening code fence); planners send it,
    /// followed by any partial program, as the request's `assistant_prefix`.
    fn response_prefix(&self) -> String;

    /// Stop strings for generation requests of this task.
    fn stop_sequences(&self) -> Vec<String>;

    /// The program inside a completion (code fences, chatter and trailing text removed).
    fn extract_program(&self, completion: &str) -> String;

    /// A canonical form used to deduplicate candidates.
    fn normalize(&self, program: &str) -> String;

    /// Splits a program into steps whose concatenation is the program.
    fn split_steps(&self, program: &str) -> Vec<String>;

    /// True when a (partial) program is complete.
    fn is_complete(&self, program: &str) -> bool;

    /// Executes a program in the task's sandbox.
    fn execute(&self, example: &Example, program: &str) -> Execution;

    /// The official correctness of a program.
    fn is_correct(&self, example: &Example, program: &str) -> bool;

    /// Whether `example` can be judged now: its gold program runs and its sandbox answers. An
    /// error is a failure of the infrastructure, not of any candidate: the runner leaves the
    /// example unrecorded, says so, and the next run retries it.
    fn check_judgeable(&self, _example: &Example) -> Result<(), String> {
        Ok(())
    }

    /// The true score of a program in [0, 1] under `rule`.
    fn oracle_score(&self, example: &Example, program: &str, rule: OracleRule) -> f64;

    /// What a simulated discriminator reports about `program` under `rule` and `levels`. The
    /// default gives [`OracleLevels::Unit`] for both levels; tasks that know the paper's levels
    /// override it.
    fn oracle_truth(
        &self,
        example: &Example,
        program: &str,
        rule: OracleRule,
        _levels: OracleLevels,
    ) -> OracleTruth {
        let kept = self.oracle_score(example, program, rule);
        OracleTruth {
            kept,
            flipped: Some(1.0 - kept),
            correct: self.is_correct(example, program),
        }
    }
}
