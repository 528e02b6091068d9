//! Measures continuous batching in the local backend against its serial (deterministic) mode:
//! throughput of concurrent judge-like answer-probability requests and of concurrent greedy
//! generations, how far batched results stray from serial ones, and prefix reuse across
//! alternating prompts A, B, A.
//!
//! `cargo run --release -p planbench-models --example llama_batching -- [MODEL] [THREADS] [K]`
//! (K concurrent requests, default 8).

use std::time::Instant;

use futures::future::join_all;
use planbench_core::{
    AnswerProbsRequest, ChatMessage, GenerateRequest, Generator, Prompt, Role, SamplingParams,
};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};

fn chat(text: String) -> Prompt {
    Prompt::Chat(vec![ChatMessage::new(Role::User, text)])
}

/// A judge prompt in the shape of the LLM judge: schema, question, one candidate program.
fn judge(i: usize) -> AnswerProbsRequest {
    let schema = "CREATE TABLE singer (singer_id INT, name TEXT, country TEXT, song_name TEXT, \
                  song_release_year TEXT, age INT, is_male BOOL);\n\
                  CREATE TABLE concert (concert_id INT, concert_name TEXT, theme TEXT, \
                  stadium_id INT, year TEXT);\n"
        .repeat(3);
    AnswerProbsRequest {
        affinity: None,
        prompt: chat(format!(
            "{schema}\nQuestion: how many singers are older than {}?\n\
             Program: SELECT count(*) FROM singer WHERE age > {}\n\
             Is the program correct? Answer Yes or No.",
            20 + i,
            20 + i + (i % 3)
        )),
        answers: vec!["Yes".into(), "No".into()],
    }
}

fn greedy(i: usize) -> GenerateRequest {
    GenerateRequest {
        affinity: None,
        prompt: chat(format!(
            "Write one SQL query that lists the names of singers older than {}.",
            30 + i
        )),
        assistant_prefix: String::new(),
        params: SamplingParams {
            max_tokens: 24,
            ..SamplingParams::default()
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf".into());
    let threads: Option<usize> = args.next().map(|t| t.parse()).transpose()?;
    let k: usize = args.next().map(|t| t.parse()).transpose()?.unwrap_or(8);
    let load = |deterministic: bool| {
        let mut config = LlamaConfig::new(&model);
        config.n_threads = threads;
        config.deterministic = deterministic;
        LlamaGenerator::load(config)
    };
    let serial = load(true)?;
    let batched = load(false)?;
    let judges: Vec<AnswerProbsRequest> = (0..k).map(judge).collect();
    let gens: Vec<GenerateRequest> = (0..k).map(greedy).collect();

    for g in [&serial, &batched] {
        // Warm-up: the shared judge prefix is then cached for both.
        g.answer_probs(&judge(99)).await?;
    }
    let mut probs = Vec::new();
    for (name, g) in [("serial", &serial), ("batched", &batched)] {
        let t = Instant::now();
        let out = join_all(judges.iter().map(|r| g.answer_probs(r))).await;
        let secs = t.elapsed().as_secs_f64();
        let out: Vec<_> = out.into_iter().collect::<Result<_, _>>()?;
        let cached: u64 = out.iter().map(|o| o.usage.cached_prompt_tokens).sum();
        let prompt: u64 = out.iter().map(|o| o.usage.prompt_tokens).sum();
        println!(
            "{name}: {k} concurrent answer-probability requests in {secs:.2} s = {:.2} req/s \
             ({cached} of {prompt} prompt tokens from the cache)",
            k as f64 / secs
        );
        probs.push(out);
    }
    let worst = probs[0]
        .iter()
        .zip(&probs[1])
        .flat_map(|(a, b)| a.probs.iter().zip(&b.probs).map(|(x, y)| (x - y).abs()))
        .fold(0.0f64, f64::max);
    println!("largest |P(batched) - P(serial)| over {k} requests × 2 answers: {worst:.3e}");
    let mut alone = Vec::new();
    for r in &judges {
        alone.push(batched.answer_probs(r).await?);
    }
    let spread = |x: &[planbench_core::AnswerProbs], y: &[planbench_core::AnswerProbs]| {
        x.iter()
            .zip(y)
            .flat_map(|(a, b)| a.probs.iter().zip(&b.probs).map(|(p, q)| (p - q).abs()))
            .fold(0.0f64, f64::max)
    };
    println!(
        "largest |P(batched, concurrent) - P(batched, one at a time)|: {:.3e}; \
         |P(batched, one at a time) - P(serial)|: {:.3e}",
        spread(&probs[1], &alone),
        spread(&alone, &probs[0])
    );

    let mut texts = Vec::new();
    for (name, g) in [("serial", &serial), ("batched", &batched)] {
        let t = Instant::now();
        let out = join_all(gens.iter().map(|r| g.generate(r))).await;
        let secs = t.elapsed().as_secs_f64();
        let out: Vec<_> = out.into_iter().collect::<Result<_, _>>()?;
        let tokens: u64 = out.iter().map(|o| o.usage.completion_tokens).sum();
        println!(
            "{name}: {k} concurrent greedy generations, {tokens} tokens in {secs:.2} s = {:.1} tok/s",
            tokens as f64 / secs
        );
        texts.push(out);
    }
    let same = texts[0]
        .iter()
        .zip(&texts[1])
        .filter(|(a, b)| a.completions == b.completions)
        .count();
    println!("greedy texts equal batched and serial: {same} of {k}");

    let a = judge(1);
    let mut b = judge(2);
    b.prompt = chat("An unrelated question: is the sea salty? Answer Yes or No.".into());
    for (name, g) in [("serial", &serial), ("batched", &batched)] {
        let mut line = format!("{name}: A, B, A reuse (cached of prompt tokens):");
        for r in [&a, &b, &a] {
            let u = g.answer_probs(r).await?.usage;
            line.push_str(&format!(
                " {}/{} in {:.2} s;",
                u.cached_prompt_tokens, u.prompt_tokens, u.seconds
            ));
        }
        println!("{line}");
    }

    // One greedy generation on an empty cache, then beside ~6000 cached idle cells.
    let fresh = load(false)?;
    let mut timed = Vec::new();
    for round in 0..2 {
        if round == 1 {
            for i in 0..6 {
                let mut filler = judge(100 + i);
                filler.prompt = chat(format!("{i} {}", "filler text for the cache ".repeat(180)));
                fresh.answer_probs(&filler).await?;
            }
        }
        let mut request = greedy(50 + round);
        request.params.max_tokens = 48;
        let t = Instant::now();
        let out = fresh.generate(&request).await?;
        timed.push(out.usage.completion_tokens as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "one greedy generation: {:.1} tok/s on an empty cache, {:.1} tok/s beside ~6000 cached cells",
        timed[0], timed[1]
    );
    Ok(())
}
