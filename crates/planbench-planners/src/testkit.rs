//! Test support: a toy task, a scripted generator and a scripted discriminator.
//!
//! The toy task asks for integers that sum to the gold number. A program is one integer per line
//! and a final line `=`; each line is a step; executing it sums the integers (a line that is not
//! an integer is an execution error).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, Cost, Discriminator, DiscriminatorError, Example, ExecError,
    Execution, GenError, GenerateRequest, Generation, Generator, OracleLevels, OracleRule,
    OracleTruth, Output, Prompt, Scores, Task, TaskError, Usage, Value,
};

use crate::context::{Budget, PlanContext, SamplingDefaults};
use crate::trace::Trace;

/// The toy "sum" task.
#[derive(Debug, Default)]
pub(crate) struct SumTask;

impl SumTask {
    fn sum(program: &str) -> Result<i64, String> {
        program
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && *line != "=")
            .map(|line| {
                line.parse::<i64>()
                    .map_err(|_| format!("not an integer: {line}"))
            })
            .sum()
    }

    fn describe(execution: &Execution) -> String {
        match &execution.result {
            Ok(Output::Answer(value)) => format!("ok {value}"),
            Ok(other) => format!("ok {other:?}"),
            Err(error) => error.to_string(),
        }
    }
}

pub(crate) fn prompt_text(prompt: &Prompt) -> &str {
    match prompt {
        Prompt::Text(text) => text,
        Prompt::Chat(_) => "",
    }
}

impl Task for SumTask {
    fn name(&self) -> &str {
        "sum"
    }

    fn generation_prompt(&self, example: &Example) -> Result<Prompt, TaskError> {
        Ok(Prompt::Text(format!("SOLVE {}", example.question)))
    }

    fn correction_prompt(
        &self,
        _example: &Example,
        program: &str,
        execution: &Execution,
    ) -> Result<Prompt, TaskError> {
        Ok(Prompt::Text(format!(
            "FIX {program}\nRESULT {}",
            Self::describe(execution)
        )))
    }

    fn discrimination_prompt(
        &self,
        _example: &Example,
        program: &str,
        execution: Option<&Execution>,
    ) -> Result<Prompt, TaskError> {
        let result = execution.map(|e| format!("\nRESULT {}", Self::describe(e)));
        Ok(Prompt::Text(format!(
            "JUDGE {program}{}",
            result.unwrap_or_default()
        )))
    }

    fn response_prefix(&self) -> String {
        "```\n".into()
    }

    fn stop_sequences(&self) -> Vec<String> {
        vec!["```".into()]
    }

    fn extract_program(&self, completion: &str) -> String {
        let body = completion
            .split_once("```\n")
            .map_or(completion, |(_, body)| body);
        body.split("```").next().unwrap_or("").trim().to_string()
    }

    fn normalize(&self, program: &str) -> String {
        program.split_whitespace().collect()
    }

    fn split_steps(&self, program: &str) -> Vec<String> {
        program.split_inclusive('\n').map(str::to_string).collect()
    }

    fn is_complete(&self, program: &str) -> bool {
        program
            .lines()
            .last()
            .is_some_and(|line| line.trim() == "=")
    }

    fn execute(&self, _example: &Example, program: &str) -> Execution {
        Execution {
            result: Self::sum(program)
                .map(|sum| Output::Answer(Value::Integer(sum)))
                .map_err(ExecError::Failed),
            seconds: 0.001,
        }
    }

    fn is_correct(&self, example: &Example, program: &str) -> bool {
        self.oracle_score(example, program, OracleRule::Exact) == 1.0
    }

    /// Unit levels: the true score, flipped to `1 - score`. Paper levels, as the paper's GSM8K
    /// evaluator: a program that does not run is 0 (flipped 1), a wrong sum 0.5 (flipped 1), the
    /// right sum 1 (flipped 0.5). A gold that is not a number flips nothing (the score is 0).
    fn oracle_truth(
        &self,
        example: &Example,
        program: &str,
        rule: OracleRule,
        levels: OracleLevels,
    ) -> OracleTruth {
        let correct = self.is_correct(example, program);
        let (kept, flipped) = match (example.gold.parse::<i64>(), levels) {
            (Err(_), _) => (0.0, None),
            (Ok(_), OracleLevels::Unit) => {
                let kept = self.oracle_score(example, program, rule);
                (kept, Some(1.0 - kept))
            }
            (Ok(_), OracleLevels::Paper) => match (Self::sum(program), correct) {
                (Err(_), _) => (0.0, Some(1.0)),
                (Ok(_), false) => (0.5, Some(1.0)),
                (Ok(_), true) => (1.0, Some(0.5)),
            },
        };
        OracleTruth {
            kept,
            flipped,
            correct,
        }
    }

