//! A content-addressed cache of generator responses in SQLite.
//!
//! The key is the SHA-256 of the backend's identity, the full request (prompt, prefix, every
//! sampling parameter including the seed and `n`) and [`PROMPT_RENDERING_VERSION`]. Sampling is
//! deterministic per (seed, request, sample index), so a cached response is exactly what the
//! backend would return; it comes back with its original usage marked `cached`, so efficiency
//! figures stay honest. A cache file can be copied between machines and shared.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::llm::{
    AnswerProbs, AnswerProbsRequest, GenError, GenerateRequest, Generation, Generator, Usage,
};

/// Bumped whenever planbench changes how prompts are rendered, so stale entries stop matching.
pub const PROMPT_RENDERING_VERSION: u32 = 1;

/// Entries and hit counts of a cache file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    pub entries: u64,
    pub generations: u64,
    pub answer_probs: u64,
    pub bytes: u64,
}

/// A response cache stored in one SQLite file.
pub struct ResponseCache {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn cache_err(path: &Path, e: impl std::fmt::Display) -> GenError {
    GenError::Backend(format!("response cache {}: {e}", path.display()))
}

impl ResponseCache {
    /// Opens (creating if needed) the cache file at `path`.
    pub fn open(path: &Path) -> Result<Self, GenError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| cache_err(path, e))?;
        }
        let conn = Connection::open(path).map_err(|e| cache_err(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| cache_err(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS responses (
                 key TEXT PRIMARY KEY,
                 kind TEXT NOT NULL,
                 response TEXT NOT NULL,
                 created_at REAL NOT NULL DEFAULT (unixepoch('subsec'))
             );",
        )
        .map_err(|e| cache_err(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, GenError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT response FROM responses WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| cache_err(&self.path, e))?;
        // An entry that no longer parses (an older format) is treated as a miss.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    fn put<T: Serialize>(&self, key: &str, kind: &str, value: &T) -> Result<(), GenError> {
        let text = serde_json::to_string(value).map_err(|e| cache_err(&self.path, e))?;
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO responses (key, kind, response) VALUES (?1, ?2, ?3)",
                params![key, kind, text],
            )
            .map_err(|e| cache_err(&self.path, e))?;
        Ok(())
    }

    /// Counts the entries of the cache.
    pub fn stats(&self) -> Result<CacheStats, GenError> {
        let conn = self.conn();
        let count = |kind: &str| -> Result<u64, GenError> {
            conn.query_row(
                "SELECT count(*) FROM responses WHERE kind = ?1",
                [kind],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| cache_err(&self.path, e))
        };
        let generations = count("generate")?;
        let answer_probs = count("answer_probs")?;
        let bytes: i64 = conn
            .query_row(
                "SELECT coalesce(sum(length(response)), 0) FROM responses",
                [],
                |r| r.get(0),
            )
            .map_err(|e| cache_err(&self.path, e))?;
        Ok(CacheStats {
            entries: generations + answer_probs,
            generations,
            answer_probs,
            bytes: bytes as u64,
        })
    }

    /// Adds the entries of the cache file at `source` that this cache lacks; returns how many.
    /// An entry both hold is kept as it is here: equal keys mean equal requests, and responses
    /// to one request differ only in timings.
    pub fn merge_from(&self, source: &Path) -> Result<u64, GenError> {
        let conn = self.conn();
        conn.execute("ATTACH DATABASE ?1 AS src", [source.to_string_lossy()])
            .map_err(|e| cache_err(source, e))?;
        let added = conn
            .execute(
                "INSERT OR IGNORE INTO main.responses (key, kind, response, created_at)
                 SELECT key, kind, response, created_at FROM src.responses",
                [],
            )
            .map_err(|e| cache_err(source, e));
        let _ = conn.execute_batch("DETACH DATABASE src");
        Ok(added? as u64)
    }

    /// Deletes every entry; returns how many there were.
    pub fn clear(&self) -> Result<u64, GenError> {
        let n = self
            .conn()
            .execute("DELETE FROM responses", [])
            .map_err(|e| cache_err(&self.path, e))?;
        self.conn()
            .execute_batch("VACUUM")
            .map_err(|e| cache_err(&self.path, e))?;
        Ok(n as u64)
    }
}

