//! The typed description of one run: what a spec file holds, what the CLI's flags convert to,
//! and what the results store keeps beside every run.
//!
//! Every field has a default ([`RunSpec::default`]), so a spec file names only what it changes.
//! Options that only apply to one task live in that task's variant of [`TaskSpec`], so they
//! cannot change another task's run id.

use std::path::PathBuf;

use planbench_core::{OracleLevels, OracleRule};
use planbench_models::http::Endpoint;
use planbench_planners::{
    Budget, LlmScore, LlmVariant, OracleConfig, OracleConfigError, OracleDraws, OracleNoise,
    PlannerKind, PlannerOptions, SamplingDefaults,
};
use planbench_tasks::protocol::{CorrectionFeedback, ErrorText};
use planbench_tasks::{gsm8k, spider};

use crate::protocol::Protocol;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The default local model file, relative to the working directory.
pub const DEFAULT_MODEL: &str = "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

/// Which benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    Spider,
    Gsm8k,
}

planbench_core::named_enum!(TaskKind, "task", { Spider => "spider", Gsm8k => "gsm8k" });

/// The benchmark and its task-specific options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum TaskSpec {
    Spider(SpiderSpec),
    Gsm8k(Gsm8kSpec),
}

impl TaskSpec {
    /// The default options of `kind`.
    pub fn of(kind: TaskKind) -> Self {
        match kind {
            TaskKind::Spider => TaskSpec::Spider(SpiderSpec::default()),
            TaskKind::Gsm8k => TaskSpec::Gsm8k(Gsm8kSpec::default()),
        }
    }

    /// Which benchmark.
    pub fn kind(&self) -> TaskKind {
        match self {
            TaskSpec::Spider(_) => TaskKind::Spider,
            TaskSpec::Gsm8k(_) => TaskKind::Gsm8k,
        }
    }

    /// The split's name.
    pub fn split_name(&self) -> &'static str {
        match self {
            TaskSpec::Spider(s) => s.split.as_str(),
            TaskSpec::Gsm8k(g) => g.split.as_str(),
        }
    }

    /// Time limit in seconds of executing one program.
    pub fn exec_timeout(&self) -> f64 {
        match self {
            TaskSpec::Spider(s) => s.exec_timeout,
            TaskSpec::Gsm8k(g) => g.exec_timeout,
        }
    }
}

impl Default for TaskSpec {
    fn default() -> Self {
        TaskSpec::of(TaskKind::Spider)
    }
}

/// Spider text-to-SQL options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpiderSpec {
    pub split: spider::Split,
    /// Execution-accuracy rule.
    pub metric: spider::SpiderMetric,
    /// Seconds one query may run.
    pub exec_timeout: f64,
    /// Demonstrations in LLM-discriminator prompts (each a right and a wrong query).
    pub disc_shots: usize,
    /// How a failed query is shown to judges and correction: `message` or the paper's `bare`.
    #[serde(skip_serializing_if = "is_default")]
    pub error_text: ErrorText,
    /// What correction prompts show: the `execution` result, or the paper's `none`.
    #[serde(skip_serializing_if = "is_default")]
    pub correction_feedback: CorrectionFeedback,
    /// Tree-search steps: `top-level` clauses, or the paper's `every-clause`.
    #[serde(skip_serializing_if = "is_default")]
    pub sql_steps: spider::SqlSteps,
    /// What is scored and evaluated: the `raw` query, or the paper's `normalized` one.
    #[serde(skip_serializing_if = "is_default")]
    pub scored_program: spider::ScoredProgram,
    /// The "No" query of each demonstration: `other-query` (another training query on the
    /// database), or the paper's `near-miss` (the generator's own wrong candidate, sampled
    /// before the run).
    #[serde(skip_serializing_if = "is_default")]
    pub disc_demos: spider::DiscDemos,
}

impl Default for SpiderSpec {
    fn default() -> Self {
        let library = spider::SpiderConfig::default();
        Self {
            split: library.split,
            metric: library.metric,
            exec_timeout: library.timeout.as_secs_f64(),
            disc_shots: library.disc_shots,
            error_text: library.error_text,
            correction_feedback: library.correction_feedback,
            sql_steps: library.sql_steps,
            scored_program: library.scored_program,
            disc_demos: library.disc_demos,
        }
    }
}

