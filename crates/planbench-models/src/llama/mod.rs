//! A local GGUF model run in-process through llama.cpp.
//!
//! The llama.cpp context is not `Sync`, so one dedicated worker thread owns the model and its
//! context and serves requests from a queue; [`LlamaGenerator`] is the cheap, thread-safe handle.
//!
//! The worker batches continuously: the requests in its queue, generations and
//! answer-probability requests alike, decode together in one batch per step, and new ones join
//! between steps. Finished prompts (and completions) stay in the KV cache, shared as a prefix
//! tree, until evicted least recently used first; a request starts from the longest prefix
//! any of them holds, which makes a series of yes/no judgements of one question much cheaper
//! than the first. [`Usage::cached_prompt_tokens`](planbench_core::Usage) counts the prompt
//! tokens taken from the cache.
//!
//! **Determinism.** Batched, a result may differ from a serial run by llama.cpp's batch-layout
//! floating-point effects (the rows beside it, where its cells lie); greedy text and
//! answer probabilities stay within the tolerance the tests state. With
//! [`LlamaConfig::deterministic`] the worker serves one request at a time, keeps only the last
//! prompt and reuses it in whole 64-token chunks, so that each result depends on its request
//! only (bit for bit, on one machine and build).
//!
//! **Memory.** The KV cache holds `n_ctx` cells for all sequences together (unified):
//! 12 KiB per cell for Qwen2.5-0.5B (24 layers × 2 × 128 values × 2 bytes), 96 MiB at the
//! default 8192.

mod cells;
mod engine;
mod prompt;
mod task;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;

use async_trait::async_trait;
use llama_cpp_2::llama_backend::LlamaBackend;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, GenError, GenerateRequest, Generation, Generator,
};
use tokio::sync::oneshot;

use engine::Engine;

/// llama.cpp sequence ids of the context: prompts being decoded or cached, and heads.
const SEQUENCE_IDS: usize = 64;

/// How to load and run a local model.
#[derive(Debug, Clone)]
pub struct LlamaConfig {
    /// Path of the GGUF file.
    pub model_path: PathBuf,
    /// Context size in tokens (KV cells), shared by all sequences: the prompts and
    /// completions being decoded and the cached ones.
    pub n_ctx: u32,
    /// CPU threads; `None` uses every core.
    pub n_threads: Option<usize>,
    /// Most completions (and answer-probability reads) decoded at once, over all requests
    /// (1 to 32); the rest of a large `n` starts as others finish.
    pub max_sequences: usize,
    /// Layers to offload to a GPU (only with the `cuda` feature).
    pub n_gpu_layers: u32,
    /// Serve one request at a time and reuse only whole chunks of the last prompt, so that
    /// results are bit-exact whatever ran before or beside them (slower under concurrency).
    /// A run should record it with the backend (it may change results in the last digits).
    pub deterministic: bool,
}

impl LlamaConfig {
    /// Default settings for the model at `model_path`.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self {
            model_path: model_path.into(),
            n_ctx: 8192,
            n_threads: None,
            max_sequences: 16,
            n_gpu_layers: if cfg!(feature = "cuda") { 999 } else { 0 },
            deterministic: false,
        }
    }
}

/// The process-wide llama.cpp backend (it may be initialised once only).
fn backend() -> Result<&'static LlamaBackend, GenError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| GenError::Backend(format!("cannot initialise llama.cpp: {e}")))
}

enum Job {
    Generate(
        GenerateRequest,
        oneshot::Sender<Result<Generation, GenError>>,
    ),
    AnswerProbs(
        AnswerProbsRequest,
        oneshot::Sender<Result<AnswerProbs, GenError>>,
    ),
}

/// A [`Generator`] backed by a local GGUF model.
pub struct LlamaGenerator {
    identity: String,
    /// Parameter count from the GGUF file (llama.cpp's count of its tensors' elements).
    parameters: u64,
    jobs: mpsc::Sender<Job>,
}

impl LlamaGenerator {
    /// Loads the model and starts its worker thread.
    pub fn load(config: LlamaConfig) -> Result<Self, GenError> {
        let identity = model_identity(&config.model_path)?;
        let backend = backend()?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<u64, GenError>>();
        thread::Builder::new()
            .name("llama-worker".into())
            .spawn(move || Engine::run(backend, &config, ready_tx, queue))
            .map_err(|e| GenError::Backend(format!("cannot start the llama worker: {e}")))?;
        let parameters = ready_rx.recv().map_err(|_| GenError::WorkerGone)??;
        Ok(Self {
            identity,
            parameters,
            jobs,
        })
    }

    async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, GenError>>) -> Job,
    ) -> Result<T, GenError> {
        let (tx, rx) = oneshot::channel();
        self.jobs.send(job(tx)).map_err(|_| GenError::WorkerGone)?;
        rx.await.map_err(|_| GenError::WorkerGone)?
    }
}

/// `llama.cpp:<file name>:<size in bytes>`: names the model without hashing 0.5 GB on start-up.
fn model_identity(path: &Path) -> Result<String, GenError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        GenError::Backend(format!(
            "model file {}: {e} (run scripts/setup.sh to fetch the default model, or pass --model PATH)",
            path.display()
        ))
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(format!("llama.cpp:{name}:{}", meta.len()))
}

#[async_trait]
impl Generator for LlamaGenerator {
    fn identity(&self) -> String {
        self.identity.clone()
    }

    fn parameters(&self) -> Option<u64> {
        Some(self.parameters)
    }

    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
        let request = request.clone();
        self.submit(|tx| Job::Generate(request, tx)).await
    }

    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        let request = request.clone();
        self.submit(|tx| Job::AnswerProbs(request, tx)).await
    }
}
