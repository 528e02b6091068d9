//! Builds what a spec names: the task and its examples, the generator, the discriminator and
//! the planner. Loaded tasks and models are kept, so a study loads each of them once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use planbench_core::cache::{CachedGenerator, ResponseCache};
use planbench_core::{Discriminator, Example, Generator, Task};
use planbench_models::http::{HttpConfig, HttpGenerator};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};
use planbench_planners::{
    build_planner, LlmDiscriminator, OracleConfigError, OracleDiscriminator, Planner,
};
use planbench_tasks::{gsm8k, spider};

use crate::select::choose;
use crate::spec::{DiscriminatorSpec, GeneratorSpec, RunSpec, TaskSpec};
use crate::ExperimentError;

/// Where data and the response cache live (not part of any run's identity).
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Directory holding `spider/` and `gsm8k/`.
    pub data_dir: PathBuf,
    /// The response cache file; `None` sends every call to the backend.
    pub cache: Option<PathBuf>,
}

/// A loaded task and every example of its split.
#[derive(Clone)]
pub struct LoadedTask {
    pub task: Arc<dyn Task>,
    pub examples: Arc<Vec<Example>>,
}

/// Everything a run needs, built from its spec.
pub struct Assembled {
    pub task: Arc<dyn Task>,
    /// The run's whole selection, before any sharding.
    pub examples: Vec<Example>,
    pub generator: Arc<dyn Generator>,
    pub discriminator: Arc<dyn Discriminator>,
    pub planner: Arc<dyn Planner>,
}

/// Loads tasks and models on demand and keeps them for later specs.
pub struct Loader {
    env: Environment,
    tasks: Mutex<HashMap<String, LoadedTask>>,
    generators: Mutex<HashMap<String, Arc<dyn Generator>>>,
    cache: Mutex<Option<Arc<ResponseCache>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Loader {
    /// A loader that reads data and caches responses as `env` says.
    pub fn new(env: Environment) -> Self {
        Self {
            env,
            tasks: Mutex::default(),
            generators: Mutex::default(),
            cache: Mutex::default(),
        }
    }

    /// The environment it loads from.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// The task of `spec` with every example of its split (loaded once per distinct spec).
    pub fn task(&self, spec: &TaskSpec) -> Result<LoadedTask, ExperimentError> {
        let key = serde_json::to_string(spec).expect("task specs serialize");
        if let Some(hit) = lock(&self.tasks).get(&key) {
            return Ok(hit.clone());
        }
        let data_dir = self.env.data_dir.clone();
        let loaded = match spec {
            TaskSpec::Spider(s) => {
                let task = spider::SpiderTask::load(spider_config(s, data_dir));
                loaded(spec, task, spider::SpiderTask::examples)?
            }
            TaskSpec::Gsm8k(g) => {
                let mut config = gsm8k::Gsm8kConfig::new(data_dir);
                config.split = g.split;
                config.format = g.format;
                config.timeout = Duration::from_secs_f64(g.exec_timeout);
                config.error_text = g.error_text;
                config.correction_feedback = g.correction_feedback;
                config.python_scope = g.python_scope;
                config.python_imports = g.python_imports;
                config.completeness = g.completeness;
                let task = gsm8k::Gsm8kTask::load(config);
                loaded(spec, task, gsm8k::Gsm8kTask::examples)?
            }
        };
        lock(&self.tasks).insert(key, loaded.clone());
        Ok(loaded)
    }

    /// Serves `spec` with `loaded` from now on: a custom task, or a wrapped one in tests.
    pub fn register_task(&self, spec: &TaskSpec, loaded: LoadedTask) {
        let key = serde_json::to_string(spec).expect("task specs serialize");
        lock(&self.tasks).insert(key, loaded);
    }

    /// The generator of `spec`, behind the response cache unless the environment has none.
    pub fn generator(&self, spec: &GeneratorSpec) -> Result<Arc<dyn Generator>, ExperimentError> {
        let key = serde_json::to_string(spec).expect("generator specs serialize");
        if let Some(hit) = lock(&self.generators).get(&key) {
            return Ok(hit.clone());
        }
        let backend = backend(spec)?;
        let generator: Arc<dyn Generator> = match self.response_cache()? {
            // The local engine seeds each sample by its index: one pool serves every n.
            Some(cache) if matches!(spec, GeneratorSpec::Local(_)) => {
                Arc::new(CachedGenerator::new(backend, cache).with_sample_pools())
            }
            Some(cache) => Arc::new(CachedGenerator::new(backend, cache)),
            None => backend,
        };
        lock(&self.generators).insert(key, generator.clone());
        Ok(generator)
    }

    /// Serves `spec` with `generator` from now on (behind the response cache, as a loaded
    /// one): a custom backend, or a wrapped one in tests.
    pub fn register_generator(
        &self,
        spec: &GeneratorSpec,
        generator: Arc<dyn Generator>,
    ) -> Result<(), ExperimentError> {
        let key = serde_json::to_string(spec).expect("generator specs serialize");
        let generator: Arc<dyn Generator> = match self.response_cache()? {
            Some(cache) => Arc::new(CachedGenerator::new(generator, cache)),
            None => generator,
        };
        lock(&self.generators).insert(key, generator);
        Ok(())
    }

    fn response_cache(&self) -> Result<Option<Arc<ResponseCache>>, ExperimentError> {
        let Some(path) = &self.env.cache else {
            return Ok(None);
        };
        let mut slot = lock(&self.cache);
        if slot.is_none() {
            let cache = ResponseCache::open(path).map_err(ExperimentError::Cache)?;
            *slot = Some(Arc::new(cache));
        }
        Ok(slot.clone())
    }

    /// Builds the run of `spec`: validates it, loads what it names and selects its examples
    /// (and, for the paper's near-miss demonstrations, samples them).
    pub async fn assemble(&self, spec: &RunSpec) -> Result<Assembled, ExperimentError> {
        spec.validate()?;
        let loaded = self.task(&spec.task)?;
        let examples = choose(&loaded.examples, &spec.selection)?;
        if examples.is_empty() {
            return Err(ExperimentError::NoExamples(format!(
                "{} {} has {} examples; selection {:?}",
                spec.task.kind(),
                spec.task.split_name(),
                loaded.examples.len(),
                spec.selection
            )));
        }
        let generator = self.generator(&spec.generator)?;
        let loaded = match (&spec.task, &spec.discriminator) {
            (TaskSpec::Spider(s), DiscriminatorSpec::Llm { .. })
                if s.disc_shots > 0 && s.disc_demos == spider::DiscDemos::NearMiss =>
            {
                let config = spider_config(s, self.env.data_dir.clone());
                let task = crate::near_miss::near_miss_task(
                    config,
                    loaded.task.clone(),
                    generator.clone(),
                    spec,
                    &examples,
                )
                .await?;
                LoadedTask { task, ..loaded }
            }
            _ => loaded,
        };
        let discriminator: Arc<dyn Discriminator> = match &spec.discriminator {
            DiscriminatorSpec::Oracle(o) => {
                let invalid = |e: OracleConfigError| ExperimentError::InvalidSpec {
                    field: "discriminator".into(),
                    reason: e.to_string(),
                };
                let config = o.config().map_err(invalid)?;
                let oracle =
                    OracleDiscriminator::with_config(loaded.task.clone(), config, spec.seed);
                Arc::new(oracle.map_err(invalid)?)
            }
            DiscriminatorSpec::Llm {
                variant,
                model,
                score,
            } => {
                let judge = match model {
                    Some(model) => self.generator(&judge_spec(&spec.generator, model))?,
                    None => generator.clone(),
                };
                Arc::new(
                    LlmDiscriminator::new(loaded.task.clone(), judge, *variant).with_score(*score),
                )
            }
        };
        Ok(Assembled {
            task: loaded.task,
            examples,
            generator,
            discriminator,
            planner: Arc::from(build_planner(spec.planner.kind, &spec.planner.options)),
        })
    }
}

/// The tasks crate's configuration of Spider spec `s`.
fn spider_config(s: &crate::spec::SpiderSpec, data_dir: PathBuf) -> spider::SpiderConfig {
    spider::SpiderConfig {
        data_dir,
        split: s.split,
        metric: s.metric,
        disc_shots: s.disc_shots,
        disc_demos: s.disc_demos,
        timeout: Duration::from_secs_f64(s.exec_timeout),
        error_text: s.error_text,
        correction_feedback: s.correction_feedback,
        sql_steps: s.sql_steps,
        scored_program: s.scored_program,
        ..spider::SpiderConfig::default()
    }
}

/// A freshly loaded task with its examples, or the error naming the task.
fn loaded<T: Task + 'static>(
    spec: &TaskSpec,
    task: Result<T, planbench_core::TaskError>,
    examples: fn(&T) -> &[Example],
) -> Result<LoadedTask, ExperimentError> {
    let task = task.map_err(|source| ExperimentError::Task {
        task: spec.kind().as_str(),
        source,
    })?;
    let examples = Arc::new(examples(&task).to_vec());
    Ok(LoadedTask {
        task: Arc::new(task),
        examples,
    })
}