/// GSM8K options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gsm8kSpec {
    pub split: gsm8k::Split,
    /// Program of thought (`pot`) or chain of thought (`cot`).
    pub format: gsm8k::AnswerFormat,
    /// Seconds one program may run.
    pub exec_timeout: f64,
    /// How a failed program is shown to judges and correction: `message` or the paper's
    /// `bare`.
    #[serde(skip_serializing_if = "is_default")]
    pub error_text: ErrorText,
    /// What correction prompts show: the `execution` result, or the paper's `none`.
    #[serde(skip_serializing_if = "is_default")]
    pub correction_feedback: CorrectionFeedback,
    /// Name scoping: `shared` (one namespace), or the paper's `exec-locals` (top-level names
    /// invisible inside functions and comprehensions, as `exec(program, None, locals)`).
    #[serde(skip_serializing_if = "is_default")]
    pub python_scope: gsm8k::PythonScope,
    /// Importable modules: `math`, or the paper's `stdlib` (the pure-computation modules the
    /// sandbox supports).
    #[serde(skip_serializing_if = "is_default")]
    pub python_imports: gsm8k::PythonImports,
    /// When a tree-search program is complete: a finished `top-level-answer`, or the paper's
    /// `answer-substring` (`answer =` anywhere).
    #[serde(skip_serializing_if = "is_default")]
    pub completeness: gsm8k::Completeness,
}

impl Default for Gsm8kSpec {
    fn default() -> Self {
        let library = gsm8k::Gsm8kConfig::new("");
        Self {
            split: library.split,
            format: library.format,
            exec_timeout: library.timeout.as_secs_f64(),
            error_text: library.error_text,
            correction_feedback: library.correction_feedback,
            python_scope: library.python_scope,
            python_imports: library.python_imports,
            completeness: library.completeness,
        }
    }
}

/// Which examples of the split a run uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectionSpec {
    /// The first N examples.
    pub limit: Option<usize>,
    /// A reproducible random subset of N examples (kept in file order).
    pub sample: Option<usize>,
    /// Seed of `sample`.
    pub sample_seed: u64,
    /// Draw `sample` proportionally from each stratum (Spider: each database), so a small
    /// sample covers the split's databases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratify: Option<Stratum>,
    /// A file of example ids, one per line (`#` comments and blank lines ignored): exactly
    /// these examples, in the file's order. Relative to the working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examples: Option<PathBuf>,
}

/// What a stratified sample is balanced over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stratum {
    /// The example's database (Spider).
    Db,
}

planbench_core::named_enum!(Stratum, "stratum", { Db => "db" });

/// The planner and its knobs (each planner reads only its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannerSpec {
    pub kind: PlannerKind,
    #[serde(default)]
    pub options: PlannerOptions,
}

impl Default for PlannerSpec {
    fn default() -> Self {
        Self {
            kind: PlannerKind::Greedy,
            options: PlannerOptions::default(),
        }
    }
}

/// Which discriminator scores candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum DiscriminatorSpec {
    /// P(Yes) of an LLM asked whether the program is correct.
    Llm {
        #[serde(default)]
        variant: LlmVariant,
        /// A different judge model (GGUF path, or model name over HTTP); default: the
        /// generator's.
        #[serde(default)]
        model: Option<String>,
        /// The score: P(Yes)/(P(Yes)+P(No)) (`yes-share`), or the paper's raw P(Yes)
        /// (`raw-yes`).
        #[serde(default, skip_serializing_if = "is_default")]
        score: LlmScore,
    },
    /// A simulated discriminator that knows the truth and errs as set.
    Oracle(OracleSpec),
}

/// The simulated discriminator's knobs (a flat table beside `kind = "oracle"`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OracleSpec {
    /// Probability of returning the true judgement (the symmetric mode).
    pub accuracy: f64,
    pub rule: OracleRule,
    /// Beyond the paper: true- and false-positive rates instead of one accuracy (set both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpr: Option<f64>,
    /// Beyond the paper: the true score plus Gaussian noise of this σ, clipped to [0, 1].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// Score levels: planbench's `unit` or the paper's evaluators' (`paper`).
    #[serde(skip_serializing_if = "is_default")]
    pub levels: OracleLevels,
    /// One draw per candidate (planbench) or per scoring call (`per-call`, the paper).
    #[serde(skip_serializing_if = "is_default")]
    pub draws: OracleDraws,
}

impl Default for OracleSpec {
    fn default() -> Self {
        Self {
            accuracy: 1.0,
            rule: default_oracle_rule(),
            tpr: None,
            fpr: None,
            sigma: None,
            levels: OracleLevels::default(),
            draws: OracleDraws::default(),
        }
    }
}

impl OracleSpec {
    /// The planners' configuration of this oracle, or the error naming the bad knob.
    pub fn config(&self) -> Result<OracleConfig, OracleConfigError> {
        let noise = OracleNoise::from_parts(self.accuracy, self.tpr, self.fpr, self.sigma)?;
        Ok(OracleConfig {
            noise,
            rule: self.rule,
            levels: self.levels,
            draws: self.draws,
        })
    }
}

