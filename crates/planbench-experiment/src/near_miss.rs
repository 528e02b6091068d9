//! The paper's discrimination demonstrations (`disc_demos = "near-miss"`): for the training
//! questions closest to the run's examples, the generator's own wrong candidate is the "No"
//! query of the demonstration. The candidates are sampled like every call (so the response
//! cache replays them) and checked by execution.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use planbench_core::{Example, Generator, OracleRule, Task};
use planbench_planners::{sample_candidates, OracleDiscriminator, PlanContext};
use planbench_tasks::spider::{SpiderConfig, SpiderTask};

use crate::spec::RunSpec;
use crate::ExperimentError;

/// Training neighbours sampled per demonstration slot: the retriever keeps only training
/// questions that got a wrong candidate, so a few spares make a miss rare.
const NEIGHBOURS_PER_SHOT: usize = 2;

/// `config`'s task with near-miss demonstrations for `examples`: the generator samples the
/// closest training questions with the run's sampling settings and seed, and the first
/// candidate that is not correct becomes that question's wrong query.
pub(crate) async fn near_miss_task(
    config: SpiderConfig,
    sampler_task: Arc<dyn Task>,
    generator: Arc<dyn Generator>,
    spec: &RunSpec,
    examples: &[Example],
) -> Result<Arc<dyn Task>, ExperimentError> {
    let load_error = |source| ExperimentError::Task {
        task: "spider",
        source,
    };
    let shots = config.disc_shots.max(1);
    let task = SpiderTask::load(config).map_err(load_error)?;
    let mut neighbours: BTreeMap<String, Example> = BTreeMap::new();
    let mut seen = HashSet::new();
    for example in examples {
        for train in task.training_neighbours(example, shots * NEIGHBOURS_PER_SHOT) {
            if seen.insert(train.id.clone()) {
                neighbours.insert(train.id.clone(), train);
            }
        }
    }
    // The context only samples; the oracle is never asked.
    let ctx = PlanContext {
        task: sampler_task.clone(),
        generator,
        discriminator: Arc::new(OracleDiscriminator::new(
            sampler_task.clone(),
            1.0,
            OracleRule::Exact,
            spec.seed,
        )),
        sampling: spec.sampling,
        budget: Default::default(),
        seed: spec.seed,
    };
    tracing::info!(
        questions = neighbours.len(),
        "sampling the generator on training questions for near-miss demonstrations"
    );
    let mut wrong = std::collections::HashMap::new();
    for (id, train) in neighbours {
        let (programs, _) =
            sample_candidates(&ctx, &train)
                .await
                .map_err(|source| ExperimentError::Plan {
                    run_id: "near-miss demonstrations".into(),
                    example_id: id.clone(),
                    source,
                })?;
        let checker = sampler_task.clone();
        let miss = tokio::task::spawn_blocking(move || {
            programs
                .into_iter()
                .find(|program| !checker.is_correct(&train, program))
        })
        .await
        .map_err(|_| ExperimentError::Judge(id.clone()))?;
        if let Some(program) = miss {
            wrong.insert(id, program);
        }
    }
    tracing::info!(near_misses = wrong.len(), "near-miss demonstrations ready");
    Ok(Arc::new(task.with_near_misses(wrong).map_err(load_error)?))
}
