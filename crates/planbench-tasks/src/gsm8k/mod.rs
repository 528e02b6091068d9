//! GSM8K grade-school math, answered with program-of-thought Python (the paper's setting) or
//! with chain-of-thought reasoning.
//!
//! * Data: `gsm8k/<split>.jsonl` under the data directory; example ids are `<split>/<index>`
//!   and `gold` is the number after `#### ` without commas.
//! * Program of thought: the model writes Python that assigns `answer`; programs run in the
//!   [`sandbox`] and are correct when `answer == gold` in Python's sense (exact numeric equality
//!   of ints and floats, so `18.0` equals `18`; no tolerance), which is how the paper judges
//!   them. A program that leaves `answer` unset answers `None`, which is wrong.
//! * Chain of thought: the model reasons and ends with `#### <number>`; the answer is read with
//!   lm-evaluation-harness' strict filter `#### (\-?[0-9\.\,]+)` (first match) and judged by the
//!   same numeric equality.

mod cot;
mod data;
mod number;
mod pot;
mod prompts;
pub mod sandbox;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use planbench_core::{
    Example, ExecError, Execution, OracleLevels, OracleRule, OracleTruth, Output, Prompt, Task,
    TaskError, Value,
};

use crate::memo::{Memo, MemoLimits, MemoStats, MemoValue};
use crate::paper_levels::{unit_truth, PaperLosses};
use crate::protocol::{CorrectionFeedback, ErrorText};

pub use number::Number;
pub use sandbox::{worker_main, PythonImports, PythonScope, WorkerCommand};

use prompts::Prompts;
use sandbox::{PythonDialect, Sandbox, SandboxLimits};

/// A GSM8K split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Test,
    Train,
}

planbench_core::named_enum!(Split, "GSM8K split", { Test => "test", Train => "train" });

/// How the model answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerFormat {
    /// A Python program that assigns `answer` (`--format pot`).
    ProgramOfThought,
    /// Step-by-step reasoning that ends with `#### <number>` (`--format cot`).
    ChainOfThought,
}

planbench_core::named_enum!(AnswerFormat, "GSM8K answer format", {
    ProgramOfThought => "pot",
    ChainOfThought => "cot",
});

/// When a partial program-of-thought program is complete (ends a tree search).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Completeness {
    /// planbench: a finished top-level `answer = ...` statement, the only assignment the
    /// paper's `exec` reads `answer` from.
    #[default]
    TopLevelAnswer,
    /// The paper (`planning_methods/mc_tot_py.py`): the text `answer =` anywhere (so also
    /// `final_answer = ...`, an indented or unfinished assignment, or a comment).
    AnswerSubstring,
}

planbench_core::named_enum!(Completeness, "completeness", {
    TopLevelAnswer => "top-level-answer",
    AnswerSubstring => "answer-substring",
});

/// What [`Gsm8kTask::load`] needs.
#[derive(Debug, Clone)]
pub struct Gsm8kConfig {
    /// The directory that holds `gsm8k/test.jsonl` and `gsm8k/train.jsonl`.
    pub data_dir: PathBuf,
    pub split: Split,
    pub format: AnswerFormat,
    /// Wall-clock limit of one program.
    pub timeout: Duration,
    /// Memory one program may allocate.
    pub memory_limit_bytes: u64,
    /// How to start sandbox workers.
    pub worker: WorkerCommand,
    /// Bounds of the memo of program executions.
    pub memo: MemoLimits,
    /// How a failed program is shown to judges and to correction (planbench: with its
    /// message; the paper: `ERROR`, the value its evaluators put in place of the answer).
    pub error_text: ErrorText,
    /// What correction prompts show besides the question and the program (planbench: the
    /// execution result; the paper: nothing).
    pub correction_feedback: CorrectionFeedback,
    /// Which names nested scopes see (planbench: the program's top-level names; the paper's
    /// `exec(program, None, locals)`: not those, a read of one is a `NameError`).
    pub python_scope: PythonScope,
    /// Which modules programs may import (planbench: `math`; the paper: any, of which the
    /// sandbox offers the pure standard modules monty implements).
    pub python_imports: PythonImports,
    /// When a partial program-of-thought program is complete (planbench: a finished
    /// top-level `answer = ...`; the paper: the text `answer =` anywhere).
    pub completeness: Completeness,
}

impl Gsm8kConfig {
    /// The test split in program-of-thought, 5 s and 256 MiB per program, and the default
    /// worker command (see [`WorkerCommand::default`]).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            split: Split::Test,
            format: AnswerFormat::ProgramOfThought,
            timeout: Duration::from_secs(5),
            memory_limit_bytes: 256 << 20,
            worker: WorkerCommand::default(),
            memo: MemoLimits::default(),
            error_text: ErrorText::default(),
            correction_feedback: CorrectionFeedback::default(),
            python_scope: PythonScope::default(),
            python_imports: PythonImports::default(),
            completeness: Completeness::default(),
        }
    }
}