    /// Exact: 1 when the sum is the gold number. Paper: `1 / (1 + |sum - gold|)`.
    fn oracle_score(&self, example: &Example, program: &str, rule: OracleRule) -> f64 {
        let (Ok(sum), Ok(gold)) = (Self::sum(program), example.gold.parse::<i64>()) else {
            return 0.0;
        };
        match rule {
            OracleRule::Exact => f64::from(u8::from(sum == gold)),
            OracleRule::Paper => 1.0 / (1.0 + (sum - gold).abs() as f64),
        }
    }
}

/// A toy task whose programs spell their own output: lines of comma-separated literals and a
/// final `=` (`None`, integers, floats, `'quoted'` or bare text). With `tables` every line is a
/// row of a result table (a Spider stand-in); otherwise the last line is the `answer` value (a
/// GSM8K stand-in; no line: `None`). A line `fail` is an execution error. Prompts, extraction
/// and steps are [`SumTask`]'s.
#[derive(Debug, Default)]
pub(crate) struct LiteralTask {
    pub tables: bool,
}

impl LiteralTask {
    fn literal(text: &str) -> Value {
        let text = text.trim();
        if text == "None" {
            Value::Null
        } else if let Ok(i) = text.parse::<i64>() {
            Value::Integer(i)
        } else if let Ok(r) = text.parse::<f64>() {
            Value::Real(r)
        } else {
            let unquoted = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\''));
            Value::Text(unquoted.unwrap_or(text).to_string())
        }
    }

    fn output(&self, program: &str) -> Result<Output, ExecError> {
        let lines: Vec<&str> = program
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && *line != "=")
            .collect();
        if lines.contains(&"fail") {
            return Err(ExecError::Failed("fail".into()));
        }
        if !self.tables {
            return Ok(Output::Answer(
                lines.last().map_or(Value::Null, |line| Self::literal(line)),
            ));
        }
        let rows: Vec<Vec<Value>> = lines
            .iter()
            .map(|line| line.split(',').map(Self::literal).collect())
            .collect();
        let width = rows.first().map_or(0, Vec::len);
        Ok(Output::Table {
            columns: (0..width).map(|i| format!("c{i}")).collect(),
            rows,
        })
    }
}

impl Task for LiteralTask {
    fn name(&self) -> &str {
        if self.tables {
            "literal-tables"
        } else {
            "literal-answers"
        }
    }

    fn generation_prompt(&self, example: &Example) -> Result<Prompt, TaskError> {
        SumTask.generation_prompt(example)
    }

    fn correction_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: &Execution,
    ) -> Result<Prompt, TaskError> {
        SumTask.correction_prompt(example, program, execution)
    }

    fn discrimination_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: Option<&Execution>,
    ) -> Result<Prompt, TaskError> {
        SumTask.discrimination_prompt(example, program, execution)
    }

    fn response_prefix(&self) -> String {
        SumTask.response_prefix()
    }

    fn stop_sequences(&self) -> Vec<String> {
        SumTask.stop_sequences()
    }

    fn extract_program(&self, completion: &str) -> String {
        SumTask.extract_program(completion)
    }

    fn normalize(&self, program: &str) -> String {
        SumTask.normalize(program)
    }

    fn split_steps(&self, program: &str) -> Vec<String> {
        SumTask.split_steps(program)
    }

    fn is_complete(&self, program: &str) -> bool {
        SumTask.is_complete(program)
    }

    fn execute(&self, _example: &Example, program: &str) -> Execution {
        Execution {
            result: self.output(program),
            seconds: 0.001,
        }
    }

    /// Correct when the program is the gold text (whitespace aside).
    fn is_correct(&self, example: &Example, program: &str) -> bool {
        self.normalize(program) == self.normalize(&example.gold)
    }

    fn oracle_score(&self, example: &Example, program: &str, _rule: OracleRule) -> f64 {
        f64::from(u8::from(self.is_correct(example, program)))
    }
}

