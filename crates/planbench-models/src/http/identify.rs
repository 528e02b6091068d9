//! What the servers say about the model they serve, for the generator's identity.
//!
//! Each replica is asked once, before the first request: its `GET /v1/models` entry for the
//! model (the entry whose `id` is the model name, or the only entry: llama-server lists one
//! model and serves it under any name), and the `system_fingerprint` of a 1-token probe
//! completion (llama-server: its build; OpenAI: its backend configuration). The description
//! keeps the fields that tell weights apart and drops those that change from one answer to
//! the next:
//!
//! - kept: `id`, `owned_by`, `root` and `parent` (vLLM), `meta` (llama-server: vocabulary,
//!   parameter count, file size, ...) without `meta.n_ctx` (the slot context, a server
//!   setting), `created` unless it is the current time (llama-server and vLLM report the time
//!   of the answer there), and `system_fingerprint`;
//! - dropped: everything else (`object`, `permission`, `aliases`, `status`, `max_model_len`, ...).
//!
//! Replicas must agree; unreachable ones are skipped while at least one answers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use planbench_core::{GenError, Prompt};
use serde_json::{Map, Value};

use super::config::HttpConfig;
use super::transport::{Failure, Transport};
use super::wire::{Body, Input, Response};

/// Longest wait for each identification request (the configured timeout if shorter).
const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(30);
/// A `created` this close to the local clock or to the probe's own `created` is taken to be
/// the time of the answer rather than of the model.
const VOLATILE_WINDOW_SECS: f64 = 24.0 * 3600.0;
/// Model ids quoted when the wanted one is not listed.
const MAX_LISTED: usize = 20;

/// What one replica said.
#[derive(Debug, Default)]
struct Said {
    /// The `/v1/models` entry, already reduced to the kept fields.
    entry: Option<Map<String, Value>>,
    fingerprint: Option<String>,
}

/// What the servers said, agreed by all replicas that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Description {
    /// Canonical JSON (sorted keys): `{"model": {...}, "system_fingerprint": "..."}`.
    pub text: String,
    /// The fingerprint alone, to watch later responses against.
    pub fingerprint: Option<String>,
    /// The parameter count the server reports (llama-server: `meta.n_params`).
    pub parameters: Option<u64>,
}

/// Describes the model behind the replicas of `config`, or `None` when no replica says
/// anything about it.
///
/// Blocks the calling thread: the requests run on a thread of their own with its own runtime,
/// so that this works both inside and outside an async runtime.
pub(crate) fn describe_blocking(config: &HttpConfig) -> Result<Option<Description>, GenError> {
    let mut config = config.clone();
    config.request_timeout = config.request_timeout.min(IDENTIFY_TIMEOUT);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                GenError::Backend(format!(
                    "http backend: no runtime to identify the model: {e}"
                ))
            })?;
        runtime.block_on(describe(&config))
    })
    .join()
    .map_err(|_| GenError::Backend("http backend: identifying the model panicked".into()))?
}

async fn describe(config: &HttpConfig) -> Result<Option<Description>, GenError> {
    let transport = Transport::new(config).map_err(GenError::Backend)?;
    let mut described: Vec<(String, Option<Description>)> = Vec::new();
    let mut unreachable = Vec::new();
    for index in 0..transport.replicas() {
        let base = transport.base(index).to_owned();
        match ask(&transport, index, config).await? {
            Ok(said) => described.push((base, canonical_description(said))),
            Err(failure) => {
                tracing::warn!("http backend: cannot identify the model at {base}: {failure}");
                unreachable.push(format!("{base}: {failure}"));
            }
        }
    }
    let Some((first_url, first)) = described.first() else {
        return Err(GenError::Backend(format!(
            "http backend: no replica answered to identify model {:?} (set identify_model = \
             false to go by its name only): {}",
            config.model,
            unreachable.join("; ")
        )));
    };
    if let Some((url, other)) = described.iter().find(|(_, d)| d != first) {
        return Err(GenError::InvalidRequest(format!(
            "http backend: the replicas serve different models under {:?}: {first_url} says {} \
             but {url} says {}",
            config.model,
            first.as_ref().map_or("nothing", |d| d.text.as_str()),
            other.as_ref().map_or("nothing", |d| d.text.as_str())
        )));
    }
    if first.is_none() {
        tracing::warn!(
            model = %config.model,
            "http backend: the server says nothing about its model; it is identified by name only"
        );
    }
    Ok(first.clone())
}

