//! `planbench study`: a grid of runs from a study file, then its report.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use planbench_experiment::{spec_file, Protocol, RunOptions, Shard, StudySpec};

use crate::args::DataArgs;

/// `planbench study` options.
#[derive(Debug, Clone, Args)]
pub struct StudyArgs {
    /// The study file (TOML: `name`, `note`, `[base]` run spec, `[axes]`).
    pub file: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Run only shard I of K of every cell's examples (merge the shards with `planbench merge`).
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Resume cells made by another code revision (each records both) instead of refusing.
    #[arg(long)]
    pub allow_new_revision: bool,
    /// Start the base spec from a protocol's choices (`paper` or `planbench`), overriding the
    /// file's `protocol`; the fields the file sets still override it.
    #[arg(long)]
    pub protocol: Option<Protocol>,
    /// Examples planned at once [default: the study's base spec].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Where to write the report [default: results/reports/<study id>].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs `planbench study`.
pub async fn execute(args: StudyArgs) -> Result<()> {
    let mut study: StudySpec = spec_file::read_under(&args.file, args.protocol)?;
    if let Some(c) = args.concurrency {
        study.base.concurrency = c;
    }
    let options = RunOptions {
        shard: args.shard,
        progress: true,
        allow_new_revision: args.allow_new_revision,
        ..RunOptions::default()
    };
    crate::studies::run_and_report(study, &args.data, options, args.out).await
}
