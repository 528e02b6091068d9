//! Bookkeeping of the KV cache: the tokens each llama.cpp sequence holds, the KV cells that
//! sequences share, and which idle sequence to evict.
//!
//! A sequence made by copying a prefix of another shares that prefix's cells (llama.cpp's
//! unified cache adds the new sequence id to the same cells), and decoding a token appends a
//! cell of its own. The cells therefore form a prefix tree: a cell is one node, held by every
//! sequence whose prefix runs through it, and freed with the last of them. This module mirrors
//! that tree to know, without asking llama.cpp, how many cells are in use, how many belong to
//! sequences still at work (busy) and which idle sequences (finished prompts, kept as a cache)
//! free cells when evicted. It issues no llama.cpp calls itself.

use llama_cpp_2::token::LlamaToken;

/// A llama.cpp sequence id.
pub(super) type SeqId = i32;

/// A node of the prefix tree: one KV cell.
type Cell = u32;

/// One sequence's contents.
#[derive(Debug)]
struct Seq {
    /// The token at each position.
    tokens: Vec<LlamaToken>,
    /// The cell at each position.
    cells: Vec<Cell>,
    /// A task is using it; idle sequences are cached prompts and may be evicted.
    busy: bool,
    /// When it was last used, for LRU eviction.
    last_used: u64,
}

/// The sequences and cells of one llama.cpp context.
#[derive(Debug)]
pub(super) struct Cells {
    /// Indexed by sequence id; `None` marks a free id.
    seqs: Vec<Option<Seq>>,
    /// Sequences holding each cell.
    refs: Vec<u32>,
    /// Cell ids with no holder, for reuse.
    unheld: Vec<Cell>,
    /// Cells with at least one holder.
    used: usize,
    /// Cells of the context.
    capacity: usize,
    clock: u64,
}

impl Cells {
    /// Bookkeeping for a context of `capacity` cells and `sequences` sequence ids.
    pub(super) fn new(capacity: usize, sequences: usize) -> Self {
        Self {
            seqs: (0..sequences).map(|_| None).collect(),
            refs: Vec::new(),
            unheld: Vec::new(),
            used: 0,
            capacity,
            clock: 0,
        }
    }

    /// Cells of the context.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Cells without a holder.
    pub(super) fn free(&self) -> usize {
        self.capacity.saturating_sub(self.used)
    }

    /// Distinct cells held by busy sequences: what evicting every idle sequence cannot free.
    pub(super) fn busy_cells(&self) -> usize {
        let mut seen = vec![false; self.refs.len()];
        let mut count = 0;
        for seq in self.seqs.iter().flatten().filter(|s| s.busy) {
            for &cell in &seq.cells {
                if !std::mem::replace(&mut seen[cell as usize], true) {
                    count += 1;
                }
            }
        }
        count
    }

    /// Takes a free sequence id for a task (empty and busy), if there is one.
    pub(super) fn acquire(&mut self) -> Option<SeqId> {
        let id = self.seqs.iter().position(Option::is_none)?;
        self.seqs[id] = Some(Seq {
            tokens: Vec::new(),
            cells: Vec::new(),
            busy: true,
            last_used: self.tick(),
        });
        Some(id as SeqId)
    }

    /// Whether no sequence id is free.
    pub(super) fn ids_exhausted(&self) -> bool {
        self.seqs.iter().all(Option::is_some)
    }

    /// The sequence (other than `except`) that shares the longest prefix with `tokens`, up to
    /// `limit` tokens, and that length; busy sequences only when `busy_only`.
    pub(super) fn longest_prefix(
        &self,
        tokens: &[LlamaToken],
        limit: usize,
        except: SeqId,
        busy_only: bool,
    ) -> Option<(SeqId, usize)> {
        let tokens = &tokens[..limit.min(tokens.len())];
        self.seqs
            .iter()
            .enumerate()
            .filter(|&(id, _)| id as SeqId != except)
            .filter_map(|(id, seq)| Some((id as SeqId, seq.as_ref()?)))
            .filter(|(_, seq)| seq.busy || !busy_only)
            .map(|(id, seq)| (id, common_prefix(&seq.tokens, tokens)))
            .filter(|&(_, len)| len > 0)
            .max_by_key(|&(id, len)| (len, std::cmp::Reverse(id)))
    }

    /// Makes busy sequence `dst` hold the first `len` cells of `src` (and nothing else), as
    /// llama.cpp's `seq_rm(dst)` then `seq_cp(src, dst, 0, len)` do; `src` counts as used now.
    pub(super) fn fork(&mut self, src: SeqId, dst: SeqId, len: usize) {
        let (tokens, cells) = {
            let src = self.seq(src);
            (src.tokens[..len].to_vec(), src.cells[..len].to_vec())
        };
        self.truncate(dst, 0);
        for &cell in &cells {
            self.refs[cell as usize] += 1;
        }
        let now = self.tick();
        self.seq_mut(src).last_used = now;
        let dst = self.seq_mut(dst);
        dst.tokens = tokens;
        dst.cells = cells;
    }

    /// Drops the positions from `len` on of `seq`, as llama.cpp's `seq_rm(seq, len, -1)`.
    pub(super) fn truncate(&mut self, seq: SeqId, len: usize) {
        let seq = self.seq_mut(seq);
        let dropped: Vec<Cell> = seq.cells.drain(len.min(seq.cells.len())..).collect();
        seq.tokens.truncate(len);
        for cell in dropped {
            self.unhold(cell);
        }
    }

