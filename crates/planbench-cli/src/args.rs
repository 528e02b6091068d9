//! Command-line flags shared by several commands, and their one conversion into specs.
//!
//! Every flag that changes a run is optional and has no clap default: an unset flag keeps the
//! spec's value (from `--spec FILE`, else `RunSpec::default()`), so each default is written
//! once, in the spec. `--print-spec` shows the resolved values.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_core::{OracleLevels, OracleRule};
use planbench_experiment::{
    DiscriminatorSpec, Environment, GeneratorSpec, HttpSpec, LocalSpec, Protocol, RunSpec,
    StatsSpec, Stratum, TaskKind, TaskSpec,
};
use planbench_models::http::Endpoint;
use planbench_planners::{LlmVariant, MctsFinal, OracleDraws, PlannerKind};
use planbench_tasks::gsm8k::AnswerFormat;
use planbench_tasks::spider::SpiderMetric;

/// Where data, results and the response cache live.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory holding `spider/` and `gsm8k/` (see datasets/README.md).
    #[arg(long, env = "PLANBENCH_DATA_DIR", default_value = "../shared/datasets")]
    pub data_dir: PathBuf,
    /// Directory of the results store (`planbench.sqlite`).
    #[arg(long, env = "PLANBENCH_RESULTS", default_value = "results")]
    pub results: PathBuf,
    /// Response cache file (SQLite; shareable between machines).
    #[arg(long, env = "PLANBENCH_CACHE", default_value = "results/cache.sqlite")]
    pub cache: PathBuf,
    /// Call the backend for every request instead of answering repeats from the cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl DataArgs {
    /// The engine's environment.
    pub fn environment(&self) -> Environment {
        Environment {
            data_dir: self.data_dir.clone(),
            cache: (!self.no_cache).then(|| self.cache.clone()),
        }
    }
}

/// Which task, split and examples.
#[derive(Debug, Clone, Default, Args)]
pub struct TaskFlags {
    /// The benchmark: spider or gsm8k.
    #[arg(long)]
    pub task: Option<TaskKind>,
    /// Split: `dev` or `train` for Spider, `test` or `train` for GSM8K.
    #[arg(long)]
    pub split: Option<String>,
    /// Use the first N examples.
    #[arg(long, conflicts_with_all = ["sample", "examples"])]
    pub limit: Option<usize>,
    /// Use a reproducible random subset of N examples (see --sample-seed, --stratify).
    #[arg(long, conflicts_with = "examples")]
    pub sample: Option<usize>,
    /// Seed of --sample.
    #[arg(long)]
    pub sample_seed: Option<u64>,
    /// Balance --sample over strata (`db`: each Spider database gets its share).
    #[arg(long, requires = "sample")]
    pub stratify: Option<Stratum>,
    /// Use exactly the examples whose ids this file lists, one per line (`#` comments).
    #[arg(long)]
    pub examples: Option<PathBuf>,
    /// Spider: execution-accuracy rule (`test-suite` as test-suite-sql-eval, or `bird`).
    #[arg(long)]
    pub metric: Option<SpiderMetric>,
    /// GSM8K: answer format (`pot`: program of thought, `cot`: chain of thought).
    #[arg(long)]
    pub format: Option<AnswerFormat>,
    /// Seconds one candidate program may run.
    #[arg(long, allow_negative_numbers = true)]
    pub exec_timeout: Option<f64>,
    /// Spider: demonstrations in LLM-discriminator prompts (each a right and a wrong query).
    #[arg(long)]
    pub disc_shots: Option<usize>,
}

