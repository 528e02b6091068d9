//! The local llama.cpp backend on the real default model, in deterministic mode (one request
//! at a time, bit-exact results whatever ran before); `llama_batching.rs` tests batching.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use planbench_core::{
    AnswerProbsRequest, ChatMessage, GenerateRequest, Generator, Prompt, Role, SamplingParams,
};
use planbench_models::llama::{LlamaConfig, LlamaGenerator};

/// The default model, fetched by `scripts/setup.sh`; `PLANBENCH_MODEL` overrides it.
fn model_path() -> PathBuf {
    std::env::var_os("PLANBENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
        })
}

fn generator() -> Arc<LlamaGenerator> {
    static GENERATOR: OnceLock<Arc<LlamaGenerator>> = OnceLock::new();
    GENERATOR
        .get_or_init(|| {
            let path = model_path();
            assert!(
                path.exists(),
                "default model missing at {}: run scripts/setup.sh",
                path.display()
            );
            let mut config = LlamaConfig::new(path);
            config.deterministic = true;
            Arc::new(LlamaGenerator::load(config).expect("model loads"))
        })
        .clone()
}

fn chat(text: &str) -> Prompt {
    Prompt::Chat(vec![ChatMessage::new(Role::User, text)])
}

fn request(seed: u64, n: usize) -> GenerateRequest {
    GenerateRequest {
        affinity: None,
        prompt: chat("Write one SQL query that counts the rows of a table named singer."),
        assistant_prefix: String::new(),
        params: SamplingParams {
            n,
            temperature: 0.8,
            top_p: 0.95,
            top_k: None,
            max_tokens: 40,
            stop: Vec::new(),
            seed,
        },
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_text_and_different_seeds_differ() {
    let g = generator();
    let a = g.generate(&request(7, 3)).await.unwrap();
    let b = g.generate(&request(7, 3)).await.unwrap();
    assert_eq!(a.completions, b.completions);
    let c = g.generate(&request(8, 3)).await.unwrap();
    assert_ne!(a.completions, c.completions);
    assert!(a.usage.prompt_tokens > 10 && a.usage.completion_tokens > 0);
}

#[tokio::test]
async fn n_five_returns_five_completions_which_vary() {
    let g = generator();
    let out = g.generate(&request(11, 5)).await.unwrap();
    assert_eq!(out.completions.len(), 5);
    assert!(out.completions.iter().all(|c| !c.is_empty()));
    let distinct: std::collections::HashSet<_> = out.completions.iter().collect();
    assert!(distinct.len() > 1, "{:?}", out.completions);
}

#[tokio::test]
async fn the_first_k_of_n_completions_are_the_n_equals_k_completions() {
    let g = generator();
    let mut four = request(21, 4);
    four.params.max_tokens = 8;
    let mut two = four.clone();
    two.params.n = 2;
    let (four, two) = (
        g.generate(&four).await.unwrap(),
        g.generate(&two).await.unwrap(),
    );
    assert_eq!(four.completions[..2], two.completions[..]);
    assert_ne!(
        four.completions[0], four.completions[1],
        "seeds differ by index"
    );
}

#[tokio::test]
async fn stop_strings_cut_the_text_and_prefixes_are_continued() {
    let g = generator();
    let req = GenerateRequest {
        affinity: None,
        prompt: chat("Count from 1 to 20, separated by commas."),
        assistant_prefix: "1, 2, 3,".into(),
        params: SamplingParams {
            n: 1,
            temperature: 0.0,
            max_tokens: 60,
            stop: vec!["7".into()],
            ..SamplingParams::default()
        },
    };
    let out = g.generate(&req).await.unwrap();
    let text = &out.completions[0];
    assert!(!text.contains('7'), "{text:?}");
    assert!(text.contains('4') && text.contains('6'), "{text:?}");
    assert!(
        !text.contains("1, 2, 3"),
        "the prefix is not repeated: {text:?}"
    );
}

#[tokio::test]
async fn yes_no_probabilities_are_valid_and_favour_yes_for_paris() {
    let g = generator();
    let ask = |q: &str| AnswerProbsRequest {
        affinity: None,
        prompt: chat(&format!("{q} Answer with Yes or No.")),
        answers: vec!["Yes".into(), "No".into()],
    };
    let paris = g
        .answer_probs(&ask("Is Paris the capital of France?"))
        .await
        .unwrap();
    for p in &paris.probs {
        assert!((0.0..=1.0).contains(p), "{p}");
    }
    assert!(paris.probs[0] + paris.probs[1] <= 1.0 + 1e-9);
    assert!(paris.probs[0] > paris.probs[1], "{:?}", paris.probs);
    assert!(
        paris.probs[0] + paris.probs[1] > 0.5,
        "Yes/No carry most of the mass"
    );
}

#[tokio::test]
async fn probabilities_do_not_depend_on_the_previous_prompt() {
    let g = generator();
    let req = AnswerProbsRequest {
        affinity: None,
        prompt: chat("Is 7 a prime number? Answer with Yes or No."),
        answers: vec!["Yes".into(), "No".into()],
    };
    let first = g.answer_probs(&req).await.unwrap();
    g.generate(&request(3, 2)).await.unwrap();
    let again = g.answer_probs(&req).await.unwrap();
    assert_eq!(first.probs, again.probs);
}

#[tokio::test]
async fn the_parameter_count_comes_from_the_gguf_file() {
    let parameters = generator()
        .parameters()
        .expect("a local model knows its size");
    // llama.cpp counts the elements of every tensor in the file. Qwen2.5-0.5B has 494,032,768
    // parameters with its input and output embeddings tied, but this GGUF stores the output
    // projection (151,936 × 896) as a tensor of its own, and llama.cpp computes it as one.
    assert!(
        (400_000_000..700_000_000).contains(&parameters),
        "{parameters}"
    );
    if model_path().ends_with("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf") {
        assert_eq!(parameters, 494_032_768 + 151_936 * 896);
    }
}

#[tokio::test]
async fn top_k_one_at_temperature_one_is_greedy() {
    let g = generator();
    let mut greedy = request(5, 1);
    greedy.params.temperature = 0.0;
    greedy.params.max_tokens = 12;
    let mut top1 = greedy.clone();
    top1.params.temperature = 1.0;
    top1.params.top_p = 1.0;
    top1.params.top_k = Some(1);
    let (a, b) = (
        g.generate(&greedy).await.unwrap(),
        g.generate(&top1).await.unwrap(),
    );
    assert!(!a.completions[0].is_empty());
    assert_eq!(a.completions, b.completions);
    let mut zero = top1.clone();
    zero.params.top_k = Some(0);
    assert!(matches!(
        g.generate(&zero).await,
        Err(planbench_core::GenError::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn a_missing_model_file_is_a_clear_error() {
    let err = LlamaGenerator::load(LlamaConfig::new("/nonexistent/model.gguf"))
        .err()
        .expect("load fails");
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/model.gguf") && msg.contains("setup.sh"),
        "{msg}"
    );
}
