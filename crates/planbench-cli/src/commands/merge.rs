//! `planbench merge`: joins results files (the shards of a study) and response caches.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use planbench_core::cache::ResponseCache;
use planbench_experiment::store::ResultsStore;

/// `planbench merge` options.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Results files (`planbench.sqlite`) to merge.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The merged results file (created when missing; its own rows are kept).
    #[arg(long)]
    pub into: PathBuf,
    /// Response caches to merge into `--into-cache`.
    #[arg(long, num_args = 1.., requires = "into_cache")]
    pub caches: Vec<PathBuf>,
    /// The merged response cache.
    #[arg(long)]
    pub into_cache: Option<PathBuf>,
}

/// Runs `planbench merge`.
pub fn execute(args: MergeArgs) -> Result<()> {
    for input in args.inputs.iter().chain(&args.caches) {
        if !input.is_file() {
            bail!("{} is not a file", input.display());
        }
    }
    if let Some(parent) = args.into.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let store = ResultsStore::open_file(&args.into)?;
    for input in &args.inputs {
        let added = store.merge_from(input)?;
        println!(
            "{}: {} runs, {} examples, {} pool examples, {} study cells added",
            input.display(),
            added.runs,
            added.examples,
            added.pool_examples,
            added.study_cells
        );
    }
    if let Some(into) = &args.into_cache {
        let cache = ResponseCache::open(into)?;
        for input in &args.caches {
            let added = cache.merge_from(input)?;
            println!("{}: {added} responses added", input.display());
        }
    }
    println!("merged into {}", args.into.display());
    Ok(())
}
