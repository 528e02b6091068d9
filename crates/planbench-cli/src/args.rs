//! Command-line options shared by several commands.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Where data and results live.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Directory holding `spider/` and `gsm8k/` (see datasets/README.md).
    #[arg(long, env = "PLANBENCH_DATA_DIR", default_value = "../shared/datasets")]
    pub data_dir: PathBuf,
    /// Directory of the results store (`planbench.sqlite`).
    #[arg(long, env = "PLANBENCH_RESULTS", default_value = "results")]
    pub results: PathBuf,
}

/// Which benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskName {
    Spider,
    Gsm8k,
}

/// Which task, split and examples.
#[derive(Debug, Clone, Args)]
pub struct TaskArgs {
    /// The benchmark.
    #[arg(long, value_enum)]
    pub task: TaskName,
    /// Split: `dev` or `train` for Spider, `test` or `train` for GSM8K [default: dev / test].
    #[arg(long)]
    pub split: Option<String>,
    /// Use the first N examples.
    #[arg(long, conflicts_with = "sample")]
    pub limit: Option<usize>,
    /// Use a reproducible random subset of N examples (see --sample-seed).
    #[arg(long)]
    pub sample: Option<usize>,
    /// Seed of --sample.
    #[arg(long, default_value_t = 0)]
    pub sample_seed: u64,
    /// Spider: execution-accuracy rule (`test-suite` as test-suite-sql-eval, or `bird`: set equality).
    #[arg(long, value_enum, default_value_t = MetricArg::TestSuite)]
    pub metric: MetricArg,
    /// GSM8K: answer format (`pot`: program of thought, `cot`: chain of thought with `####`).
    #[arg(long, value_enum, default_value_t = FormatArg::Pot)]
    pub format: FormatArg,
    /// Time limit in seconds for executing one candidate program.
    #[arg(long)]
    pub exec_timeout: Option<f64>,
    /// Spider: demonstrations in LLM-discriminator prompts (each a right and a wrong query).
    #[arg(long, default_value_t = 0)]
    pub disc_shots: usize,
}

/// Spider execution-accuracy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricArg {
    TestSuite,
    Bird,
}

/// GSM8K answer format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatArg {
    Pot,
    Cot,
}

/// Which model backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// A GGUF model in-process through llama.cpp.
    Local,
    /// An OpenAI-compatible HTTP endpoint.
    Http,
}

/// How to reach the generator model.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Model backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Local)]
    pub backend: BackendKind,
    /// Local backend: GGUF file [default: models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf].
    /// HTTP backend: the model name sent to the server.
    #[arg(long, env = "PLANBENCH_MODEL")]
    pub model: Option<String>,
    /// Local backend: CPU threads [default: all cores].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Local backend: context size in tokens.
    #[arg(long, default_value_t = 8192)]
    pub n_ctx: u32,
    /// HTTP backend: base URL of an OpenAI-compatible server; repeat for several replicas.
    #[arg(long = "base-url")]
    pub base_urls: Vec<String>,
    /// HTTP backend: environment variable holding the API key (never logged or stored)
    /// [default: OPENAI_API_KEY when it is set, else no key].
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// HTTP backend: `chat` (/v1/chat/completions) or `completions` (/v1/completions).
    #[arg(long, default_value = "chat")]
    pub endpoint: String,
    /// HTTP backend: most requests in flight.
    #[arg(long, default_value_t = 4)]
    pub max_concurrency: usize,
    /// Response cache file (SQLite; shareable between machines).
    #[arg(long, env = "PLANBENCH_CACHE", default_value = "results/cache.sqlite")]
    pub cache: PathBuf,
    /// Call the backend for every request instead of answering repeats from the cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl BackendArgs {
    /// The default model file, relative to the working directory.
    pub const DEFAULT_MODEL: &'static str = "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
}