impl TaskFlags {
    /// Applies the flags that are set to `spec`.
    pub fn apply(&self, spec: &mut RunSpec) -> Result<()> {
        if let Some(kind) = self.task {
            if spec.task.kind() != kind {
                spec.task = TaskSpec::of(kind);
            }
        }
        let task_name = spec.task.kind();
        let only = |flag: &str, task: TaskKind| {
            anyhow::anyhow!("{flag} applies to --task {task} only, not {task_name}")
        };
        match &mut spec.task {
            TaskSpec::Spider(s) => {
                if let Some(split) = &self.split {
                    s.split = split.parse().map_err(anyhow::Error::msg)?;
                }
                set(&mut s.metric, self.metric);
                set(&mut s.exec_timeout, self.exec_timeout);
                set(&mut s.disc_shots, self.disc_shots);
                if self.format.is_some() {
                    return Err(only("--format", TaskKind::Gsm8k));
                }
            }
            TaskSpec::Gsm8k(g) => {
                if let Some(split) = &self.split {
                    g.split = split.parse().map_err(anyhow::Error::msg)?;
                }
                set(&mut g.format, self.format);
                set(&mut g.exec_timeout, self.exec_timeout);
                if self.metric.is_some() {
                    return Err(only("--metric", TaskKind::Spider));
                }
                if self.disc_shots.is_some() {
                    return Err(only("--disc-shots", TaskKind::Spider));
                }
            }
        }
        let selection = &mut spec.selection;
        if self.limit.is_some() || self.sample.is_some() || self.examples.is_some() {
            selection.limit = self.limit;
            selection.sample = self.sample;
            selection.stratify = self.stratify;
            selection.examples = self.examples.clone();
        }
        set(&mut selection.sample_seed, self.sample_seed);
        Ok(())
    }
}

/// Sampling, planner knobs and per-example budgets.
#[derive(Debug, Clone, Default, Args)]
pub struct PlannerFlags {
    /// Completions per generation request.
    #[arg(long)]
    pub n: Option<usize>,
    /// Sampling temperature.
    #[arg(long, allow_negative_numbers = true)]
    pub temperature: Option<f32>,
    /// Nucleus sampling mass.
    #[arg(long, allow_negative_numbers = true)]
    pub top_p: Option<f32>,
    /// Sample among the k most likely tokens only (the paper's Hugging Face default: 50); sent
    /// to llama-server, vLLM and SGLang, which accept it (OpenAI's API does not).
    #[arg(long)]
    pub top_k: Option<u32>,
    /// Most new tokens per completion.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Iterative correction: most rounds.
    #[arg(long)]
    pub correction_rounds: Option<usize>,
    /// MC-ToT: most expansions.
    #[arg(long)]
    pub tree_expansions: Option<usize>,
    /// MCTS: iterations.
    #[arg(long)]
    pub mcts_iterations: Option<usize>,
    /// MCTS: UCT exploration constant.
    #[arg(long, allow_negative_numbers = true)]
    pub mcts_exploration: Option<f64>,
    /// MCTS: return the program of best mean value (`best-mean`) or most visits (`most-visits`).
    #[arg(long)]
    pub mcts_final: Option<MctsFinal>,
    /// Budget: most LLM calls per example.
    #[arg(long)]
    pub max_llm_calls: Option<u64>,
    /// Budget: most seconds per example.
    #[arg(long, allow_negative_numbers = true)]
    pub max_seconds: Option<f64>,
    /// Budget: most tokens (prompt and completion, generator and judge) per example.
    #[arg(long)]
    pub budget_tokens: Option<u64>,
    /// Budget: most estimated FLOPs per example (e.g. 1e13).
    #[arg(long, allow_negative_numbers = true)]
    pub budget_flops: Option<f64>,
}

impl PlannerFlags {
    /// Applies the flags that are set to `spec`.
    pub fn apply(&self, spec: &mut RunSpec) {
        let s = &mut spec.sampling;
        set(&mut s.n, self.n);
        set(&mut s.temperature, self.temperature);
        set(&mut s.top_p, self.top_p);
        if self.top_k.is_some() {
            s.top_k = self.top_k;
        }
        set(&mut s.max_tokens, self.max_tokens);
        let o = &mut spec.planner.options;
        set(&mut o.correction_max_rounds, self.correction_rounds);
        set(&mut o.tree_max_expansions, self.tree_expansions);
        set(&mut o.mcts_iterations, self.mcts_iterations);
        set(&mut o.mcts_exploration, self.mcts_exploration);
        set(&mut o.mcts_final, self.mcts_final);
        if self.max_llm_calls.is_some() {
            spec.budget.max_llm_calls = self.max_llm_calls;
        }
        if self.max_seconds.is_some() {
            spec.budget.max_seconds = self.max_seconds;
        }
        if self.budget_tokens.is_some() {
            spec.budget.max_tokens = self.budget_tokens;
        }
        if self.budget_flops.is_some() {
            spec.budget.max_flops = self.budget_flops;
        }
    }
}