type Script = dyn Fn(&GenerateRequest) -> Vec<String> + Send + Sync;

/// A generator whose completions come from a script of the request; answer probabilities are
/// `[yes, no]` looked up by the program of a `JUDGE` prompt (`[0.5, 0.5]` when unknown).
pub(crate) struct ScriptedGenerator {
    script: Box<Script>,
    yes: HashMap<String, (f64, f64)>,
    parameters: Option<u64>,
    /// With a salt, every call yields to the runtime a pseudo-random number of times (so
    /// concurrent calls finish out of order) and calls in flight are counted.
    stagger: Option<u64>,
    in_flight: AtomicUsize,
    /// The most calls in flight at once (with `stagger`).
    pub max_in_flight: AtomicUsize,
    pub requests: Mutex<Vec<GenerateRequest>>,
    pub judged: Mutex<Vec<String>>,
}

impl ScriptedGenerator {
    pub fn new(script: impl Fn(&GenerateRequest) -> Vec<String> + Send + Sync + 'static) -> Self {
        Self {
            script: Box::new(script),
            yes: HashMap::new(),
            parameters: None,
            stagger: None,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            judged: Mutex::new(Vec::new()),
        }
    }

    /// Completions looked up by the request's partial program (the prefix after "```\n").
    pub fn by_partial(table: &[(&str, &[&str])]) -> Self {
        let table: HashMap<String, Vec<String>> = table
            .iter()
            .map(|(partial, completions)| {
                (
                    partial.to_string(),
                    completions.iter().map(|c| c.to_string()).collect(),
                )
            })
            .collect();
        Self::new(move |request| {
            let partial = request.assistant_prefix.trim_start_matches("```\n");
            table.get(partial).cloned().unwrap_or_default()
        })
    }

    /// Reports `parameters` as the model's parameter count (for FLOPs).
    pub fn with_parameters(mut self, parameters: u64) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Makes calls finish out of order, as `salt` says, and counts calls in flight.
    pub fn staggered(mut self, salt: u64) -> Self {
        self.stagger = Some(salt);
        self
    }

    /// Every call made: generation requests and judgements.
    pub fn calls(&self) -> usize {
        self.requests.lock().unwrap().len() + self.judged.lock().unwrap().len()
    }

    /// With `stagger`: yields a number of times drawn from `key` and the salt.
    async fn pause(&self, key: &str) {
        let Some(salt) = self.stagger else { return };
        let now = self.in_flight.fetch_add(1, AtomicOrdering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, AtomicOrdering::SeqCst);
        let turns = crate::seed::hash_u64(&[key.as_bytes(), &salt.to_le_bytes()]) % 5;
        for _ in 0..turns {
            tokio::task::yield_now().await;
        }
        self.in_flight.fetch_sub(1, AtomicOrdering::SeqCst);
    }

    /// Answers `[p, 1 - p]` for `program`.
    pub fn with_yes(self, program: &str, p: f64) -> Self {
        self.with_answers(program, p, 1.0 - p)
    }

    /// Answers `[yes, no]` for `program` (the rest of the vocabulary takes what they leave).
    pub fn with_answers(mut self, program: &str, yes: f64, no: f64) -> Self {
        self.yes.insert(program.to_string(), (yes, no));
        self
    }

    pub fn partials(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .map(|r| r.assistant_prefix.trim_start_matches("```\n").to_string())
            .collect()
    }
}

#[async_trait]
impl Generator for ScriptedGenerator {
    fn identity(&self) -> String {
        "scripted".into()
    }

