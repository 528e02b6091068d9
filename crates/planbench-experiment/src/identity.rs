//! Canonical identities: what names a run, a pool or a study, so that the same spec resumes
//! the same stored work and a different one never mixes with it.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::assemble::Assembled;
use crate::spec::{GeneratorSpec, RunSpec};

/// A short, stable digest of a JSON value (10 hex digits).
pub fn digest(value: &Value) -> String {
    digest_bytes(value.to_string().as_bytes())
}

/// A short digest of raw bytes (10 hex digits).
pub fn digest_bytes(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..5])
}

/// The digest of a list of example ids.
pub fn examples_digest<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for id in ids {
        hash.update(id.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..5])
}

/// Everything that changes a run's results, in canonical form: the task with its own options,
/// the selected examples, the planner with only the knobs it reads, the discriminator and the
/// models as they describe themselves, sampling, budget, seed and the prompt templates.
/// Settings that cannot change results (threads, concurrency, replicas, paths) are left out.
pub fn run_identity(spec: &RunSpec, assembled: &Assembled) -> Value {
    let generator = match &spec.generator {
        GeneratorSpec::Local(local) if local.deterministic => {
            json!({ "backend": "local", "n_ctx": local.n_ctx, "deterministic": true })
        }
        GeneratorSpec::Local(local) => json!({ "backend": "local", "n_ctx": local.n_ctx }),
        GeneratorSpec::Http(http) => json!({ "backend": "http", "endpoint": http.endpoint }),
    };
    json!({
        "task": spec.task,
        "examples": examples_digest(assembled.examples.iter().map(|e| e.id.as_str())),
        "planner": spec.planner.kind,
        "planner_config": assembled.planner.config(),
        "discriminator": assembled.discriminator.describe(),
        "generator": assembled.generator.identity(),
        "backend": generator,
        "sampling": spec.sampling,
        "budget": spec.budget,
        "seed": spec.seed,
        "prompts": digest_bytes(assembled.task.prompt_templates().as_bytes()),
    })
}

/// The default run id: task, planner and the digest of the run's identity.
pub fn run_id(spec: &RunSpec, identity: &Value) -> String {
    format!(
        "{}-{}-{}",
        spec.task.kind(),
        spec.planner.kind,
        digest(identity)
    )
}