fn default_oracle_rule() -> OracleRule {
    OracleRule::Paper
}

fn is_default_max_sequences(n: &usize) -> bool {
    *n == planbench_models::llama::LlamaConfig::new("").max_sequences
}

fn is_default_affinity_slack(n: &usize) -> bool {
    *n == planbench_models::http::HttpConfig::new("", "").affinity_slack
}

/// True for a type's default (fields added after run ids existed are left out at it).
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl DiscriminatorSpec {
    /// The oracle at `accuracy` with the default rule.
    pub fn oracle(accuracy: f64) -> Self {
        DiscriminatorSpec::Oracle(OracleSpec {
            accuracy,
            ..OracleSpec::default()
        })
    }

    /// This oracle with the symmetric `accuracy` (its rule, levels and draws kept); an LLM
    /// judge becomes the default oracle at `accuracy`.
    pub fn with_accuracy(&self, accuracy: f64) -> Self {
        match self {
            DiscriminatorSpec::Oracle(o) => DiscriminatorSpec::Oracle(OracleSpec {
                accuracy,
                rule: o.rule,
                levels: o.levels,
                draws: o.draws,
                ..OracleSpec::default()
            }),
            DiscriminatorSpec::Llm { .. } => DiscriminatorSpec::oracle(accuracy),
        }
    }

    /// The nominal accuracy of a symmetric oracle; `None` for an LLM judge and for the rates
    /// and score-noise oracles.
    pub fn oracle_accuracy(&self) -> Option<f64> {
        match self {
            DiscriminatorSpec::Oracle(o) if o.tpr.is_none() && o.sigma.is_none() => {
                Some(o.accuracy)
            }
            _ => None,
        }
    }

    /// The same kind of discriminator (and accuracy, rule, variant and model) with every other
    /// option at planbench's default.
    pub fn with_default_options(&self) -> Self {
        match self {
            DiscriminatorSpec::Oracle(o) => DiscriminatorSpec::Oracle(OracleSpec {
                levels: OracleLevels::default(),
                draws: OracleDraws::default(),
                ..*o
            }),
            DiscriminatorSpec::Llm { variant, model, .. } => DiscriminatorSpec::Llm {
                variant: *variant,
                model: model.clone(),
                score: LlmScore::default(),
            },
        }
    }

    /// A short label: `oracle@0.9`, `oracle@tpr0.9-fpr0.2`, `oracle@sigma0.1` or `llm-pro`.
    pub fn label(&self) -> String {
        match self {
            DiscriminatorSpec::Oracle(o) => match (o.sigma, o.tpr, o.fpr) {
                (Some(sigma), _, _) => format!("oracle@sigma{sigma}"),
                (None, Some(tpr), Some(fpr)) => format!("oracle@tpr{tpr}-fpr{fpr}"),
                _ => format!("oracle@{}", o.accuracy),
            },
            DiscriminatorSpec::Llm { variant, .. } => format!("llm-{variant}"),
        }
    }
}

impl Default for DiscriminatorSpec {
    fn default() -> Self {
        DiscriminatorSpec::Llm {
            variant: LlmVariant::default(),
            model: None,
            score: LlmScore::default(),
        }
    }
}

/// Which model generates (and, by default, judges).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum GeneratorSpec {
    /// A GGUF model in-process through llama.cpp.
    Local(LocalSpec),
    /// An OpenAI-compatible HTTP endpoint.
    Http(HttpSpec),
}

impl Default for GeneratorSpec {
    fn default() -> Self {
        GeneratorSpec::Local(LocalSpec::default())
    }
}

/// The local llama.cpp backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalSpec {
    /// The GGUF file.
    pub model: PathBuf,
    /// CPU threads; unset: every core. Does not change results, so not part of the run id.
    pub threads: Option<usize>,
    /// Context size in tokens.
    pub n_ctx: u32,
    /// Serve one request at a time for bit-exact results (slower); by default concurrent
    /// requests decode together, which may change results in the last digits. Part of the run
    /// id when set.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deterministic: bool,
    /// Completions decoded at once over all requests (1 to 32); does not change results
    /// beyond batching, so not part of the run id.
    #[serde(skip_serializing_if = "is_default_max_sequences")]
    pub max_sequences: usize,
}

impl Default for LocalSpec {
    fn default() -> Self {
        Self {
            model: PathBuf::from(DEFAULT_MODEL),
            threads: None,
            n_ctx: planbench_models::llama::LlamaConfig::new("").n_ctx,
            deterministic: false,
            max_sequences: planbench_models::llama::LlamaConfig::new("").max_sequences,
        }
    }
}

