//! `planbench discriminate`: intrinsic evaluation of a discriminator on a candidate pool.

use anyhow::Result;
use clap::Args;
use planbench_experiment::{reporting, Discrimination, Engine};

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
    /// Instead of a pool: the judge's accuracy by depth in the rollouts of this stored tree
    /// (MC-ToT) run.
    #[arg(long)]
    pub tree_run: Option<String>,
}

/// Runs `planbench discriminate`.
pub async fn execute(args: DiscriminateArgs) -> Result<()> {
    if let Some(run) = &args.tree_run {
        let engine = Engine::open(args.data.environment(), &args.data.results)?;
        let depths = reporting::judge_accuracy_by_depth(engine.store(), engine.loader(), run)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&depths)?);
        } else {
            println!("judge accuracy by depth in the rollouts of {run}\n");
            println!("| depth | judged rollouts | judged right | accuracy | correct rollouts |");
            println!("|---:|---:|---:|---:|---:|");
            for d in &depths {
                println!(
                    "| {} | {} | {} | {} | {} |",
                    d.depth,
                    d.judged,
                    d.right,
                    percent(d.accuracy()),
                    d.correct
                );
            }
        }
        return Ok(());
    }
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
    out.push_str(&format!(
        "\n| AUROC | ECE (10 bins) | TPR at {t} | FPR at {t} |\n|---:|---:|---:|---:|\n\
         | {} | {} | {} | {} |\n",
        m.auroc.map_or("n/a".into(), |v| format!("{v:.3}")),
        m.ece.map_or("n/a".into(), |v| format!("{v:.3}")),
        percent(m.true_positive_rate),
        percent(m.false_positive_rate),
        t = m.threshold,
    ));
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
