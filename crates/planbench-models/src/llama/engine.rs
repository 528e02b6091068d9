//! The worker that owns the llama.cpp model and context.

use std::num::NonZeroU32;
use std::sync::mpsc;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use planbench_core::{
    AnswerProbs, AnswerProbsRequest, GenError, GenerateRequest, Generation, Prompt, SamplingParams,
    Usage,
};

use super::{Job, LlamaConfig};

/// Prompt tokens are decoded in chunks that start at multiples of this many positions, and only
/// whole chunks of a previous prompt are reused. Every reused KV entry was therefore computed
/// in the same batch layout as a fresh decode would compute it, so results do not depend on
/// which prompt came before.
const CHUNK: usize = 64;

/// Sequence 0 holds the prompt; samples run on sequences 1..=max_sequences.
const PROMPT_SEQ: i32 = 0;

pub(super) struct Engine<'m> {
    model: &'m LlamaModel,
    ctx: LlamaContext<'m>,
    template: Option<LlamaChatTemplate>,
    /// Prompt tokens whose KV entries sequence 0 holds.
    cached: Vec<LlamaToken>,
    batch: LlamaBatch<'static>,
    max_sequences: usize,
    n_ctx: usize,
}

fn backend_err(context: &str, e: impl std::fmt::Display) -> GenError {
    GenError::Backend(format!("{context}: {e}"))
}

impl<'m> Engine<'m> {
    /// Loads the model, reports readiness (with the model's parameter count) on `ready`, then
    /// serves `queue` until it closes.
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
        while let Ok(job) = queue.recv() {
            match job {
                Job::Generate(request, reply) => {
                    let _ = reply.send(engine.generate(&request));
                }
                Job::AnswerProbs(request, reply) => {
                    let _ = reply.send(engine.answer_probs(&request));
                }
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
        let max_sequences = config.max_sequences.max(1);
        let seq_max = u32::try_from(max_sequences + 1)
            .map_err(|_| GenError::InvalidRequest("max_sequences is too large".into()))?;
        let n_ctx = NonZeroU32::new(config.n_ctx)
            .ok_or_else(|| GenError::InvalidRequest("n_ctx must be positive".into()))?;
        let params = LlamaContextParams::default()
            .with_n_ctx(Some(n_ctx))
            .with_n_batch(512)
            .with_n_ubatch(512)
            .with_n_seq_max(seq_max)
            .with_kv_unified(true)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| backend_err("cannot create a llama context", e))?;
        Ok(Self {
            model,
            ctx,
            template: model.chat_template(None).ok(),
            cached: Vec::new(),
            batch: LlamaBatch::new(CHUNK.max(max_sequences), 1),
            max_sequences,
            n_ctx: config.n_ctx as usize,
        })
    }