/// The cache key of a request to the backend named `identity`.
fn key(identity: &str, kind: &str, request: &impl Serialize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(PROMPT_RENDERING_VERSION.to_le_bytes());
    hasher.update(identity.as_bytes());
    hasher.update([0]);
    hasher.update(kind.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(request).expect("requests serialize"));
    hex::encode(hasher.finalize())
}

/// A [`Generator`] that answers from a [`ResponseCache`] when it can and fills it otherwise.
pub struct CachedGenerator {
    inner: Arc<dyn Generator>,
    cache: Arc<ResponseCache>,
    hits: AtomicU64,
    misses: AtomicU64,
    sample_pools: bool,
}

impl CachedGenerator {
    /// Wraps `inner` with `cache`.
    pub fn new(inner: Arc<dyn Generator>, cache: Arc<ResponseCache>) -> Self {
        Self {
            inner,
            cache,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            sample_pools: false,
        }
    }

    /// Also answers a request for k samples from a cached request for more samples that is
    /// otherwise the same (its first k). Only for a backend whose samples are seeded per
    /// index, so that the first k of N are exactly what k would give (planbench's local
    /// engine). Tokens and time of such an answer are the k/N share of the pool's, marked
    /// approximate. This is how one sample pool serves a whole `n` budget axis.
    pub fn with_sample_pools(mut self) -> Self {
        self.sample_pools = true;
        self
    }

    /// The first `k` samples of the largest cached pool of `request`'s kind, if it has them.
    fn first_of_pool(&self, pool_key: &str, k: usize) -> Result<Option<Generation>, GenError> {
        let Some(pool) = self.cache.get::<Generation>(pool_key)? else {
            return Ok(None);
        };
        let n = pool.completions.len();
        if n < k || n == 0 {
            return Ok(None);
        }
        let share = k as f64 / n as f64;
        let mut usage = pool.usage;
        usage.completion_tokens = (usage.completion_tokens as f64 * share).round() as u64;
        usage.seconds *= share;
        usage.approximate |= k < n;
        Ok(Some(Generation {
            completions: pool.completions.into_iter().take(k).collect(),
            usage,
        }))
    }

    /// Keeps `fresh` as the pool of its request kind when it is larger than the one stored.
    fn grow_pool(&self, pool_key: &str, fresh: &Generation) -> Result<(), GenError> {
        let stored = self.cache.get::<Generation>(pool_key)?;
        if stored.is_none_or(|s| s.completions.len() < fresh.completions.len()) {
            self.cache.put(pool_key, "generate-pool", fresh)?;
        }
        Ok(())
    }

    /// Calls answered from the cache and calls passed to the backend so far.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn hit(&self, usage: &mut Usage) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        usage.cached = true;
    }
}

#[async_trait]
impl Generator for CachedGenerator {
    fn identity(&self) -> String {
        self.inner.identity()
    }

    fn parameters(&self) -> Option<u64> {
        self.inner.parameters()
    }

    async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
        let identity = self.inner.identity();
        let key = key(&identity, "generate", request);
        if let Some(mut found) = self.cache.get::<Generation>(&key)? {
            self.hit(&mut found.usage);
            return Ok(found);
        }
        let pool_key = self.sample_pools.then(|| {
            let mut any_n = request.clone();
            any_n.params.n = 0;
            self::key(&identity, "generate-pool", &any_n)
        });
        if let Some(pool_key) = &pool_key {
            if let Some(mut found) = self.first_of_pool(pool_key, request.params.n)? {
                self.hit(&mut found.usage);
                return Ok(found);
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let fresh = self.inner.generate(request).await?;
        self.cache.put(&key, "generate", &fresh)?;
        if let Some(pool_key) = &pool_key {
            self.grow_pool(pool_key, &fresh)?;
        }
        Ok(fresh)
    }

    async fn answer_probs(&self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        let key = key(&self.inner.identity(), "answer_probs", request);
        if let Some(mut found) = self.cache.get::<AnswerProbs>(&key)? {
            self.hit(&mut found.usage);
            return Ok(found);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let fresh = self.inner.answer_probs(request).await?;
        self.cache.put(&key, "answer_probs", &fresh)?;
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Prompt, SamplingParams};
    use std::sync::atomic::AtomicUsize;

    /// A backend that numbers its calls, so a repeated answer proves a cache hit.
    struct Counting(AtomicUsize);

    #[async_trait]
    impl Generator for Counting {
        fn identity(&self) -> String {
            "counting".into()
        }
        fn parameters(&self) -> Option<u64> {
            Some(7)
        }
        async fn generate(&self, request: &GenerateRequest) -> Result<Generation, GenError> {
            let call = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Generation {
                completions: (0..request.params.n)
                    .map(|i| format!("call {call} sample {i} seed {}", request.params.seed))
                    .collect(),
                usage: Usage {
                    prompt_tokens: 10,
                    completion_tokens: 5,
                    seconds: 1.5,
                    ..Usage::default()
                },
            })
        }
        async fn answer_probs(&self, _: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
            let call = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AnswerProbs {
                probs: vec![call as f64, 0.0],
                usage: Usage::default(),
            })
        }
    }

