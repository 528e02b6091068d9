//! `planbench discriminate`: intrinsic evaluation of a discriminator on a candidate pool.

use anyhow::Result;
use clap::Args;
use planbench_experiment::{Discrimination, Engine};

use crate::args::{DataArgs, SpecFlags};

/// `planbench discriminate` options: the run flags choose the task, examples, models and the
/// discriminator; `--n`, `--temperature` and `--max-tokens` are the pool's sampling.
#[derive(Debug, Clone, Args)]
pub struct DiscriminateArgs {
    #[command(flatten)]
    pub spec: SpecFlags,
    #[command(flatten)]
    pub data: DataArgs,
    /// Pool id [default: derived from task, examples, generator, sampling and seed, so the
    /// same pool is reused by every discriminator].
    #[arg(long)]
    pub pool: Option<String>,
    /// Print the metrics as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `planbench discriminate`.
pub async fn execute(args: DiscriminateArgs) -> Result<()> {
    let spec = args.spec.to_spec()?;
    let engine = Engine::open(args.data.environment(), &args.data.results)?;
    let report = engine
        .discriminate(&spec, args.pool.as_deref(), true)
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

fn percent(value: Option<f64>) -> String {
    value.map_or("n/a".into(), |v| format!("{:.1}", 100.0 * v))
}

/// The report as a Markdown table.
fn table(r: &Discrimination) -> String {
    let m = &r.metrics;
    let mut out = format!(
        "pool {}: {} examples, {} candidates, {} mixed (correct, incorrect) pairs\n\
         discriminator: {}\n\n\
         | pairwise acc. (strict) | pairwise acc. (random ties) | macro-F1 | Hit@1 | MRR |\n\
         |---:|---:|---:|---:|---:|\n\
         | {} | {} | {:.1} | {} | {} |\n",
        r.pool,
        m.examples,
        m.candidates,
        m.mixed_pairs,
        r.discriminator,
        percent(m.pairwise_accuracy),
        percent(m.pairwise_accuracy_random_ties),
        100.0 * m.macro_f1,
        percent(m.hit_at_1),
        percent(m.mrr),
    );
    if let Some(p) = r.nominal_accuracy {
        out.push_str(&format!(
            "\noracle: nominal accuracy {:.1}%, measured per-candidate accuracy {:.1}%; \
             strict pairwise accuracy of independent flips is about P^2 = {:.1}% when both \
             candidates execute\n",
            100.0 * p,
            100.0 * r.measured_candidate_accuracy,
            100.0 * p * p
        ));
    }
    out
}