    fn parameters(&self) -> Option<u64> {
        self.parameters
    }

    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
        self.requests.lock().unwrap().push(request.clone());
        self.pause(&request.assistant_prefix).await;
        Ok(Generation {
            completions: (self.script)(request),
            usage: Usage {
                prompt_tokens: 10,
                completion_tokens: 5,
                ..Usage::default()
            },
        })
    }

    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        let text = prompt_text(&request.prompt);
        self.judged.lock().unwrap().push(text.to_string());
        self.pause(text).await;
        let program = text
            .strip_prefix("JUDGE ")
            .map(|rest| rest.split("\nRESULT").next().unwrap_or(""))
            .unwrap_or("");
        let (yes, no) = self.yes.get(program).copied().unwrap_or((0.5, 0.5));
        Ok(AnswerProbs {
            probs: vec![yes, no],
            usage: Usage {
                prompt_tokens: 20,
                completion_tokens: 1,
                ..Usage::default()
            },
        })
    }
}

/// A discriminator with fixed scores per normalized program (0 when unknown); each candidate
/// costs one LLM call.
#[derive(Default)]
pub(crate) struct ScriptedDiscriminator {
    scores: HashMap<String, f64>,
    pub batches: Mutex<Vec<Vec<String>>>,
}

impl ScriptedDiscriminator {
    pub fn new(scores: &[(&str, f64)]) -> Self {
        Self {
            scores: scores
                .iter()
                .map(|(p, s)| (SumTask.normalize(p), *s))
                .collect(),
            batches: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Discriminator for ScriptedDiscriminator {
    fn describe(&self) -> String {
        "scripted".into()
    }

    async fn score(&self, _: &Example, programs: &[String]) -> Result<Scores, DiscriminatorError> {
        self.batches.lock().unwrap().push(programs.to_vec());
        let mut cost = Cost::default();
        let scores = programs
            .iter()
            .map(|program| {
                cost.add_discrimination(&Usage::default(), None);
                self.scores
                    .get(&SumTask.normalize(program))
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect();
        Ok(Scores { scores, cost })
    }
}

/// The example "sum to 6".
pub(crate) fn example() -> Example {
    Example {
        id: "toy/0".into(),
        index: 0,
        question: "sum to 6".into(),
        gold: "6".into(),
        db_id: None,
    }
}

/// A context with the default sampling and no budget.
pub(crate) fn context(
    generator: &Arc<ScriptedGenerator>,
    discriminator: &Arc<ScriptedDiscriminator>,
) -> PlanContext {
    context_with(Arc::new(SumTask), generator, discriminator)
}

/// [`context`] for another task.
pub(crate) fn context_with(
    task: Arc<dyn Task>,
    generator: &Arc<ScriptedGenerator>,
    discriminator: &Arc<ScriptedDiscriminator>,
) -> PlanContext {
    PlanContext {
        task,
        generator: generator.clone(),
        discriminator: discriminator.clone(),
        sampling: SamplingDefaults::default(),
        budget: Budget::default(),
        seed: 7,
    }
}

/// The directory of the trace fixtures: JSON traces as the planners wrote them before traces
/// were typed, kept so that stored traces are known to stay readable.
pub(crate) const TRACE_FIXTURES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/traces");

/// The fixture `name` as JSON.
pub(crate) fn trace_fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(TRACE_FIXTURES).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("trace fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Asserts that `trace` is the fixture `name`: its JSON equals the fixture's, and the fixture
/// parses back to it. With `PLANBENCH_BLESS_TRACES=1` it writes the fixture and its render
/// (`tests/fixtures/renders`) instead.
pub(crate) fn assert_trace_fixture(name: &str, trace: &Trace) {
    if std::env::var_os("PLANBENCH_BLESS_TRACES").is_some_and(|v| v == "1") {
        let path = std::path::Path::new(TRACE_FIXTURES).join(format!("{name}.json"));
        std::fs::create_dir_all(TRACE_FIXTURES).unwrap();
        let text = serde_json::to_string_pretty(&trace.to_value()).unwrap();
        std::fs::write(&path, text + "\n").unwrap();
        let renders = std::path::Path::new(TRACE_FIXTURES).join("../renders");
        std::fs::write(
            renders.join(format!("{name}.txt")),
            crate::trace::render_trace(trace),
        )
        .unwrap();
        return;
    }
    let expected = trace_fixture(name);
    assert_eq!(trace.to_value(), expected, "trace fixture {name}");
    assert_eq!(
        Trace::from_value(expected).unwrap(),
        *trace,
        "trace fixture {name}"
    );
}