    /// The prompt as text: chat messages through the model's chat template, then the prefix.
    fn render(&self, prompt: &Prompt, assistant_prefix: &str) -> Result<String, GenError> {
        let mut text = match prompt {
            Prompt::Text(text) => text.clone(),
            Prompt::Chat(messages) => {
                let template = self.template.as_ref().ok_or_else(|| {
                    GenError::InvalidRequest(
                        "the model has no chat template; send a text prompt".into(),
                    )
                })?;
                let messages = messages
                    .iter()
                    .map(|m| {
                        LlamaChatMessage::new(m.role.as_str().into(), m.content.clone())
                            .map_err(|e| GenError::InvalidRequest(format!("chat message: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.model
                    .apply_chat_template(template, &messages, true)
                    .map_err(|e| backend_err("chat template", e))?
            }
        };
        text.push_str(assistant_prefix);
        Ok(text)
    }

    fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        if vocab.should_add_bos() {
            let bos = vocab.token_to_piece(vocab.bos(), true, None);
            if !text.as_bytes().starts_with(&bos) {
                tokens.push(vocab.bos());
            }
        }
        tokens.extend(vocab.tokenize(text.as_bytes(), false, true));
        tokens
    }

    fn decode(&mut self) -> Result<(), GenError> {
        self.ctx
            .decode(&mut self.batch)
            .map_err(|e| backend_err("llama decode", e))
    }

    fn add(
        &mut self,
        token: LlamaToken,
        pos: usize,
        seq: i32,
        logits: bool,
    ) -> Result<(), GenError> {
        let pos =
            i32::try_from(pos).map_err(|_| GenError::InvalidRequest("prompt too long".into()))?;
        self.batch
            .add(token, pos, &[seq], logits)
            .map_err(|e| backend_err("llama batch", e))
    }

    /// Makes sequence 0 hold `tokens`, reusing whole chunks of the previous prompt, and decodes
    /// the last token on its own so that its logits sit at batch index 0.
    fn prime(&mut self, tokens: &[LlamaToken]) -> Result<(), GenError> {
        let len = tokens.len();
        if len == 0 {
            return Err(GenError::InvalidRequest("empty prompt".into()));
        }
        if len >= self.n_ctx {
            return Err(GenError::ContextOverflow {
                needed: len,
                capacity: self.n_ctx,
            });
        }
        self.clear_samples()?;
        let common = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();
        let keep = (common.min(len - 1) / CHUNK) * CHUNK;
        self.cached.clear();
        self.ctx
            .clear_kv_cache_seq(Some(PROMPT_SEQ as u32), Some(keep as u32), None)
            .map_err(|e| backend_err("kv cache", e))?;
        let mut pos = keep;
        while pos < len - 1 {
            let end = ((pos / CHUNK + 1) * CHUNK).min(len - 1);
            self.batch.clear();
            for (p, &token) in tokens.iter().enumerate().take(end).skip(pos) {
                self.add(token, p, PROMPT_SEQ, false)?;
            }
            self.decode()?;
            pos = end;
        }
        self.batch.clear();
        self.add(tokens[len - 1], len - 1, PROMPT_SEQ, true)?;
        self.decode()?;
        self.cached = tokens.to_vec();
        Ok(())
    }

    fn clear_samples(&mut self) -> Result<(), GenError> {
        for seq in 1..=self.max_sequences {
            self.ctx
                .clear_kv_cache_seq(Some(seq as u32), None, None)
                .map_err(|e| backend_err("kv cache", e))?;
        }
        Ok(())
    }

    fn generate(&mut self, request: &GenerateRequest) -> Result<Generation, GenError> {
        let started = Instant::now();
        let params = &request.params;
        if params.n == 0 {
            return Ok(Generation {
                completions: Vec::new(),
                usage: Usage::default(),
            });
        }
        crate::params::check(params)?;
        let text = self.render(&request.prompt, &request.assistant_prefix)?;
        let tokens = self.tokenize(&text);
        let room = self.n_ctx.saturating_sub(tokens.len()) / (params.max_tokens.max(1) as usize);
        let per_round = room.min(self.max_sequences);
        if per_round == 0 {
            return Err(GenError::ContextOverflow {
                needed: tokens.len() + params.max_tokens as usize,
                capacity: self.n_ctx,
            });
        }
        self.prime(&tokens)?;
        let mut completions = Vec::with_capacity(params.n);
        let mut completion_tokens = 0;
        for first in (0..params.n).step_by(per_round) {
            let count = per_round.min(params.n - first);
            let (texts, generated) = self.sample_round(tokens.len(), first, count, params)?;
            completions.extend(texts);
            completion_tokens += generated;
        }
        self.clear_samples()?;
        Ok(Generation {
            completions,
            usage: Usage::new(tokens.len() as u64, completion_tokens, started.elapsed()),
        })
    }

    /// Samples completions `first..first + count` on sequences `1..=count`, which all start from
    /// the primed prompt (whose last logits are at batch index 0).
    fn sample_round(
        &mut self,
        prompt_len: usize,
        first: usize,
        count: usize,
        params: &SamplingParams,
    ) -> Result<(Vec<String>, u64), GenError> {
        self.clear_samples()?;
        for seq in 1..=count {
            self.ctx
                .copy_kv_cache_seq(PROMPT_SEQ, seq as i32, None, Some(prompt_len as u32))
                .map_err(|e| backend_err("kv cache", e))?;
        }
        let mut samples: Vec<Sample> = (0..count)
            .map(|i| Sample::new(sampler(params, first + i)))
            .collect();
        let mut logits_at: Vec<i32> = vec![0; count];
        let mut generated = 0u64;
        for step in 0..params.max_tokens as usize {
            self.batch.clear();
            let mut next_logits = vec![-1; count];
            let mut rows = 0;
            for (i, sample) in samples.iter_mut().enumerate() {
                if sample.done {
                    continue;
                }
                let token = sample.sampler.sample(&self.ctx, logits_at[i]);
                generated += 1;
                if self.model.vocab().is_eog(token) {
                    sample.done = true;
                    continue;
                }
                let piece = self.model.vocab().token_to_piece(token, false, None);
                sample.push(&piece, &params.stop);
                if sample.done || step + 1 == params.max_tokens as usize {
                    sample.done = true;
                    continue;
                }
                next_logits[i] = rows;
                rows += 1;
                let pos = prompt_len + step;
                self.add(token, pos, i as i32 + 1, true)?;
            }
            if rows == 0 {
                break;
            }
            self.decode()?;
            logits_at = next_logits;
        }
        let texts = samples.into_iter().map(Sample::finish).collect();
        Ok((texts, generated))
    }

    fn answer_probs(&mut self, request: &AnswerProbsRequest) -> Result<AnswerProbs, GenError> {
        let started = Instant::now();
        let text = self.render(&request.prompt, "")?;
        let tokens = self.tokenize(&text);
        self.prime(&tokens)?;
        let logits = self.ctx.get_logits_ith(0);
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
        let vocab = self.model.vocab();
        let probs = request
            .answers
            .iter()
            .map(|answer| {
                // The answer's first token, with and without a leading space.
                let mut firsts: Vec<LlamaToken> = [answer.clone(), format!(" {answer}")]
                    .iter()
                    .filter_map(|a| vocab.tokenize(a.as_bytes(), false, false).first().copied())
                    .collect();
                firsts.dedup();
                firsts
                    .iter()
                    .map(|t| f64::from(logits[t.0 as usize] - max).exp() / total)
                    .sum()
            })
            .collect();
        Ok(AnswerProbs {
            probs,
            usage: Usage::new(tokens.len() as u64, 0, started.elapsed()),
        })
    }
}

/// The sampler of completion `index`: its seed mixes the request seed with the index, so a
/// completion does not depend on how many others are sampled beside it.
fn sampler(params: &SamplingParams, index: usize) -> LlamaSampler {
    if params.temperature <= 0.0 {
        return LlamaSampler::greedy();
    }
    let mixed = params
        .seed
        .wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let seed = (mixed ^ (mixed >> 31)) as u32;
    // The top-k cut comes first; it keeps the same tokens before or after the temperature.
    let top_k = params
        .top_k
        .map(|k| LlamaSampler::top_k(i32::try_from(k).unwrap_or(i32::MAX)));
    LlamaSampler::chain_simple(top_k.into_iter().chain([
        LlamaSampler::temp(params.temperature),
        LlamaSampler::top_p(params.top_p, 1),
        LlamaSampler::dist(seed),
    ]))
}

/// One completion being sampled.
struct Sample {
    sampler: LlamaSampler,
    bytes: Vec<u8>,
    done: bool,
}

impl Sample {
    fn new(sampler: LlamaSampler) -> Self {
        Self {
            sampler,
            bytes: Vec::new(),
            done: false,
        }
    }

    /// Appends a token's bytes; cuts the text and finishes at the first stop string.
    fn push(&mut self, piece: &[u8], stop: &[String]) {
        let searched_from = self
            .bytes
            .len()
            .saturating_sub(stop.iter().map(String::len).max().unwrap_or(0));
        self.bytes.extend_from_slice(piece);
        for s in stop.iter().filter(|s| !s.is_empty()) {
            if let Some(at) = find(&self.bytes[searched_from..], s.as_bytes()) {
                self.bytes.truncate(searched_from + at);
                self.done = true;
            }
        }
    }

    fn finish(self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
