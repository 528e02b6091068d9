//! The worker that owns the llama.cpp model and context, and decodes every admitted request in
//! one batch per step (continuous batching).
//!
//! Each step builds one batch from: the next token of every running head (sampling, or the
//! prompt's last token of a head that just started), then chunks of the prompts still being
//! prefilled, up to [`BATCH`] tokens. New requests are admitted between steps. A new prompt
//! starts from the longest prefix any sequence in the cache holds (finished prompts stay
//! cached until evicted, least recently used first), and a prompt that shares a prefix with
//! one being prefilled waits for those cells rather than decoding them twice.
//!
//! Admission keeps room in the KV cache: the cells of running sequences plus the most every
//! admitted request may still add never exceed the context, so evicting idle sequences always
//! makes room for a step.
//!
//! In deterministic mode the engine serves one request at a time, keeps the last prompt only
//! and reuses it in whole [`CHUNK`]s, so that every result is a function of its request alone.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::mpsc;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;
use planbench_core::{GenError, Generation, Usage};

use super::cells::{common_prefix, Cells, SeqId};
use super::prompt::Prompter;
use super::task::{Kind, Request, Task};
use super::{Job, LlamaConfig, SEQUENCE_IDS};

/// Most tokens decoded in one step (llama.cpp's `n_batch` and `n_ubatch`).
const BATCH: usize = 512;

/// Deterministic mode: prompt tokens are decoded in chunks that start at multiples of this
/// many positions, and only whole chunks of the previous prompt are reused. Every reused KV
/// entry was therefore computed in the same batch layout as a fresh decode would compute it.
const CHUNK: usize = 64;

fn backend_err(context: &str, e: impl std::fmt::Display) -> GenError {
    GenError::Backend(format!("{context}: {e}"))
}

pub(super) struct Engine<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    prompter: Prompter<'m>,
    cells: Cells,
    batch: LlamaBatch<'static>,
    /// Admitted requests, oldest first.
    tasks: Vec<Task>,
    /// Received requests not admitted yet, oldest first.
    waiting: VecDeque<Request>,
    /// Most heads running at once.
    max_heads: usize,
    /// Most requests admitted at once: each holds a sequence id for its prompt, and
    /// `max_heads` ids stay for heads.
    max_tasks: usize,
    deterministic: bool,
}

/// The head whose logits a batch row carries.
struct Row {
    task: usize,
    head: usize,
    index: i32,
}

impl<'m> Engine<'m> {
    /// Loads the model, reports readiness (with the model's parameter count) on `ready`, then
    /// serves `queue` until it closes and the last request is answered.
    pub(super) fn run(
        backend: &LlamaBackend,
        config: &LlamaConfig,
        ready: mpsc::Sender<Result<u64, GenError>>,
        queue: mpsc::Receiver<Job>,
    ) {
        let params = LlamaModelParams::default().with_n_gpu_layers(config.n_gpu_layers);
        let model = match LlamaModel::load_from_file(backend, &config.model_path, &params) {
            Ok(model) => model,
            Err(e) => {
                let _ = ready.send(Err(backend_err(
                    &format!("cannot load model {}", config.model_path.display()),
                    e,
                )));
                return;
            }
        };
        let mut engine = match Engine::new(backend, &model, config) {
            Ok(engine) => engine,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(model.n_params()));
        loop {
            if engine.tasks.is_empty() && engine.waiting.is_empty() {
                match queue.recv() {
                    Ok(job) => engine.receive(job),
                    Err(_) => return,
                }
            }
            while let Ok(job) = queue.try_recv() {
                engine.receive(job);
            }
            engine.admit();
            if !engine.tasks.is_empty() {
                engine.step();
            }
        }
    }

