//! A bounded memo of program executions: one execution per distinct program, shared by every
//! caller that asks for it (judges, tree pruning, correction feedback, the oracle, correctness).
//!
//! Entries are evicted least-recently-used when the memo holds more than its entry limit or its
//! byte limit; a single value heavier than the per-entry limit is handed to its callers but not
//! kept. Concurrent requests for the same key wait for the one execution in flight instead of
//! starting their own. Values a task does not want to keep (infrastructure failures that may
//! not recur) are handed back once and forgotten.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

/// What a memoized value says about itself.
pub(crate) trait MemoValue {
    /// Approximate heap bytes the value holds (for the memo's byte limit).
    fn weight(&self) -> usize;
    /// Whether the value may be reused for later requests of the same key.
    fn keep(&self) -> bool {
        true
    }
}

/// What a memo key says about itself.
pub(crate) trait MemoKey {
    /// Approximate heap bytes the key holds (counted with its value).
    fn weight(&self) -> usize;
}

impl MemoKey for String {
    fn weight(&self) -> usize {
        self.len()
    }
}

impl<A: MemoKey, B: MemoKey, C> MemoKey for (A, B, C) {
    fn weight(&self) -> usize {
        self.0.weight() + self.1.weight()
    }
}

/// How much a memo may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoLimits {
    /// Most entries kept.
    pub max_entries: usize,
    /// Most bytes (as estimated by the keys and values) kept in total.
    pub max_bytes: usize,
    /// Entries (key and value) heavier than this are not kept.
    pub max_entry_bytes: usize,
}

impl Default for MemoLimits {
    /// 4096 entries, 64 MiB in total, 8 MiB per entry.
    fn default() -> Self {
        Self {
            max_entries: 4096,
            max_bytes: 64 << 20,
            max_entry_bytes: 8 << 20,
        }
    }
}

/// Counters of a memo, for reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoStats {
    /// Requests answered (hits and executions together).
    pub requests: u64,
    /// Requests that ran the program (the rest were answered from the memo).
    pub executions: u64,
    /// Entries held now.
    pub entries: usize,
    /// Estimated bytes held now.
    pub bytes: usize,
}

type Cell<V> = Arc<OnceLock<Arc<V>>>;

struct Slot<V> {
    cell: Cell<V>,
    tick: u64,
    weight: usize,
}

struct Inner<K, V> {
    slots: HashMap<Arc<K>, Slot<V>>,
    /// Keys by last use, oldest first.
    order: BTreeMap<u64, Arc<K>>,
    next_tick: u64,
    bytes: usize,
    requests: u64,
    executions: u64,
}

/// A bounded, thread-safe memo from keys to shared values.
pub(crate) struct Memo<K, V> {
    limits: MemoLimits,
    inner: Mutex<Inner<K, V>>,
}

