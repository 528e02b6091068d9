//! Replica affinity against two real llama.cpp `llama-server` processes (CPU, one slot each):
//! the requests of one example land on one replica, whose prompt cache they keep warm, and move
//! to the other when it dies.
//!
//! Needs the default model and the server program (`scripts/setup.sh`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use planbench_core::{AnswerProbsRequest, ChatMessage, Generator, Prompt, Role, Usage};
use planbench_models::http::server::{LlamaServerProcess, ServerOptions};
use planbench_models::http::{HttpConfig, HttpGenerator};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start_server() -> LlamaServerProcess {
    let model = workspace().join("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    let mut options = ServerOptions::new(&workspace(), model);
    options.slots = 1;
    options.n_ctx = 1024;
    LlamaServerProcess::start(&options).unwrap_or_else(|e| panic!("{e}"))
}

/// A generator for `urls`; `identify` sends the identification probe, which takes a slot.
fn generator(urls: &[String], identify: bool) -> HttpGenerator {
    let mut config = HttpConfig::new(urls[0].clone(), "qwen2.5-coder-0.5b");
    config.identify_model = identify;
    config.base_urls = urls.to_vec();
    config.request_timeout = Duration::from_secs(120);
    config.max_retries = 2;
    config.retry_base_delay = Duration::from_millis(50);
    HttpGenerator::new(config).unwrap()
}

/// A judge-like request of example `example`.
fn judge(example: &str, candidate: &str) -> AnswerProbsRequest {
    AnswerProbsRequest {
        affinity: Some(example.to_owned()),
        prompt: Prompt::Chat(vec![ChatMessage::new(
            Role::User,
            format!(
                "Example {example}: count the singers. Candidate: {candidate}. \
                 Is the candidate correct? Answer Yes or No."
            ),
        )]),
        answers: vec!["Yes".into(), "No".into()],
    }
}

/// The server re-decoded at most the last prompt token: it had the prompt in its cache.
fn warm(usage: &Usage) -> bool {
    usage.cached_prompt_tokens + 1 >= usage.prompt_tokens
}

#[tokio::test]
async fn one_examples_requests_stay_on_one_replica_and_fail_over_when_it_dies() {
    let mut servers = [start_server(), start_server()];
    let urls: Vec<String> = servers.iter().map(LlamaServerProcess::url).collect();
    let both = generator(&urls, true);
    let request = judge("spider/dev/7", "SELECT count(*) FROM singer");

    let first = both.answer_probs(&request).await.unwrap();
    assert!(!warm(&first.usage), "{:?}", first.usage);
    for _ in 0..3 {
        let again = both.answer_probs(&request).await.unwrap();
        assert!(
            warm(&again.usage),
            "a repeat went to the cold replica: {:?}",
            again.usage
        );
    }

    // Which replica is home: the one that has the prompt cached.
    let mut home = None;
    for (index, url) in urls.iter().enumerate() {
        let alone = generator(std::slice::from_ref(url), false);
        let mut probe = request.clone();
        probe.affinity = None;
        if warm(&alone.answer_probs(&probe).await.unwrap().usage) {
            home = Some(index);
            break;
        }
    }
    let home = home.expect("one replica holds the example's prompt");

    servers[home].kill();
    let moved = both.answer_probs(&request).await.unwrap();
    assert!(!warm(&moved.usage), "{:?}", moved.usage);
    let settled = both.answer_probs(&request).await.unwrap();
    assert!(
        warm(&settled.usage),
        "after the fail-over the example keeps to the live replica: {:?}",
        settled.usage
    );
    assert!((moved.probs[0] - first.probs[0]).abs() < 0.05);
}
