//! One request in the engine: its prompt, the sequence that holds the prompt, and its heads.
//!
//! A head continues the prompt on a sequence of its own: it copies the prompt's cells except
//! the last token, decodes that token to get the next-token logits, and then either samples a
//! completion (a generation has `n` heads) or reads the answer probabilities (an
//! answer-probability request has one head). Decoding the last prompt token on each head
//! keeps every head's first logits computed the same way, whenever the head starts.

use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use planbench_core::{AnswerProbs, GenError, Generation, SamplingParams, Usage};
use tokio::sync::oneshot;

use super::cells::SeqId;

/// What a task produces, and where the result goes.
pub(super) enum Kind {
    Generate {
        params: SamplingParams,
        reply: oneshot::Sender<Result<Generation, GenError>>,
    },
    AnswerProbs {
        /// The first tokens of each answer (with and without a leading space).
        answers: Vec<Vec<LlamaToken>>,
        reply: oneshot::Sender<Result<AnswerProbs, GenError>>,
        probs: Vec<f64>,
    },
}

/// What a head does with its logits.
pub(super) enum Role {
    Sample(Box<Sample>),
    Probe,
}

/// One continuation of the prompt.
pub(super) struct Head {
    pub role: Role,
    /// Its sequence, while it runs.
    pub seq: Option<SeqId>,
    /// The token to decode at the next step (first the prompt's last token).
    pub feed: Option<LlamaToken>,
    /// Tokens decoded on its sequence beyond the shared prompt cells.
    pub fed: usize,
    pub done: bool,
}

impl Head {
    fn new(role: Role) -> Self {
        Self {
            role,
            seq: None,
            feed: None,
            fed: 0,
            done: false,
        }
    }

    /// Cells this head may still add, of `per_head` in all.
    pub(super) fn cells_to_come(&self, per_head: usize) -> usize {
        per_head.saturating_sub(self.fed)
    }

    /// Started and not done.
    pub(super) fn live(&self) -> bool {
        self.seq.is_some() && !self.done
    }

    /// Not started yet.
    pub(super) fn pending(&self) -> bool {
        self.seq.is_none() && !self.done
    }
}

/// One admitted request.
pub(super) struct Task {
    pub request: Request,
    /// The sequence holding the prompt's cells (all but the last token, which each head
    /// decodes itself).
    pub prompt_seq: SeqId,
    /// Prompt positions copied from another sequence rather than decoded.
    pub reused: usize,
    pub heads: Vec<Head>,
}

impl Kind {
    /// A generation of `params.n` completions.
    pub(super) fn generate(
        params: SamplingParams,
        reply: oneshot::Sender<Result<Generation, GenError>>,
    ) -> Self {
        Kind::Generate { params, reply }
    }

    /// The next-token probabilities of answers with these first tokens.
    pub(super) fn answer_probs(
        answers: Vec<Vec<LlamaToken>>,
        reply: oneshot::Sender<Result<AnswerProbs, GenError>>,
    ) -> Self {
        Kind::AnswerProbs {
            answers,
            reply,
            probs: Vec::new(),
        }
    }