impl<K: Hash + Eq + MemoKey, V: MemoValue> Memo<K, V> {
    /// An empty memo.
    pub fn new(limits: MemoLimits) -> Self {
        Self {
            limits,
            inner: Mutex::new(Inner {
                slots: HashMap::new(),
                order: BTreeMap::new(),
                next_tick: 0,
                bytes: 0,
                requests: 0,
                executions: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of `key` when it is held and complete, without running anything (not counted
    /// as a request).
    pub fn peek<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        Arc<K>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut inner = self.lock();
        let cell = Arc::clone(&inner.slots.get(key)?.cell);
        let value = Arc::clone(cell.get()?);
        inner.touch(key);
        Some(value)
    }

    /// The value of `key`: the held one, the one another thread is computing, or `run()`'s.
    pub fn get_or_run(&self, key: K, run: impl FnOnce() -> V) -> Arc<V> {
        let (key, cell) = {
            let mut inner = self.lock();
            inner.requests += 1;
            if let Some(slot) = inner.slots.get(&key) {
                let cell = Arc::clone(&slot.cell);
                inner.touch(&key);
                drop(inner);
                return self.wait_or_run(&cell, run);
            }
            let key = Arc::new(key);
            let cell: Cell<V> = Arc::new(OnceLock::new());
            let tick = inner.tick();
            inner.order.insert(tick, Arc::clone(&key));
            inner.slots.insert(
                Arc::clone(&key),
                Slot {
                    cell: Arc::clone(&cell),
                    tick,
                    weight: 0,
                },
            );
            (key, cell)
        };
        let value = self.wait_or_run(&cell, run);
        self.settle(&key, &cell, &value);
        value
    }

    /// Waits for the value of `cell`, or computes it when no one else does.
    fn wait_or_run(&self, cell: &Cell<V>, run: impl FnOnce() -> V) -> Arc<V> {
        Arc::clone(cell.get_or_init(|| {
            self.lock().executions += 1;
            Arc::new(run())
        }))
    }

    /// Accounts for a freshly computed value: keeps it (evicting old entries) or forgets it.
    fn settle(&self, key: &Arc<K>, cell: &Cell<V>, value: &V) {
        let weight = key.weight() + value.weight();
        let mut inner = self.lock();
        let ours = inner
            .slots
            .get(&**key)
            .is_some_and(|slot| Arc::ptr_eq(&slot.cell, cell));
        if !ours {
            return;
        }
        if !value.keep() || weight > self.limits.max_entry_bytes {
            inner.remove(key);
            return;
        }
        if let Some(slot) = inner.slots.get_mut(&**key) {
            slot.weight = weight;
        }
        inner.bytes += weight;
        while inner.slots.len() > self.limits.max_entries || inner.bytes > self.limits.max_bytes {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            inner.remove(&oldest);
        }
    }

    /// The memo's counters.
    pub fn stats(&self) -> MemoStats {
        let inner = self.lock();
        MemoStats {
            requests: inner.requests,
            executions: inner.executions,
            entries: inner.slots.len(),
            bytes: inner.bytes,
        }
    }
}

impl<K: Hash + Eq, V> Inner<K, V> {
    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }

    /// Marks `key` as just used.
    fn touch<Q>(&mut self, key: &Q)
    where
        Arc<K>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let tick = self.tick();
        let Some(slot) = self.slots.get_mut(key) else {
            return;
        };
        let old = std::mem::replace(&mut slot.tick, tick);
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(tick, k);
        }
    }

    fn remove<Q>(&mut self, key: &Q)
    where
        Arc<K>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(slot) = self.slots.remove(key) {
            self.order.remove(&slot.tick);
            self.bytes -= slot.weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, PartialEq)]
    struct Blob(usize, bool);

    impl MemoKey for u32 {
        fn weight(&self) -> usize {
            0
        }
    }

    impl MemoValue for Blob {
        fn weight(&self) -> usize {
            self.0
        }
        fn keep(&self) -> bool {
            self.1
        }
    }

    fn limits(max_entries: usize, max_bytes: usize) -> MemoLimits {
        MemoLimits {
            max_entries,
            max_bytes,
            max_entry_bytes: 50,
        }
    }

    #[test]
    fn runs_once_per_key_and_evicts_least_recently_used() {
        let memo: Memo<String, Blob> = Memo::new(limits(2, 1000));
        let runs = AtomicUsize::new(0);
        let get = |k: &str| {
            memo.get_or_run(k.to_string(), || {
                runs.fetch_add(1, Ordering::SeqCst);
                Blob(10, true)
            })
        };
        get("a");
        get("a");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        get("b");
        get("a"); // a is now newer than b
        get("c"); // evicts b
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert!(memo.peek(&"a".to_string()).is_some());
        assert!(memo.peek(&"b".to_string()).is_none());
        get("a");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let stats = memo.stats();
        assert_eq!((stats.requests, stats.executions), (6, 3));
        assert_eq!((stats.entries, stats.bytes), (2, 22)); // values and one-byte keys
    }

    #[test]
    fn byte_limits_and_unkept_values() {
        let memo: Memo<u32, Blob> = Memo::new(limits(100, 60));
        memo.get_or_run(1, || Blob(40, true));
        memo.get_or_run(2, || Blob(40, true)); // over 60 bytes: 1 goes
        assert!(memo.peek(&1).is_none() && memo.peek(&2).is_some());
        memo.get_or_run(3, || Blob(51, true)); // heavier than one entry may be
        assert!(memo.peek(&3).is_none());
        assert_eq!(*memo.get_or_run(4, || Blob(1, false)), Blob(1, false));
        assert!(memo.peek(&4).is_none());
        assert_eq!(memo.stats().bytes, 40);
    }

    #[test]
    fn concurrent_requests_share_one_execution() {
        let memo: Memo<u32, Blob> = Memo::new(MemoLimits::default());
        let runs = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    memo.get_or_run(7, || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Blob(1, true)
                    })
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