/// An OpenAI-compatible server (vLLM, SGLang, llama-server, OpenAI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSpec {
    /// Base URLs of replicas serving the same model.
    pub base_urls: Vec<String>,
    /// The model name the server serves.
    pub model: String,
    pub endpoint: Endpoint,
    /// Environment variable holding the API key (never logged or stored).
    pub api_key_env: Option<String>,
    /// Most requests in flight per replica.
    pub max_concurrency: usize,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: usize,
    /// Send the API key over plain http to a non-loopback host.
    pub allow_insecure_key: bool,
    /// The model's parameter count for FLOPs accounting (unset: what the server reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    /// Requests of one example stay on its replica unless it has this many more in flight
    /// than the least loaded one.
    #[serde(skip_serializing_if = "is_default_affinity_slack")]
    pub affinity_slack: usize,
}

impl Default for HttpSpec {
    fn default() -> Self {
        let library = planbench_models::http::HttpConfig::new("", "");
        Self {
            base_urls: Vec::new(),
            model: String::new(),
            endpoint: library.endpoint,
            api_key_env: None,
            max_concurrency: library.max_concurrency,
            max_response_bytes: library.max_response_bytes,
            allow_insecure_key: library.allow_insecure_key,
            parameters: library.parameters,
            affinity_slack: library.affinity_slack,
        }
    }
}

/// How reports test significance (the paper's code has no test; see `docs/protocol.md`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsSpec {
    /// Exact McNemar test against re-ranking: `two-sided`, or `greater` for the directional
    /// claim "the planner beats re-ranking".
    pub alternative: planbench_report::Alternative,
    /// Which p decides: the uncorrected one (`none`) or the Holm-adjusted one across the swept
    /// accuracies (`holm`); both are reported.
    pub correction: planbench_report::Correction,
    /// Significance level.
    pub alpha: f64,
    /// Power the "examples needed" is computed for.
    pub power: f64,
}

impl Default for StatsSpec {
    fn default() -> Self {
        let library = planbench_report::AnalysisOptions::default();
        Self {
            alternative: library.alternative,
            correction: library.correction,
            alpha: library.alpha,
            power: library.power,
        }
    }
}

impl StatsSpec {
    /// The report crate's options with these settings.
    pub fn analysis_options(&self) -> planbench_report::AnalysisOptions {
        planbench_report::AnalysisOptions {
            alternative: self.alternative,
            correction: self.correction,
            alpha: self.alpha,
            power: self.power,
            ..planbench_report::AnalysisOptions::default()
        }
    }

    /// Refuses a level or power outside (0, 1).
    pub fn validate(&self) -> Result<(), crate::ExperimentError> {
        for (field, value) in [("stats.alpha", self.alpha), ("stats.power", self.power)] {
            if !(value > 0.0 && value < 1.0) {
                return Err(crate::ExperimentError::InvalidSpec {
                    field: field.into(),
                    reason: format!("{value} is not in (0, 1)"),
                });
            }
        }
        Ok(())
    }
}

/// Everything that defines one run. Its canonical form (see [`crate::identity`]) names the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSpec {
    /// Which protocol's choices the spec started from (see [`crate::protocol`]); its fields
    /// hold the resolved values, so this is a record, not part of the run id.
    #[serde(skip_serializing_if = "Protocol::is_planbench")]
    pub protocol: Protocol,
    pub task: TaskSpec,
    pub selection: SelectionSpec,
    pub planner: PlannerSpec,
    pub discriminator: DiscriminatorSpec,
    pub generator: GeneratorSpec,
    pub sampling: SamplingDefaults,
    pub budget: Budget,
    /// Run seed: sampling and the oracle's draws derive from it and each example's id.
    pub seed: u64,
    /// Examples planned at once (does not change results, so not part of the run id).
    pub concurrency: usize,
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            protocol: Protocol::default(),
            task: TaskSpec::default(),
            selection: SelectionSpec::default(),
            planner: PlannerSpec::default(),
            discriminator: DiscriminatorSpec::default(),
            generator: GeneratorSpec::default(),
            sampling: SamplingDefaults::default(),
            budget: Budget::default(),
            seed: 0,
            concurrency: 1,
        }
    }
}