    /// Sends an error instead of the result.
    pub(super) fn fail(self, error: GenError) {
        match self {
            Kind::Generate { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            Kind::AnswerProbs { reply, .. } => {
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// A request waiting for admission.
pub(super) struct Request {
    pub kind: Kind,
    /// The rendered prompt's tokens (never empty).
    pub tokens: Vec<LlamaToken>,
    pub received: Instant,
}

impl Request {
    /// The task of this request, its prompt on sequence `prompt_seq`, of which the first
    /// `reused` positions were copied from a cached sequence.
    pub(super) fn into_task(self, prompt_seq: SeqId, reused: usize) -> Task {
        let heads = match &self.kind {
            Kind::Generate { params, .. } => (0..params.n)
                .map(|i| Head::new(Role::Sample(Box::new(Sample::new(sampler(params, i))))))
                .collect(),
            Kind::AnswerProbs { .. } => vec![Head::new(Role::Probe)],
        };
        Task {
            request: self,
            prompt_seq,
            reused,
            heads,
        }
    }

    /// Cells the prompt sequence must hold before heads start.
    pub(super) fn prefill_len(&self) -> usize {
        self.tokens.len() - 1
    }

    /// Most cells one head adds: the prompt's last token and the completion's tokens but
    /// its last.
    pub(super) fn cells_per_head(&self) -> usize {
        match &self.kind {
            Kind::Generate { params, .. } => params.max_tokens as usize,
            Kind::AnswerProbs { .. } => 1,
        }
    }
}

impl Task {
    /// Whether the caller stopped waiting.
    pub(super) fn abandoned(&self) -> bool {
        match &self.request.kind {
            Kind::Generate { reply, .. } => reply.is_closed(),
            Kind::AnswerProbs { reply, .. } => reply.is_closed(),
        }
    }

    /// Takes the logits of head `index` (at batch row `row`): samples its next token, or reads
    /// the answer probabilities.
    pub(super) fn take_logits(
        &mut self,
        index: usize,
        ctx: &LlamaContext<'_>,
        model: &LlamaModel,
        row: i32,
    ) {
        let head = &mut self.heads[index];
        match (&mut head.role, &mut self.request.kind) {
            (Role::Probe, Kind::AnswerProbs { answers, probs, .. }) => {
                *probs = answer_probs(ctx.get_logits_ith(row), answers);
                head.done = true;
            }
            (Role::Sample(sample), Kind::Generate { params, .. }) => {
                let token = sample.sampler.sample(ctx, row);
                sample.generated += 1;
                let vocab = model.vocab();
                if vocab.is_eog(token) {
                    head.done = true;
                    return;
                }
                sample.push(&vocab.token_to_piece(token, false, None), &params.stop);
                if sample.stopped || sample.generated >= params.max_tokens as usize {
                    head.done = true;
                } else {
                    head.feed = Some(token);
                }
            }
            _ => unreachable!("heads are made to match their task"),
        }
    }

    /// Whether every head is done.
    pub(super) fn finished(&self) -> bool {
        self.heads.iter().all(|h| h.done)
    }

    /// Sends the result.
    pub(super) fn reply(self) {
        let request = self.request;
        let mut usage = Usage::new(request.tokens.len() as u64, 0, request.received.elapsed());
        usage.cached_prompt_tokens = self.reused as u64;
        match request.kind {
            Kind::Generate { reply, .. } => {
                let mut completions = Vec::with_capacity(self.heads.len());
                for head in self.heads {
                    if let Role::Sample(sample) = head.role {
                        usage.completion_tokens += sample.generated as u64;
                        completions.push(sample.finish());
                    }
                }
                let _ = reply.send(Ok(Generation { completions, usage }));
            }
            Kind::AnswerProbs { reply, probs, .. } => {
                let _ = reply.send(Ok(AnswerProbs { probs, usage }));
            }
        }
    }

    /// Sends an error instead of the result.
    pub(super) fn fail(self, error: GenError) {
        self.request.kind.fail(error);
    }
}

/// The probability of each answer: the softmax mass of its first tokens.
fn answer_probs(logits: &[f32], answers: &[Vec<LlamaToken>]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let total: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    answers
        .iter()
        .map(|firsts| {
            firsts
                .iter()
                .filter_map(|t| logits.get(t.0 as usize))
                .map(|&l| f64::from(l - max).exp() / total)
                .sum()
        })
        .collect()
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
pub(super) struct Sample {
    sampler: LlamaSampler,
    bytes: Vec<u8>,
    generated: usize,
    stopped: bool,
}

impl Sample {
    fn new(sampler: LlamaSampler) -> Self {
        Self {
            sampler,
            bytes: Vec::new(),
            generated: 0,
            stopped: false,
        }
    }

    /// Appends a token's bytes; cuts the text and stops at the first stop string.
    fn push(&mut self, piece: &[u8], stop: &[String]) {
        let searched_from = self
            .bytes
            .len()
            .saturating_sub(stop.iter().map(String::len).max().unwrap_or(0));
        self.bytes.extend_from_slice(piece);
        for s in stop.iter().filter(|s| !s.is_empty()) {
            if let Some(at) = find(&self.bytes[searched_from..], s.as_bytes()) {
                self.bytes.truncate(searched_from + at);
                self.stopped = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_probabilities_are_softmax_masses_of_first_tokens() {
        let logits = [0.0f32, (2.0f32).ln(), 0.0, f32::NEG_INFINITY];
        let answers = vec![
            vec![LlamaToken(1)],
            vec![LlamaToken(0), LlamaToken(2)],
            vec![],
        ];
        let probs = answer_probs(&logits, &answers);
        assert!((probs[0] - 0.5).abs() < 1e-6, "{probs:?}");
        assert!((probs[1] - 0.5).abs() < 1e-6, "{probs:?}");
        assert_eq!(probs[2], 0.0);
    }
}