/// The discriminator.
#[derive(Debug, Clone, Default, Args)]
pub struct DiscriminatorFlags {
    /// Discriminator: `llm` (P(Yes) of a judge model) or `oracle` (simulated, knows the truth).
    #[arg(long, value_parser = ["llm", "oracle"])]
    pub discriminator: Option<String>,
    /// LLM judge: what it observes (`naive`, `check`, `exec`, `pro` = check + exec).
    #[arg(long)]
    pub disc_variant: Option<LlmVariant>,
    /// LLM judge: a different model (GGUF path, or model name over HTTP).
    #[arg(long)]
    pub disc_model: Option<String>,
    /// Oracle: probability of returning the true judgement (implies --discriminator oracle).
    #[arg(long, allow_negative_numbers = true)]
    pub oracle_accuracy: Option<f64>,
    /// Oracle: true score (`paper`: the paper's soft oracle, `exact`: official correctness).
    #[arg(long)]
    pub oracle_rule: Option<OracleRule>,
    /// Oracle: true-positive rate (with --oracle-fpr, instead of one accuracy).
    #[arg(long, allow_negative_numbers = true, requires = "oracle_fpr")]
    pub oracle_tpr: Option<f64>,
    /// Oracle: false-positive rate (with --oracle-tpr).
    #[arg(long, allow_negative_numbers = true, requires = "oracle_tpr")]
    pub oracle_fpr: Option<f64>,
    /// Oracle: the true score plus Gaussian noise of this σ, clipped to [0, 1].
    #[arg(long, allow_negative_numbers = true)]
    pub oracle_sigma: Option<f64>,
    /// Oracle: score levels, `unit` (planbench) or `paper` (the paper's evaluators').
    #[arg(long)]
    pub oracle_levels: Option<OracleLevels>,
    /// Oracle: one draw per candidate (`per-candidate`, planbench) or per call (`per-call`).
    #[arg(long)]
    pub oracle_draws: Option<OracleDraws>,
}

impl DiscriminatorFlags {
    /// True when any `--oracle-*` flag is set.
    fn sets_oracle(&self) -> bool {
        self.oracle_accuracy.is_some()
            || self.oracle_rule.is_some()
            || self.oracle_tpr.is_some()
            || self.oracle_sigma.is_some()
            || self.oracle_levels.is_some()
            || self.oracle_draws.is_some()
    }

    /// Applies the flags that are set to `spec`.
    pub fn apply(&self, spec: &mut RunSpec) -> Result<()> {
        let wants_oracle = match self.discriminator.as_deref() {
            Some(kind) => kind == "oracle",
            None => {
                self.sets_oracle() || matches!(spec.discriminator, DiscriminatorSpec::Oracle(_))
            }
        };
        let d = &mut spec.discriminator;
        match (wants_oracle, &*d) {
            (true, DiscriminatorSpec::Llm { .. }) => *d = DiscriminatorSpec::oracle(1.0),
            (false, DiscriminatorSpec::Oracle(_)) => *d = DiscriminatorSpec::default(),
            _ => {}
        }
        match d {
            DiscriminatorSpec::Llm { variant, model, .. } => {
                if self.sets_oracle() {
                    bail!("the --oracle-* flags apply to --discriminator oracle");
                }
                set(variant, self.disc_variant);
                if self.disc_model.is_some() {
                    model.clone_from(&self.disc_model);
                }
            }
            DiscriminatorSpec::Oracle(o) => {
                if self.disc_variant.is_some() || self.disc_model.is_some() {
                    bail!("--disc-variant and --disc-model apply to --discriminator llm");
                }
                set(&mut o.accuracy, self.oracle_accuracy);
                set(&mut o.rule, self.oracle_rule);
                if self.oracle_tpr.is_some() {
                    (o.tpr, o.fpr) = (self.oracle_tpr, self.oracle_fpr);
                }
                if self.oracle_sigma.is_some() {
                    o.sigma = self.oracle_sigma;
                }
                set(&mut o.levels, self.oracle_levels);
                set(&mut o.draws, self.oracle_draws);
            }
        }
        Ok(())
    }
}

