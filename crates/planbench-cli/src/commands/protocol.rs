//! `planbench protocol`: every place planbench's protocol differs from the paper's.

use anyhow::Result;
use clap::Args;

/// `planbench protocol` options.
#[derive(Debug, Clone, Args)]
pub struct ProtocolArgs {}

/// Prints the table of protocol switches (Markdown).
pub fn execute(_args: ProtocolArgs) -> Result<()> {
    println!(
        "Every switch is a run-spec field; `--protocol paper` sets all of them to the paper's \
         value, and any field or flag you set still overrides it. See docs/protocol.md.\n"
    );
    print!("{}", planbench_experiment::protocol::table());
    Ok(())
}
