//! Measures the local backend: prompt and generation throughput, and five sequences in one
//! batch against five sequential calls.
//!
//! `cargo run --release -p planbench-models --example llama_throughput -- [MODEL] [THREADS]`

use std::time::Instant;

use planbench_core::{
    AnswerProbsRequest, ChatMessage, GenerateRequest, Generator, Prompt, Role, SamplingParams,
};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};

fn request(seed: u64, n: usize, text: &str) -> GenerateRequest {
    GenerateRequest {
        affinity: None,
        prompt: Prompt::Chat(vec![ChatMessage::new(Role::User, text)]),
        assistant_prefix: String::new(),
        params: SamplingParams {
            n,
            temperature: 0.6,
            top_p: 1.0,
            top_k: None,
            max_tokens: 128,
            stop: Vec::new(),
            seed,
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf".into());
    let mut config = LlamaConfig::new(model);
    config.n_threads = args.next().map(|t| t.parse()).transpose()?;
    let g = LlamaGenerator::load(config)?;
    let long = "Explain, step by step and in detail, how a B-tree index speeds up a SQL query \
                with a WHERE clause on an indexed column, and when it does not help. "
        .repeat(8);

    // Prompt processing: a long prompt, a single new token.
    let mut warm = request(1, 1, "Say hi.");
    warm.params.max_tokens = 1;
    g.generate(&warm).await?;
    let mut prompt_only = request(1, 1, &long);
    prompt_only.params.max_tokens = 1;
    let t = Instant::now();
    let out = g.generate(&prompt_only).await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "prompt: {} tokens in {secs:.2} s = {:.1} tok/s",
        out.usage.prompt_tokens,
        out.usage.prompt_tokens as f64 / secs
    );

    // Generation: one sequence, then five in one batch, then five sequential calls.
    let text = "Write a long Python function that parses a CSV file and computes column means.";
    let one = g.generate(&request(2, 1, text)).await?;
    let t = Instant::now();
    let one = g.generate(&request(3, 1, text)).await.map(|o| (o, one))?.0;
    let secs_one = t.elapsed().as_secs_f64();
    println!(
        "generation, 1 sequence: {} tokens in {secs_one:.2} s = {:.1} tok/s",
        one.usage.completion_tokens,
        one.usage.completion_tokens as f64 / secs_one
    );
    let t = Instant::now();
    let five = g.generate(&request(4, 5, text)).await?;
    let secs_batch = t.elapsed().as_secs_f64();
    println!(
        "generation, 5 sequences in one batch: {} tokens in {secs_batch:.2} s = {:.1} tok/s aggregate",
        five.usage.completion_tokens,
        five.usage.completion_tokens as f64 / secs_batch
    );
    let t = Instant::now();
    let mut sequential_tokens = 0;
    for seed in 10..15 {
        sequential_tokens += g
            .generate(&request(seed, 1, text))
            .await?
            .usage
            .completion_tokens;
    }
    let secs_seq = t.elapsed().as_secs_f64();
    println!(
        "generation, 5 sequential calls: {sequential_tokens} tokens in {secs_seq:.2} s = {:.1} tok/s",
        sequential_tokens as f64 / secs_seq
    );
    println!(
        "five-in-one-batch vs five sequential (tokens/s): {:.2}x",
        (five.usage.completion_tokens as f64 / secs_batch) / (sequential_tokens as f64 / secs_seq)
    );

    // Yes/no judgements that share a long prefix: the first pays for the prompt.
    let judge = |program: &str| AnswerProbsRequest {
        affinity: None,
        prompt: Prompt::Chat(vec![ChatMessage::new(
            Role::User,
            format!("{long}\nIs this program correct?\n{program}\nAnswer Yes or No."),
        )]),
        answers: vec!["Yes".into(), "No".into()],
    };
    let t = Instant::now();
    g.answer_probs(&judge("SELECT count(*) FROM singer"))
        .await?;
    let first = t.elapsed().as_secs_f64();
    let t = Instant::now();
    g.answer_probs(&judge("SELECT name FROM singer")).await?;
    let second = t.elapsed().as_secs_f64();
    println!(
        "yes/no judgement: first {first:.3} s, next with a shared prefix {second:.3} s ({:.1}x cheaper)",
        first / second
    );
    Ok(())
}