/// The generator model and its backend.
#[derive(Debug, Clone, Default, Args)]
pub struct GeneratorFlags {
    /// Model backend: `local` (GGUF through llama.cpp) or `http` (OpenAI-compatible server).
    #[arg(long, value_parser = ["local", "http"])]
    pub backend: Option<String>,
    /// Local: GGUF file. HTTP: the model name sent to the server.
    #[arg(long, env = "PLANBENCH_MODEL")]
    pub model: Option<String>,
    /// Local: CPU threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Local: context size in tokens.
    #[arg(long)]
    pub n_ctx: Option<u32>,
    /// HTTP: base URL of an OpenAI-compatible server; repeat for several replicas.
    #[arg(long = "base-url")]
    pub base_urls: Vec<String>,
    /// HTTP: environment variable holding the API key (never logged or stored); no key is
    /// sent unless it is named.
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// HTTP: `chat` (/v1/chat/completions) or `completions` (/v1/completions).
    #[arg(long)]
    pub endpoint: Option<Endpoint>,
    /// HTTP: most requests in flight per replica.
    #[arg(long)]
    pub max_concurrency: Option<usize>,
    /// HTTP: largest response body accepted, in MiB.
    #[arg(long)]
    pub max_response_mib: Option<usize>,
    /// HTTP: send the API key over plain http to a host other than loopback.
    #[arg(long)]
    pub allow_insecure_key: bool,
    /// Local: serve one request at a time, bit-exact whatever runs beside it (slower).
    #[arg(long)]
    pub deterministic: bool,
    /// Local: completions decoded at once over all requests (1 to 32).
    #[arg(long)]
    pub max_sequences: Option<usize>,
    /// HTTP: keep an example's requests on its replica unless it has this many more in
    /// flight than the least loaded one.
    #[arg(long)]
    pub affinity_slack: Option<usize>,
    /// HTTP: the model's parameter count, for FLOPs accounting (e.g. 7.6e9) [default: what the
    /// server reports, else unknown].
    #[arg(long)]
    pub params: Option<f64>,
}

impl GeneratorFlags {
    /// Applies the flags that are set to `spec`.
    pub fn apply(&self, generator: &mut GeneratorSpec) -> Result<()> {
        match (self.backend.as_deref(), &*generator) {
            (Some("http"), GeneratorSpec::Local(_)) => {
                *generator = GeneratorSpec::Http(HttpSpec::default());
            }
            (Some("local"), GeneratorSpec::Http(_)) => {
                *generator = GeneratorSpec::Local(LocalSpec::default());
            }
            _ => {}
        }
        match generator {
            GeneratorSpec::Local(local) => {
                if !self.base_urls.is_empty() || self.endpoint.is_some() || self.params.is_some() {
                    bail!("--base-url, --endpoint and --params apply to --backend http");
                }
                if let Some(model) = &self.model {
                    local.model = PathBuf::from(model);
                }
                if self.threads.is_some() {
                    local.threads = self.threads;
                }
                set(&mut local.n_ctx, self.n_ctx);
                local.deterministic |= self.deterministic;
                set(&mut local.max_sequences, self.max_sequences);
                if self.affinity_slack.is_some() {
                    bail!("--affinity-slack applies to --backend http");
                }
            }
            GeneratorSpec::Http(http) => {
                if self.threads.is_some()
                    || self.n_ctx.is_some()
                    || self.deterministic
                    || self.max_sequences.is_some()
                {
                    bail!(
                        "--threads, --n-ctx, --deterministic and --max-sequences apply to \
                         --backend local"
                    );
                }
                set(&mut http.affinity_slack, self.affinity_slack);
                if let Some(model) = &self.model {
                    http.model.clone_from(model);
                }
                if !self.base_urls.is_empty() {
                    http.base_urls.clone_from(&self.base_urls);
                }
                if self.api_key_env.is_some() {
                    http.api_key_env.clone_from(&self.api_key_env);
                }
                set(&mut http.endpoint, self.endpoint);
                set(&mut http.max_concurrency, self.max_concurrency);
                set(
                    &mut http.max_response_bytes,
                    self.max_response_mib.map(|mib| mib << 20),
                );
                http.allow_insecure_key |= self.allow_insecure_key;
                if let Some(params) = self.params {
                    if !(params.is_finite() && params >= 1.0) {
                        bail!("--params {params}: give the parameter count, e.g. 7.6e9");
                    }
                    http.parameters = Some(params.round() as u64);
                }
            }
        }
        Ok(())
    }
}