    /// Appends `token` at the next position of `seq` in a new cell (it is being decoded).
    pub(super) fn push(&mut self, seq: SeqId, token: LlamaToken) {
        let cell = match self.unheld.pop() {
            Some(cell) => cell,
            None => {
                self.refs.push(0);
                (self.refs.len() - 1) as Cell
            }
        };
        self.refs[cell as usize] = 1;
        self.used += 1;
        let seq = self.seq_mut(seq);
        seq.tokens.push(token);
        seq.cells.push(cell);
    }

    /// Positions held by `seq`.
    pub(super) fn len(&self, seq: SeqId) -> usize {
        self.seq(seq).tokens.len()
    }

    /// Marks `seq` idle: its prompt stays cached until evicted.
    pub(super) fn release(&mut self, seq: SeqId) {
        let now = self.tick();
        let seq = self.seq_mut(seq);
        seq.busy = false;
        seq.last_used = now;
    }

    /// Frees `seq` and its id (the caller removes it from llama.cpp).
    pub(super) fn remove(&mut self, seq: SeqId) {
        self.truncate(seq, 0);
        self.seqs[seq as usize] = None;
    }

    /// Removes the least recently used idle sequence and returns its id, if there is one
    /// other than `keep`.
    pub(super) fn evict_lru(&mut self, keep: Option<SeqId>) -> Option<SeqId> {
        let victim = self
            .seqs
            .iter()
            .enumerate()
            .filter(|&(id, _)| Some(id as SeqId) != keep)
            .filter_map(|(id, seq)| Some((id as SeqId, seq.as_ref()?)))
            .filter(|(_, seq)| !seq.busy)
            .min_by_key(|(_, seq)| seq.last_used)
            .map(|(id, _)| id)?;
        self.remove(victim);
        Some(victim)
    }

    /// Ids of the idle sequences.
    pub(super) fn idle(&self) -> Vec<SeqId> {
        self.seqs
            .iter()
            .enumerate()
            .filter(|(_, seq)| seq.as_ref().is_some_and(|s| !s.busy))
            .map(|(id, _)| id as SeqId)
            .collect()
    }

    /// Forgets everything (after llama.cpp's cache was cleared).
    pub(super) fn clear(&mut self) {
        *self = Self::new(self.capacity, self.seqs.len());
    }

    fn unhold(&mut self, cell: Cell) {
        let refs = &mut self.refs[cell as usize];
        *refs -= 1;
        if *refs == 0 {
            self.used -= 1;
            self.unheld.push(cell);
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn seq(&self, id: SeqId) -> &Seq {
        self.seqs[id as usize]
            .as_ref()
            .expect("the engine names held sequences only")
    }

    fn seq_mut(&mut self, id: SeqId) -> &mut Seq {
        self.seqs[id as usize]
            .as_mut()
            .expect("the engine names held sequences only")
    }
}

/// Length of the common prefix of two token lists.
pub(super) fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(ids: &[i32]) -> Vec<LlamaToken> {
        ids.iter().copied().map(LlamaToken).collect()
    }

    fn decode(cells: &mut Cells, seq: SeqId, ids: &[i32]) {
        for t in tokens(ids) {
            cells.push(seq, t);
        }
    }

    #[test]
    fn shared_prefixes_share_cells_and_free_with_the_last_holder() {
        let mut cells = Cells::new(100, 4);
        let a = cells.acquire().unwrap();
        decode(&mut cells, a, &[1, 2, 3, 4]);
        let b = cells.acquire().unwrap();
        assert_eq!(
            cells.longest_prefix(&tokens(&[1, 2, 3, 9]), 10, b, false),
            Some((a, 3))
        );
        cells.fork(a, b, 3);
        decode(&mut cells, b, &[9]);
        assert_eq!((cells.free(), cells.busy_cells()), (95, 5));
        cells.release(a);
        assert_eq!(cells.busy_cells(), 4, "b holds 3 shared cells and its own");
        assert_eq!(cells.evict_lru(None), Some(a));
        assert_eq!(cells.free(), 96, "only a's last cell was a's alone");
        cells.remove(b);
        assert_eq!(cells.free(), 100);
    }

    #[test]
    fn eviction_takes_the_least_recently_used_idle_sequence() {
        let mut cells = Cells::new(100, 3);
        let ids: Vec<SeqId> = (0..3).map(|_| cells.acquire().unwrap()).collect();
        assert!(cells.acquire().is_none() && cells.ids_exhausted());
        for (i, &id) in ids.iter().enumerate() {
            decode(&mut cells, id, &[i as i32 + 1; 2]);
            cells.release(id);
        }
        // Using the oldest as a fork source makes it recent.
        let spare = ids[1];
        cells.remove(spare);
        let c = cells.acquire().unwrap();
        cells.fork(ids[0], c, 1);
        assert_eq!(cells.evict_lru(Some(ids[2])), Some(ids[0]));
        assert_eq!(
            cells.evict_lru(Some(ids[2])),
            None,
            "busy and kept ones stay"
        );
        assert_eq!(cells.idle(), vec![ids[2]]);
        cells.truncate(c, 0);
        cells.clear();
        assert_eq!((cells.free(), cells.capacity()), (100, 100));
    }
}