impl RunSpec {
    /// Sets the field at a dotted `path` (e.g. `task.sql_steps`) to `value`, read as JSON when it
    /// parses as JSON (numbers, booleans, `null`) and as a string otherwise.
    pub fn set_field(&mut self, path: &str, value: &str) -> Result<(), crate::ExperimentError> {
        let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
        let mut spec = serde_json::to_value(&*self).expect("specs serialize");
        crate::protocol::set_path(&mut spec, path, Some(parsed));
        *self = serde_json::from_value(spec).map_err(|e| crate::ExperimentError::InvalidSpec {
            field: path.to_string(),
            reason: e.to_string(),
        })?;
        Ok(())
    }

    /// Checks every numeric option, naming the field of the first bad one.
    pub fn validate(&self) -> Result<(), crate::ExperimentError> {
        let bad = |field: &str, reason: String| {
            Err(crate::ExperimentError::InvalidSpec {
                field: field.to_string(),
                reason,
            })
        };
        let timeout = self.task.exec_timeout();
        if !(timeout.is_finite() && timeout > 0.0) {
            return bad(
                "task.exec_timeout",
                format!("{timeout} is not a positive number of seconds"),
            );
        }
        if let DiscriminatorSpec::Oracle(o) = &self.discriminator {
            if let Err(e) = o.config() {
                let field = match &e {
                    OracleConfigError::NotAProbability { name, .. } => {
                        format!("discriminator.{name}")
                    }
                    OracleConfigError::BadSigma(_) => "discriminator.sigma".into(),
                    OracleConfigError::Conflict(_) => "discriminator".into(),
                };
                return bad(&field, e.to_string());
            }
        }
        let s = &self.sampling;
        if s.n == 0 {
            return bad("sampling.n", "must be at least 1".into());
        }
        if !(s.temperature.is_finite() && s.temperature >= 0.0) {
            return bad(
                "sampling.temperature",
                format!("{} is not ≥ 0", s.temperature),
            );
        }
        if !(s.top_p > 0.0 && s.top_p <= 1.0) {
            return bad("sampling.top_p", format!("{} is not in (0, 1]", s.top_p));
        }
        if s.top_k == Some(0) {
            return bad(
                "sampling.top_k",
                "must be at least 1 (leave it unset for no cut)".into(),
            );
        }
        if s.max_tokens == 0 {
            return bad("sampling.max_tokens", "must be at least 1".into());
        }
        if let Some(seconds) = self.budget.max_seconds {
            if !(seconds.is_finite() && seconds > 0.0) {
                return bad("budget.max_seconds", format!("{seconds} is not positive"));
            }
        }
        if self.budget.max_tokens == Some(0) {
            return bad("budget.max_tokens", "must be at least 1".into());
        }
        if let Some(flops) = self.budget.max_flops {
            if !(flops.is_finite() && flops > 0.0) {
                return bad("budget.max_flops", format!("{flops} is not positive"));
            }
        }
        if self.budget.max_llm_calls == Some(0) {
            return bad("budget.max_llm_calls", "must be at least 1".into());
        }
        let o = &self.planner.options;
        if !(o.correction_threshold.is_finite() && o.mcts_exploration.is_finite()) {
            return bad(
                "planner.options",
                "correction_threshold and mcts_exploration must be finite".into(),
            );
        }
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1".into());
        }
        let sel = &self.selection;
        let ways = [
            sel.limit.is_some(),
            sel.sample.is_some(),
            sel.examples.is_some(),
        ];
        if ways.iter().filter(|set| **set).count() > 1 {
            return bad(
                "selection",
                "set one of limit, sample and examples, not several".into(),
            );
        }
        if sel.stratify.is_some() && sel.sample.is_none() {
            return bad(
                "selection.stratify",
                "stratifies a `sample`: set one".into(),
            );
        }
        if sel.stratify == Some(Stratum::Db) && self.task.kind() != TaskKind::Spider {
            return bad(
                "selection.stratify",
                "`db` strata exist for Spider only".into(),
            );
        }
        if let GeneratorSpec::Local(l) = &self.generator {
            if !(1..=32).contains(&l.max_sequences) {
                return bad(
                    "generator.max_sequences",
                    format!("{} is not in 1..=32", l.max_sequences),
                );
            }
        }
        if let GeneratorSpec::Http(h) = &self.generator {
            if h.base_urls.is_empty() {
                return bad("generator.base_urls", "the HTTP backend needs one".into());
            }
            if h.model.is_empty() {
                return bad(
                    "generator.model",
                    "the HTTP backend needs the model name".into(),
                );
            }
            if h.max_concurrency == 0 {
                return bad("generator.max_concurrency", "must be at least 1".into());
            }
            if h.affinity_slack == 0 {
                return bad("generator.affinity_slack", "must be at least 1".into());
            }
            if h.max_response_bytes == 0 {
                return bad("generator.max_response_bytes", "must be at least 1".into());
            }
        }
        Ok(())
    }
}