    fn new(
        backend: &LlamaBackend,
        model: &'m LlamaModel,
        config: &LlamaConfig,
    ) -> Result<Self, GenError> {
        let threads = config
            .n_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let threads = i32::try_from(threads.max(1)).unwrap_or(i32::MAX);
        let max_heads = config.max_sequences;
        if max_heads == 0 || max_heads > SEQUENCE_IDS / 2 {
            return Err(GenError::InvalidRequest(format!(
                "max_sequences must be between 1 and {}",
                SEQUENCE_IDS / 2
            )));
        }
        let n_ctx = NonZeroU32::new(config.n_ctx)
            .ok_or_else(|| GenError::InvalidRequest("n_ctx must be positive".into()))?;
        let params = LlamaContextParams::default()
            .with_n_ctx(Some(n_ctx))
            .with_n_batch(BATCH as u32)
            .with_n_ubatch(BATCH as u32)
            .with_n_seq_max(SEQUENCE_IDS as u32)
            .with_kv_unified(true)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| backend_err("cannot create a llama context", e))?;
        let capacity = ctx.n_ctx() as usize;
        Ok(Self {
            model,
            ctx,
            prompter: Prompter::new(model),
            cells: Cells::new(capacity, SEQUENCE_IDS),
            batch: LlamaBatch::new(BATCH, 1),
            tasks: Vec::new(),
            waiting: VecDeque::new(),
            max_heads,
            max_tasks: SEQUENCE_IDS - max_heads,
            deterministic: config.deterministic,
        })
    }

    /// Tokenizes a job and queues it, or answers it at once (no work, or a bad request).
    fn receive(&mut self, job: Job) {
        let received = Instant::now();
        let capacity = self.cells.capacity();
        match job {
            Job::Generate(request, reply) => {
                if request.params.n == 0 {
                    let _ = reply.send(Ok(Generation {
                        completions: Vec::new(),
                        usage: Usage::default(),
                    }));
                    return;
                }
                let prepared = crate::params::check(&request.params)
                    .and_then(|()| {
                        self.prompter
                            .tokens(&request.prompt, &request.assistant_prefix)
                    })
                    .and_then(|tokens| {
                        let needed = tokens.len() + request.params.max_tokens as usize;
                        if needed > capacity {
                            return Err(GenError::ContextOverflow { needed, capacity });
                        }
                        Ok(tokens)
                    });
                match prepared {
                    Ok(tokens) => self.waiting.push_back(Request {
                        kind: Kind::generate(request.params, reply),
                        tokens,
                        received,
                    }),
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Job::AnswerProbs(request, reply) => {
                let prepared = self
                    .prompter
                    .tokens(&request.prompt, "")
                    .and_then(|tokens| {
                        if tokens.len() >= capacity {
                            return Err(GenError::ContextOverflow {
                                needed: tokens.len(),
                                capacity,
                            });
                        }
                        Ok(tokens)
                    });
                match prepared {
                    Ok(tokens) => {
                        let answers = self.prompter.answer_tokens(&request.answers);
                        self.waiting.push_back(Request {
                            kind: Kind::answer_probs(answers, reply),
                            tokens,
                            received,
                        });
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
        }
    }

    /// Admits waiting requests, oldest first, while they fit.
    fn admit(&mut self) {
        while let Some(request) = self.waiting.pop_front() {
            let full = if self.deterministic {
                !self.tasks.is_empty()
            } else {
                self.tasks.len() >= self.max_tasks
            };
            if full {
                self.waiting.push_front(request);
                return;
            }
            if let Err(request) = self.try_admit(request) {
                self.waiting.push_front(request);
                return;
            }
        }
    }

    /// Gives `request` a prompt sequence that starts from the longest cached prefix, if its
    /// cells fit beside those of the admitted requests; else hands it back.
    fn try_admit(&mut self, request: Request) -> Result<(), Request> {
        let limit = request.prefill_len();
        let source = self
            .cells
            .longest_prefix(&request.tokens, limit, -1, false)
            .map(|(seq, len)| {
                let len = if self.deterministic {
                    len / CHUNK * CHUNK
                } else {
                    len
                };
                (seq, len)
            })
            .filter(|&(_, len)| len > 0);
        if self.cells.ids_exhausted() {
            match self.cells.evict_lru(source.map(|(seq, _)| seq)) {
                Some(evicted) => self.forget(evicted),
                None => return Err(request),
            }
        }
        let Some(seq) = self.cells.acquire() else {
            return Err(request);
        };
        let reused = match source {
            Some((src, len)) => {
                self.fork(src, seq, len);
                len
            }
            None => 0,
        };
        let needed = (limit - reused) + request.cells_per_head();
        if self.cells.busy_cells() + self.reserved() + needed > self.cells.capacity() {
            self.cells.remove(seq);
            self.forget(seq);
            return Err(request);
        }
        self.tasks.push(request.into_task(seq, reused));
        Ok(())
    }

    /// Cells the admitted requests may still add: the rest of their prompts, what their
    /// running heads may add, and one more head for a request with none running.
    fn reserved(&self) -> usize {
        self.tasks
            .iter()
            .map(|task| {
                let per_head = task.request.cells_per_head();
                let prompt = task.request.prefill_len() - self.cells.len(task.prompt_seq);
                let live: usize = task
                    .heads
                    .iter()
                    .filter(|h| h.live())
                    .map(|h| h.cells_to_come(per_head))
                    .sum();
                let running = task.heads.iter().any(|h| h.live());
                let waiting = task.heads.iter().any(|h| h.pending());
                prompt + live + if waiting && !running { per_head } else { 0 }
            })
            .sum()
    }

    /// One decode step for every admitted request.
    fn step(&mut self) {
        self.drop_abandoned();
        if !self.deterministic {
            for t in 0..self.tasks.len() {
                self.catch_up(t);
            }
        }
        self.batch.clear();
        let mut rows = Vec::new();
        self.start_heads();
        if let Err(e) = self
            .feed_heads(&mut rows)
            .and_then(|()| self.prefill())
            .and_then(|()| self.decode())
        {
            self.fail_all(e);
            return;
        }
        for row in rows {
            self.tasks[row.task].take_logits(row.head, &self.ctx, self.model, row.index);
        }
        self.finish();
    }

    /// Starts pending heads of requests whose prompt is in place, as far as head slots,
    /// sequence ids and reserved cells allow.
    fn start_heads(&mut self) {
        let mut running: usize = self
            .tasks
            .iter()
            .map(|t| t.heads.iter().filter(|h| h.live()).count())
            .sum();
        for t in 0..self.tasks.len() {
            let (prompt_seq, prefill_len, per_head) = {
                let task = &self.tasks[t];
                (
                    task.prompt_seq,
                    task.request.prefill_len(),
                    task.request.cells_per_head(),
                )
            };
            if self.cells.len(prompt_seq) < prefill_len {
                continue;
            }
            for h in 0..self.tasks[t].heads.len() {
                if running >= self.max_heads {
                    return;
                }
                let task = &self.tasks[t];
                if !task.heads[h].pending() {
                    continue;
                }
                // The first head of a request was reserved at admission; others need room.
                let reserved_already = !task.heads.iter().any(|h| h.live());
                if !reserved_already
                    && self.cells.busy_cells() + self.reserved() + per_head > self.cells.capacity()
                {
                    break;
                }
                if self.cells.ids_exhausted() {
                    match self.cells.evict_lru(None) {
                        Some(evicted) => self.forget(evicted),
                        None => return,
                    }
                }
                let Some(seq) = self.cells.acquire() else {
                    return;
                };
                self.fork(prompt_seq, seq, prefill_len);
                let task = &mut self.tasks[t];
                let last = task.request.tokens[prefill_len];
                let head = &mut task.heads[h];
                head.seq = Some(seq);
                head.feed = Some(last);
                running += 1;
            }
        }
    }

    /// Adds the next token of every running head to the batch, with logits.
    fn feed_heads(&mut self, rows: &mut Vec<Row>) -> Result<(), GenError> {
        for t in 0..self.tasks.len() {
            let prefill_len = self.tasks[t].request.prefill_len();
            for h in 0..self.tasks[t].heads.len() {
                let head = &mut self.tasks[t].heads[h];
                let (Some(seq), Some(token)) = (head.seq, head.feed.take()) else {
                    continue;
                };
                let pos = prefill_len + head.fed;
                head.fed += 1;
                rows.push(Row {
                    task: t,
                    head: h,
                    index: self.batch.n_tokens(),
                });
                self.add(token, pos, seq, true)?;
            }
        }
        Ok(())
    }

    /// Adds prompt chunks of the requests still prefilling, oldest first, within the batch.
    fn prefill(&mut self) -> Result<(), GenError> {
        for t in 0..self.tasks.len() {
            let budget = BATCH.saturating_sub(self.batch.n_tokens() as usize);
            if budget == 0 {
                break;
            }
            let (seq, limit) = (
                self.tasks[t].prompt_seq,
                self.tasks[t].request.prefill_len(),
            );
            if !self.deterministic && self.waits_for_an_older_prompt(t) {
                continue;
            }
            let start = self.cells.len(seq);
            let mut end = limit.min(start + budget);
            if self.deterministic {
                end = end.min((start / CHUNK + 1) * CHUNK);
            }
            for pos in start..end {
                let token = self.tasks[t].request.tokens[pos];
                self.add(token, pos, seq, false)?;
            }
        }
        Ok(())
    }

    /// Lets request `t` take over the cells of a running sequence that holds more of its
    /// prompt than its own sequence does (another request decoded them meanwhile). Called at
    /// the start of a step, when every cell the bookkeeping knows has been decoded.
    fn catch_up(&mut self, t: usize) {
        let task = &self.tasks[t];
        let (seq, have) = (task.prompt_seq, self.cells.len(task.prompt_seq));
        let limit = task.request.prefill_len();
        if have >= limit {
            return;
        }
        if let Some((src, len)) = self
            .cells
            .longest_prefix(&task.request.tokens, limit, seq, true)
            .filter(|&(_, len)| len > have)
        {
            self.fork(src, seq, len);
            self.tasks[t].reused = len;
        }
    }

    /// Whether an older request is still prefilling a prefix that request `t` shares beyond
    /// what `t` holds: then `t` waits for those cells instead of decoding them again.
    fn waits_for_an_older_prompt(&self, t: usize) -> bool {
        let task = &self.tasks[t];
        let have = self.cells.len(task.prompt_seq);
        let mine = &task.request.tokens[..task.request.prefill_len()];
        self.tasks[..t].iter().any(|older| {
            let theirs = &older.request.tokens[..older.request.prefill_len()];
            let shared = common_prefix(mine, theirs);
            shared > have && self.cells.len(older.prompt_seq) < shared
        })
    }

    /// Adds one token of sequence `seq` at `pos` to the batch, making room in the cache.
    fn add(
        &mut self,
        token: LlamaToken,
        pos: usize,
        seq: SeqId,
        logits: bool,
    ) -> Result<(), GenError> {
        while self.cells.free() == 0 {
            match self.cells.evict_lru(None) {
                Some(evicted) => self.forget(evicted),
                None => break,
            }
        }
        self.cells.push(seq, token);
        let pos =
            i32::try_from(pos).map_err(|_| GenError::InvalidRequest("prompt too long".into()))?;
        self.batch
            .add(token, pos, &[seq], logits)
            .map_err(|e| backend_err("llama batch", e))
    }

    fn decode(&mut self) -> Result<(), GenError> {
        if self.batch.n_tokens() == 0 {
            return Ok(());
        }
        self.ctx
            .decode(&mut self.batch)
            .map_err(|e| backend_err("llama decode", e))
    }

    /// Makes llama.cpp's sequence `dst` hold the first `len` cells of `src`, as the
    /// bookkeeping does.
    fn fork(&mut self, src: SeqId, dst: SeqId, len: usize) {
        self.cells.fork(src, dst, len);
        let _ = self.ctx.clear_kv_cache_seq(Some(dst as u32), None, None);
        if len > 0 {
            let _ = self.ctx.copy_kv_cache_seq(src, dst, None, Some(len as u32));
        }
    }

    /// Removes sequence `seq` from llama.cpp (the bookkeeping already dropped it).
    fn forget(&mut self, seq: SeqId) {
        let _ = self.ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
    }

    /// Ends the sequences of finished heads and answers finished requests. A finished
    /// prompt stays cached (in deterministic mode: alone), and so does a finished completion
    /// outside deterministic mode.
    fn finish(&mut self) {
        let mut t = 0;
        while t < self.tasks.len() {
            let keep_heads =
                !self.deterministic && matches!(self.tasks[t].request.kind, Kind::Generate { .. });
            let done_seqs: Vec<SeqId> = self.tasks[t]
                .heads
                .iter_mut()
                .filter(|h| h.done)
                .filter_map(|h| h.seq.take())
                .collect();
            for seq in done_seqs {
                if keep_heads {
                    self.cells.release(seq);
                } else {
                    self.cells.remove(seq);
                    self.forget(seq);
                }
            }
            if self.tasks[t].finished() {
                let task = self.tasks.remove(t);
                self.cells.release(task.prompt_seq);
                if self.deterministic {
                    for seq in self.cells.idle() {
                        if seq != task.prompt_seq {
                            self.cells.remove(seq);
                            self.forget(seq);
                        }
                    }
                }
                task.reply();
            } else {
                t += 1;
            }
        }
    }

    /// Drops requests whose callers stopped waiting.
    fn drop_abandoned(&mut self) {
        let mut t = 0;
        while t < self.tasks.len() {
            if self.tasks[t].abandoned() {
                let task = self.tasks.remove(t);
                self.end(&task);
            } else {
                t += 1;
            }
        }
    }

    /// Frees the sequences of `task`, keeping its prompt cached.
    fn end(&mut self, task: &Task) {
        for seq in task.heads.iter().filter_map(|h| h.seq) {
            self.cells.remove(seq);
            self.forget(seq);
        }
        self.cells.release(task.prompt_seq);
    }

    /// Fails every admitted request after a decode error and starts over with an empty cache.
    fn fail_all(&mut self, error: GenError) {
        tracing::warn!("llama engine: {error}; failing the requests of this step");
        for task in std::mem::take(&mut self.tasks) {
            task.fail(GenError::Backend(error.to_string()));
        }
        self.ctx.clear_kv_cache();
        self.cells.clear();
    }
}