/// Asks replica `index`. The outer error ends the identification (the model is not listed);
/// the inner one means the replica could not be reached.
async fn ask(
    transport: &Transport,
    index: usize,
    config: &HttpConfig,
) -> Result<Result<Said, Failure>, GenError> {
    let mut said = Said::default();
    let mut probe_created = None;
    match transport.get_from::<Value>(index, "/v1/models").await {
        Ok(listing) => said.entry = pick_entry(&listing, &config.model)?,
        // No listing (404, 401, ...): the fingerprint may still tell something.
        Err(Failure::Rejected {
            status, message, ..
        }) => tracing::warn!(
            "http backend: {}/v1/models answered HTTP {status}: {message}",
            transport.base(index)
        ),
        Err(failure) => return Ok(Err(failure)),
    }
    let input = Input::new(config.endpoint, &Prompt::Text("Hello".into()), "")?;
    let probe = Body::one_token(&config.model, &input, None);
    match transport
        .post_to::<_, Response>(index, config.endpoint.path(), &probe)
        .await
    {
        Ok(response) => {
            said.fingerprint = response.fingerprint().map(str::to_owned);
            probe_created = response.created.as_ref().and_then(Value::as_f64);
        }
        Err(failure) => tracing::warn!(
            "http backend: the probe request to {} failed, so no system_fingerprint: {failure}",
            transport.base(index)
        ),
    }
    if let Some(entry) = &mut said.entry {
        drop_volatile_created(entry, probe_created);
    }
    Ok(Ok(said))
}

/// The entry of `listing` (a `/v1/models` answer) for `model`, reduced to the kept fields.
fn pick_entry(listing: &Value, model: &str) -> Result<Option<Map<String, Value>>, GenError> {
    let Some(entries) = listing.get("data").and_then(Value::as_array) else {
        return Ok(None);
    };
    let id = |e: &Value| e.get("id").and_then(Value::as_str).map(str::to_owned);
    let chosen = match entries.iter().find(|e| id(e).as_deref() == Some(model)) {
        Some(entry) => entry,
        None if entries.len() == 1 => &entries[0],
        None if entries.is_empty() => return Ok(None),
        None => {
            let ids: Vec<String> = entries.iter().filter_map(id).take(MAX_LISTED).collect();
            return Err(GenError::InvalidRequest(format!(
                "http backend: the server does not list model {model:?}; it lists {}",
                ids.join(", ")
            )));
        }
    };
    let Some(fields) = chosen.as_object() else {
        return Ok(None);
    };
    let mut kept: Map<String, Value> = ["id", "owned_by", "created", "root", "parent", "meta"]
        .into_iter()
        .filter_map(|k| Some((k.to_owned(), fields.get(k)?.clone())))
        .filter(|(_, v)| !v.is_null())
        .collect();
    if let Some(Value::Object(meta)) = kept.get_mut("meta") {
        meta.remove("n_ctx");
    }
    if let Some(Value::String(id)) = kept.get_mut("id") {
        *id = gguf_file_name(id).to_owned();
    }
    Ok(Some(kept))
}

/// The file name of a GGUF path (llama-server names its model by the path it was given, which
/// says where the file lies, not what it holds); other ids as they are (`org/model` names of
/// vLLM and OpenAI-style servers keep their `/`).
fn gguf_file_name(id: &str) -> &str {
    if id.to_ascii_lowercase().ends_with(".gguf") {
        id.rsplit(['/', '\\']).next().unwrap_or(id)
    } else {
        id
    }
}