/// The answer of a program-of-thought execution, as memoized.
type Answer = Result<Value, ExecError>;

impl MemoValue for Answer {
    fn weight(&self) -> usize {
        std::mem::size_of::<Answer>()
            + match self {
                Ok(Value::Text(s)) => s.len(),
                Ok(Value::Blob(b)) => b.len(),
                Ok(_) => 0,
                Err(e) => e.to_string().len(),
            }
    }

    /// A sandbox that could not start or answer says nothing about the program: not kept.
    fn keep(&self) -> bool {
        !matches!(self, Err(e) if sandbox::is_infrastructure(e))
    }
}

/// The GSM8K task.
pub struct Gsm8kTask {
    format: AnswerFormat,
    completeness: Completeness,
    examples: Vec<Example>,
    prompts: Prompts,
    /// The program sandbox (program-of-thought only).
    sandbox: Option<Sandbox>,
    /// Program-of-thought answers, one execution per distinct program text.
    answers: Memo<String, Answer>,
    /// Programs run in the sandbox (memo hits excluded).
    sandbox_runs: AtomicU64,
}

impl fmt::Debug for Gsm8kTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gsm8kTask")
            .field("format", &self.format)
            .field("examples", &self.examples.len())
            .field("sandbox", &self.sandbox)
            .field("memo", &self.answers.stats())
            .finish_non_exhaustive()
    }
}

impl Gsm8kTask {
    /// Loads the split and, for program-of-thought, starts one sandbox worker to check that
    /// programs can run.
    pub fn load(config: Gsm8kConfig) -> Result<Self, TaskError> {
        let path = config
            .data_dir
            .join("gsm8k")
            .join(format!("{}.jsonl", config.split));
        let examples = data::load(&path, config.split.as_str())?;
        let prompts = Prompts::new(config.format, config.error_text, config.correction_feedback)?;
        let sandbox = match config.format {
            AnswerFormat::ChainOfThought => None,
            AnswerFormat::ProgramOfThought => {
                let sandbox = Sandbox::new(
                    config.worker,
                    SandboxLimits {
                        timeout: config.timeout,
                        memory_bytes: config.memory_limit_bytes,
                    },
                )
                .with_dialect(PythonDialect {
                    scope: config.python_scope,
                    imports: config.python_imports,
                });
                sandbox
                    .warm_up()
                    .map_err(|e| TaskError::Invalid(e.to_string()))?;
                Some(sandbox)
            }
        };
        Ok(Self {
            format: config.format,
            completeness: config.completeness,
            examples,
            prompts,
            sandbox,
            answers: Memo::new(config.memo),
            sandbox_runs: AtomicU64::new(0),
        })
    }

    /// Counters of the memo of program executions.
    pub fn memo_stats(&self) -> MemoStats {
        self.answers.stats()
    }

    /// Programs run in the sandbox so far (memo hits are not counted).
    pub fn sandbox_runs(&self) -> u64 {
        self.sandbox_runs.load(Ordering::Relaxed)
    }

    /// The examples of the split, in file order.
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }

    /// The answer format.
    pub fn format(&self) -> AnswerFormat {
        self.format
    }

    /// Whether `execution` answered `example` correctly: its answer equals the gold number.
    pub fn judge(&self, example: &Example, execution: &Execution) -> bool {
        let Some(gold) = Number::parse(&example.gold) else {
            return false;
        };
        match &execution.result {
            Ok(Output::Answer(value)) => gold.equals(value),
            _ => false,
        }
    }
}

impl Task for Gsm8kTask {
    fn name(&self) -> &str {
        "gsm8k"
    }

    /// `tasks/gsm8k.toml`, followed by the paper-protocol templates when a switch uses them.
    fn prompt_templates(&self) -> &str {
        self.prompts.templates_text()
    }

    fn generation_prompt(&self, example: &Example) -> Result<Prompt, TaskError> {
        self.prompts.generation(&example.question)
    }

