//! Builds the generator a command asked for.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use planbench_core::cache::{CachedGenerator, ResponseCache};
use planbench_core::Generator;
use planbench_models::http::{Endpoint, HttpConfig, HttpGenerator};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};

use crate::args::{BackendArgs, BackendKind};

/// Loads the local model or connects the HTTP backend, behind the response cache unless
/// `--no-cache`.
pub fn build_generator(args: &BackendArgs) -> Result<Arc<dyn Generator>> {
    let backend = build_backend(args)?;
    if args.no_cache {
        return Ok(backend);
    }
    let cache = ResponseCache::open(&args.cache)?;
    Ok(Arc::new(CachedGenerator::new(backend, Arc::new(cache))))
}

fn build_backend(args: &BackendArgs) -> Result<Arc<dyn Generator>> {
    match args.backend {
        BackendKind::Local => {
            let path = PathBuf::from(args.model.as_deref().unwrap_or(BackendArgs::DEFAULT_MODEL));
            let mut config = LlamaConfig::new(&path);
            config.n_threads = args.threads;
            config.n_ctx = args.n_ctx;
            tracing::info!(model = %path.display(), "loading local model");
            let generator = LlamaGenerator::load(config)
                .with_context(|| format!("loading local model {}", path.display()))?;
            Ok(Arc::new(generator))
        }
        BackendKind::Http => {
            if args.base_urls.is_empty() {
                bail!("--backend http needs at least one --base-url");
            }
            let model = args
                .model
                .clone()
                .context("--backend http needs --model NAME (the model name the server serves)")?;
            let mut config = HttpConfig::new(args.base_urls[0].clone(), model);
            config.base_urls = args.base_urls.clone();
            config.api_key_env = args.api_key_env.clone().or_else(|| {
                std::env::var_os("OPENAI_API_KEY").map(|_| "OPENAI_API_KEY".to_string())
            });
            config.max_concurrency = args.max_concurrency;
            config.endpoint = match args.endpoint.as_str() {
                "chat" => Endpoint::Chat,
                "completions" => Endpoint::Completions,
                other => bail!("--endpoint must be `chat` or `completions`, not `{other}`"),
            };
            Ok(Arc::new(HttpGenerator::new(config)?))
        }
    }
}