/// Removes `created` when it is the time of the answer: within a day of the local clock or of
/// the probe response's own `created`.
fn drop_volatile_created(entry: &mut Map<String, Value>, probe_created: Option<f64>) {
    let Some(created) = entry.get("created").and_then(Value::as_f64) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let volatile = std::iter::once(now)
        .chain(probe_created)
        .any(|t| (t - created).abs() <= VOLATILE_WINDOW_SECS);
    if volatile {
        entry.remove("created");
    }
}

/// The description of what a replica said, or `None` if it said nothing.
fn canonical_description(said: Said) -> Option<Description> {
    let parameters = said
        .entry
        .as_ref()
        .and_then(|e| e.get("meta")?.get("n_params")?.as_u64());
    let mut description = Map::new();
    if let Some(entry) = said.entry.filter(|e| !e.is_empty()) {
        description.insert("model".into(), Value::Object(entry));
    }
    if let Some(fingerprint) = &said.fingerprint {
        description.insert(
            "system_fingerprint".into(),
            Value::String(fingerprint.clone()),
        );
    }
    (!description.is_empty()).then(|| Description {
        text: canonical(&Value::Object(description)),
        fingerprint: said.fingerprint,
        parameters,
    })
}

/// JSON text with object keys sorted at every level, whatever order the map keeps.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn picks_the_named_entry_or_the_only_one() {
        let listing = json!({"object": "list", "data": [
            {"id": "a", "object": "model", "owned_by": "x", "permission": [{"id": "p1"}]},
            {"id": "b", "object": "model", "owned_by": "y", "root": "/models/b", "max_model_len": 4096}
        ]});
        let b = pick_entry(&listing, "b").unwrap().unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"id": "b", "owned_by": "y", "root": "/models/b"})
        );
        assert!(matches!(
            pick_entry(&listing, "c"),
            Err(GenError::InvalidRequest(m)) if m.contains("\"c\"") && m.contains("a, b")
        ));
        let single = json!({"data": [{"id": "/home/me/models/file.gguf", "owned_by": "llamacpp",
            "meta": {"n_params": 494032768, "n_ctx": 2048, "size": 491400032}}]});
        let entry = pick_entry(&single, "any-name").unwrap().unwrap();
        assert_eq!(
            entry["meta"],
            json!({"n_params": 494032768, "size": 491400032})
        );
        assert_eq!(entry["id"], "file.gguf");
        assert_eq!(
            gguf_file_name("Qwen/Qwen2.5-Coder-0.5B-Instruct"),
            "Qwen/Qwen2.5-Coder-0.5B-Instruct"
        );
        assert_eq!(gguf_file_name(r"C:\models\m.GGUF"), "m.GGUF");
        assert!(pick_entry(&json!({"models": []}), "m").unwrap().is_none());
        assert!(pick_entry(&json!({"data": []}), "m").unwrap().is_none());
    }

    #[test]
    fn created_is_kept_only_when_it_is_not_the_answer_time() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let mut fresh = Map::from_iter([("created".to_string(), json!(now as i64))]);
        drop_volatile_created(&mut fresh, None);
        assert!(fresh.is_empty());
        // The server's clock is off by a year, but its probe answer shows the same time.
        let skewed = now - 365.0 * 86400.0;
        let mut entry = Map::from_iter([("created".to_string(), json!(skewed as i64))]);
        drop_volatile_created(&mut entry, Some(skewed + 1.0));
        assert!(entry.is_empty());
        let mut stable = Map::from_iter([("created".to_string(), json!(1_686_935_002))]);
        drop_volatile_created(&mut stable, Some(now));
        assert_eq!(stable["created"], 1_686_935_002);
    }

    #[test]
    fn descriptions_are_canonical() {
        let a = Said {
            entry: Some(Map::from_iter([
                ("owned_by".to_string(), json!("z")),
                (
                    "meta".to_string(),
                    json!({"b": 1, "a": [ {"y": 1, "x": 2} ]}),
                ),
            ])),
            fingerprint: Some("fp_1".into()),
        };
        assert_eq!(
            canonical_description(a).unwrap().text,
            r#"{"model":{"meta":{"a":[{"x":2,"y":1}],"b":1},"owned_by":"z"},"system_fingerprint":"fp_1"}"#
        );
        assert_eq!(canonical_description(Said::default()), None);
    }
}