/// The generator spec of a judge model: the generator's backend with another model.
fn judge_spec(generator: &GeneratorSpec, model: &str) -> GeneratorSpec {
    match generator {
        GeneratorSpec::Local(local) => {
            let mut judge = local.clone();
            judge.model = PathBuf::from(model);
            GeneratorSpec::Local(judge)
        }
        GeneratorSpec::Http(http) => {
            let mut judge = http.clone();
            judge.model = model.to_string();
            GeneratorSpec::Http(judge)
        }
    }
}

fn backend(spec: &GeneratorSpec) -> Result<Arc<dyn Generator>, ExperimentError> {
    match spec {
        GeneratorSpec::Local(local) => {
            let mut config = LlamaConfig::new(&local.model);
            config.n_threads = local.threads;
            config.n_ctx = local.n_ctx;
            config.deterministic = local.deterministic;
            config.max_sequences = local.max_sequences;
            tracing::info!(model = %local.model.display(), "loading local model");
            let generator =
                LlamaGenerator::load(config).map_err(|source| ExperimentError::Model {
                    model: local.model.display().to_string(),
                    source,
                })?;
            Ok(Arc::new(generator))
        }
        GeneratorSpec::Http(http) => {
            let mut config = HttpConfig::new(
                http.base_urls.first().cloned().unwrap_or_default(),
                http.model.clone(),
            );
            config.base_urls = http.base_urls.clone();
            config.api_key_env = http.api_key_env.clone();
            config.max_concurrency = http.max_concurrency;
            config.endpoint = http.endpoint;
            config.max_response_bytes = http.max_response_bytes;
            config.allow_insecure_key = http.allow_insecure_key;
            config.parameters = http.parameters;
            config.affinity_slack = http.affinity_slack;
            let generator =
                HttpGenerator::new(config).map_err(|source| ExperimentError::Model {
                    model: http.model.clone(),
                    source,
                })?;
            Ok(Arc::new(generator))
        }
    }
}
