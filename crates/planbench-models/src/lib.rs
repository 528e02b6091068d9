//! Model backends for planbench, each an implementation of [`planbench_core::Generator`].
//!
//! - [`llama`]: a local GGUF model run in-process through llama.cpp (`llama-cpp-2`).
//! - [`http`]: OpenAI-compatible HTTP endpoints (vLLM, llama-server, OpenAI).

pub mod http;
pub mod llama;
mod params;