/// How a report tests significance.
#[derive(Debug, Clone, Default, Args)]
pub struct StatsFlags {
    /// McNemar alternative: `two-sided` or `greater` (the planner beats re-ranking).
    #[arg(long)]
    pub alternative: Option<planbench_report::Alternative>,
    /// Which p decides: `none` (uncorrected) or `holm` (across the swept accuracies).
    #[arg(long)]
    pub correction: Option<planbench_report::Correction>,
    /// Significance level.
    #[arg(long)]
    pub alpha: Option<f64>,
}

impl StatsFlags {
    /// The settings: defaults, with every set flag applied, validated.
    pub fn to_spec(&self) -> Result<StatsSpec> {
        let mut stats = StatsSpec::default();
        set(&mut stats.alternative, self.alternative);
        set(&mut stats.correction, self.correction);
        set(&mut stats.alpha, self.alpha);
        stats.validate()?;
        Ok(stats)
    }
}

/// Every flag that shapes a run, and their conversion into a [`RunSpec`].
#[derive(Debug, Clone, Default, Args)]
pub struct SpecFlags {
    /// Start from this spec file (TOML); flags override its fields.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Start from a protocol's choices: `paper` (Chen et al.'s released code, every switch of
    /// `planbench protocol`) or `planbench`; the spec file's fields and the flags override it.
    #[arg(long)]
    pub protocol: Option<Protocol>,
    #[command(flatten)]
    pub task: TaskFlags,
    /// Planner: greedy, rerank, vote (self-consistency), weighted-vote, correct, tree (MC-ToT) or
    /// mcts (UCT).
    #[arg(long)]
    pub planner: Option<PlannerKind>,
    #[command(flatten)]
    pub planning: PlannerFlags,
    #[command(flatten)]
    pub discriminator: DiscriminatorFlags,
    #[command(flatten)]
    pub generator: GeneratorFlags,
    /// Run seed (sampling and the oracle's draws derive from it and each example's id).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Examples planned at once.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Set any spec field by its dotted path, e.g. `--set task.sql_steps=every-clause` or
    /// `--set planner.options.tree_ties=deepest` (repeatable; after every other flag).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set_fields: Vec<String>,
}

impl SpecFlags {
    /// The spec: the file's (or the default), with every set flag applied, validated.
    pub fn to_spec(&self) -> Result<RunSpec> {
        let mut spec = match &self.spec {
            Some(path) => planbench_experiment::spec_file::read_under(path, self.protocol)?,
            None => {
                let mut spec = RunSpec::default();
                if let Some(protocol) = self.protocol {
                    protocol.apply(&mut spec);
                }
                spec
            }
        };
        let kinds = |s: &RunSpec| {
            let oracle = matches!(s.discriminator, DiscriminatorSpec::Oracle(_));
            (s.task.kind(), oracle)
        };
        let before = kinds(&spec);
        self.apply(&mut spec)?;
        // A flag that changed the task or the discriminator kind dropped that section's
        // protocol values: set them again, then the flags again (they still win).
        let after = kinds(&spec);
        if after != before && !spec.protocol.is_planbench() {
            if after.0 != before.0 {
                spec.protocol.apply_where(&mut spec, "task.");
            }
            if after.1 != before.1 {
                spec.protocol.apply_where(&mut spec, "discriminator.");
            }
            self.apply(&mut spec)?;
        }
        spec.validate()
            .with_context(|| "the flags and spec file give an invalid run")?;
        Ok(spec)
    }

    /// Applies the flags that are set to `spec`.
    pub fn apply(&self, spec: &mut RunSpec) -> Result<()> {
        self.task.apply(spec)?;
        set(&mut spec.planner.kind, self.planner);
        self.planning.apply(spec);
        self.discriminator.apply(spec)?;
        self.generator.apply(&mut spec.generator)?;
        set(&mut spec.seed, self.seed);
        set(&mut spec.concurrency, self.concurrency);
        for assignment in &self.set_fields {
            let (field, value) = assignment
                .split_once('=')
                .with_context(|| format!("--set {assignment}: write FIELD=VALUE"))?;
            spec.set_field(field.trim(), value.trim())
                .with_context(|| format!("--set {assignment}"))?;
        }
        Ok(())
    }
}

/// Overwrites `field` when the flag is set.
fn set<T: Clone>(field: &mut T, flag: Option<T>) {
    if let Some(value) = flag {
        *field = value;
    }
}