    fn correction_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: &Execution,
    ) -> Result<Prompt, TaskError> {
        self.prompts
            .correction(&example.question, program, execution)
    }

    fn discrimination_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: Option<&Execution>,
    ) -> Result<Prompt, TaskError> {
        self.prompts
            .discrimination(&example.question, program, execution)
    }

    fn response_prefix(&self) -> String {
        match self.format {
            AnswerFormat::ProgramOfThought => "```python\n".to_string(),
            AnswerFormat::ChainOfThought => String::new(),
        }
    }

    fn stop_sequences(&self) -> Vec<String> {
        match self.format {
            AnswerFormat::ProgramOfThought => vec!["```".to_string()],
            AnswerFormat::ChainOfThought => vec!["\n\n## ".to_string()],
        }
    }

    fn extract_program(&self, completion: &str) -> String {
        match self.format {
            AnswerFormat::ProgramOfThought => pot::extract(completion),
            AnswerFormat::ChainOfThought => cot::extract(completion),
        }
    }

    fn normalize(&self, program: &str) -> String {
        match self.format {
            AnswerFormat::ProgramOfThought => pot::normalize(program),
            AnswerFormat::ChainOfThought => cot::normalize(program),
        }
    }

    /// One step per non-blank line (for both formats).
    fn split_steps(&self, program: &str) -> Vec<String> {
        pot::split_steps(program)
    }

    /// Program of thought: a finished top-level `answer = ...` statement (the paper's MC-ToT
    /// test `"answer =" in program`, restricted to the assignments `exec` can observe), or
    /// that very test under [`Completeness::AnswerSubstring`]; chain of thought: a strict
    /// `#### <number>` answer is present.
    fn is_complete(&self, program: &str) -> bool {
        match (self.format, self.completeness) {
            (AnswerFormat::ProgramOfThought, Completeness::TopLevelAnswer) => {
                pot::assigns_answer(program)
            }
            (AnswerFormat::ProgramOfThought, Completeness::AnswerSubstring) => {
                program.contains("answer =")
            }
            (AnswerFormat::ChainOfThought, _) => cot::is_complete(program),
        }
    }

    /// Program of thought: runs each distinct program text once; later calls return the
    /// memoized answer, with `seconds` the time this call took.
    fn execute(&self, _example: &Example, program: &str) -> Execution {
        let Some(sandbox) = &self.sandbox else {
            return cot::execute(program);
        };
        let started = Instant::now();
        let answer = self.answers.get_or_run(program.to_string(), || {
            self.sandbox_runs.fetch_add(1, Ordering::Relaxed);
            sandbox.run(program).result.and_then(|output| match output {
                Output::Answer(value) => Ok(value),
                Output::Table { .. } => Err(ExecError::Failed(
                    "the sandbox answered with a table".into(),
                )),
            })
        });
        Execution {
            result: answer.as_ref().clone().map(Output::Answer),
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    fn is_correct(&self, example: &Example, program: &str) -> bool {
        self.judge(example, &self.execute(example, program))
    }

    /// A program-of-thought example is judgeable when a sandbox worker answers (the gold is a
    /// number, so nothing else can fail); a chain-of-thought one always is.
    fn check_judgeable(&self, _example: &Example) -> Result<(), String> {
        let Some(sandbox) = &self.sandbox else {
            return Ok(());
        };
        match sandbox.run("answer = 1").result {
            Err(e) if sandbox::is_infrastructure(&e) => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    /// Both rules are answer equality: the paper's GSM8K oracle scores a program by whether its
    /// `answer` equals the gold answer, which is the task's correctness.
    fn oracle_score(&self, example: &Example, program: &str, rule: OracleRule) -> f64 {
        match rule {
            OracleRule::Paper | OracleRule::Exact => {
                f64::from(u8::from(self.is_correct(example, program)))
            }
        }
    }

    /// [`OracleLevels::Unit`]: [`Task::oracle_score`], flipped to `1 - score`.
    /// [`OracleLevels::Paper`]: the paper's `OracleEvaluatorPy` levels rescaled to
    /// `(1 - loss) / 2`: a program that fails is 0 (flipped 1), one that leaves `answer` unset
    /// 0.5 (flipped 1), a right answer 1 (flipped 0.5) and a wrong one 0.5 (flipped 1). Both
    /// rules are answer equality.
    fn oracle_truth(
        &self,
        example: &Example,
        program: &str,
        rule: OracleRule,
        levels: OracleLevels,
    ) -> OracleTruth {
        let execution = self.execute(example, program);
        let correct = self.judge(example, &execution);
        match levels {
            OracleLevels::Unit => unit_truth(self.oracle_score(example, program, rule), correct),
            OracleLevels::Paper => match &execution.result {
                Err(_) => PaperLosses::NOT_EXECUTABLE,
                Ok(Output::Answer(Value::Null)) => PaperLosses {
                    kept: 0.0,
                    flipped: Some(-1.0),
                },
                Ok(_) => PaperLosses::similarity(f64::from(u8::from(correct))),
            }
            .truth(correct),
        }
    }
}