    fn request(seed: u64) -> GenerateRequest {
        GenerateRequest {
            affinity: None,
            prompt: Prompt::Text("q".into()),
            assistant_prefix: String::new(),
            params: SamplingParams {
                n: 2,
                seed,
                ..SamplingParams::default()
            },
        }
    }

    #[tokio::test]
    async fn identical_requests_hit_and_keep_their_original_usage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(ResponseCache::open(&dir.path().join("c.sqlite")).unwrap());
        let inner = Arc::new(Counting(AtomicUsize::new(0)));
        let g = CachedGenerator::new(inner.clone(), cache.clone());
        assert_eq!(
            g.parameters(),
            Some(7),
            "FLOPs accounting sees through the cache"
        );
        let first = g.generate(&request(1)).await.unwrap();
        let again = g.generate(&request(1)).await.unwrap();
        assert_eq!(first.completions, again.completions);
        assert!(!first.usage.cached && again.usage.cached);
        assert_eq!(again.usage.seconds, 1.5);
        let other = g.generate(&request(2)).await.unwrap();
        assert_ne!(first.completions, other.completions);
        assert_eq!(inner.0.load(Ordering::SeqCst), 2);
        assert_eq!(g.hits_and_misses(), (1, 2));

        // A second process (a fresh wrapper on the same file) makes no backend call.
        let reopened = Arc::new(ResponseCache::open(&dir.path().join("c.sqlite")).unwrap());
        let g2 = CachedGenerator::new(inner.clone(), reopened.clone());
        g2.generate(&request(1)).await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 2);
        assert_eq!(reopened.stats().unwrap().generations, 2);
        assert_eq!(reopened.clear().unwrap(), 2);
        assert_eq!(reopened.stats().unwrap().entries, 0);
    }

    #[tokio::test]
    async fn a_pool_of_n_samples_answers_smaller_requests_only_when_enabled() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(ResponseCache::open(&dir.path().join("c.sqlite")).unwrap());
        let inner = Arc::new(Counting(AtomicUsize::new(0)));
        let with_n = |n: usize| GenerateRequest {
            params: SamplingParams {
                n,
                ..request(3).params
            },
            ..request(3)
        };
        let plain = CachedGenerator::new(inner.clone(), cache.clone());
        plain.generate(&with_n(4)).await.unwrap();
        plain.generate(&with_n(2)).await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 2, "no pools unless enabled");

        let pooled = CachedGenerator::new(inner.clone(), cache.clone()).with_sample_pools();
        let four = pooled.generate(&with_n(8)).await.unwrap();
        let two = pooled.generate(&with_n(3)).await.unwrap();
        assert_eq!(
            inner.0.load(Ordering::SeqCst),
            3,
            "3 of 8 come from the pool"
        );
        assert_eq!(two.completions, four.completions[..3]);
        assert!(two.usage.cached && two.usage.approximate);
        assert_eq!(two.usage.prompt_tokens, 10);
        assert_eq!(two.usage.completion_tokens, 2); // 5 × 3/8, rounded
                                                    // More than the pool holds goes to the backend, and grows the pool.
        pooled.generate(&with_n(16)).await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 4);
        pooled.generate(&with_n(12)).await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 4);
    }
}
