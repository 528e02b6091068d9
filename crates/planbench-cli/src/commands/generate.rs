//! `planbench generate`: a smoke command that prints completions from the backend.

use anyhow::Result;
use clap::Args;
use planbench_core::{ChatMessage, GenerateRequest, Prompt, Role, SamplingParams};

use planbench_experiment::{GeneratorSpec, Loader};

use crate::args::{DataArgs, GeneratorFlags};

/// `planbench generate` options.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The user message (sent through the model's chat template).
    #[arg(long)]
    pub prompt: String,
    /// Number of completions.
    #[arg(short, long, default_value_t = 1)]
    pub n: usize,
    /// Sampler seed: the same seed prints the same text.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sampling temperature (0: greedy).
    #[arg(long, default_value_t = 0.6)]
    pub temperature: f32,
    /// Nucleus sampling mass.
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Sample among the k most likely tokens only.
    #[arg(long)]
    pub top_k: Option<u32>,
    /// Most new tokens per completion.
    #[arg(long, default_value_t = 200)]
    pub max_tokens: u32,
    /// Stop strings (repeatable).
    #[arg(long)]
    pub stop: Vec<String>,
    #[command(flatten)]
    pub generator: GeneratorFlags,
    #[command(flatten)]
    pub data: DataArgs,
}

/// Runs `planbench generate`.
pub async fn execute(args: GenerateArgs) -> Result<()> {
    let mut spec = GeneratorSpec::default();
    args.generator.apply(&mut spec)?;
    let generator = Loader::new(args.data.environment()).generator(&spec)?;
    let request = GenerateRequest {
        affinity: None,
        prompt: Prompt::Chat(vec![ChatMessage::new(Role::User, args.prompt)]),
        assistant_prefix: String::new(),
        params: SamplingParams {
            n: args.n,
            temperature: args.temperature,
            top_p: args.top_p,
            top_k: args.top_k,
            max_tokens: args.max_tokens,
            stop: args.stop,
            seed: args.seed,
        },
    };
    let out = generator.generate(&request).await?;
    for (i, text) in out.completions.iter().enumerate() {
        println!("--- completion {i}\n{text}");
    }
    let u = out.usage;
    eprintln!(
        "{} prompt tokens, {} completion tokens, {:.2} s ({:.1} completion tokens/s)",
        u.prompt_tokens,
        u.completion_tokens,
        u.seconds,
        u.completion_tokens as f64 / u.seconds.max(1e-9)
    );
    Ok(())
}
