//! `planbench cache`: inspect or empty the response cache.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use planbench_core::cache::ResponseCache;

/// `planbench cache` options.
#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    pub action: CacheAction,
    /// The cache file.
    #[arg(
        long,
        env = "PLANBENCH_CACHE",
        default_value = "results/cache.sqlite",
        global = true
    )]
    pub cache: PathBuf,
}

/// What to do with the cache.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CacheAction {
    /// Count the cached responses.
    Stats,
    /// Delete every cached response.
    Clear,
}

/// Runs `planbench cache`.
pub fn execute(args: CacheArgs) -> Result<()> {
    let cache = ResponseCache::open(&args.cache)?;
    match args.action {
        CacheAction::Stats => {
            let s = cache.stats()?;
            println!(
                "{}: {} entries ({} generations, {} answer-probability calls), {:.1} MB of responses",
                args.cache.display(),
                s.entries,
                s.generations,
                s.answer_probs,
                s.bytes as f64 / 1e6
            );
        }
        CacheAction::Clear => println!("removed {} entries", cache.clear()?),
    }
    Ok(())
}
