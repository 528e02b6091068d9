#!/usr/bin/env bash
# Runs scripts/bench.sh on an NVIDIA GPU: builds planbench with `--features cuda` for the card
# at hand (CMAKE_CUDA_ARCHITECTURES from nvidia-smi's compute capability, which llama-cpp-sys-2
# passes to CMake), offloads every layer on both sides (the local engine does so by default
# with the cuda feature; llama-server gets -ngl 999), and prints the benchmark and its ratios.
#
# The server must be a CUDA build of llama-server: PLANBENCH_LLAMA_SERVER names it (the one
# scripts/llama-server.sh builds is CPU-only); the script refuses a server that lists no CUDA
# device, since the ratios would then compare a GPU with a CPU.
#
# Usage: PLANBENCH_LLAMA_SERVER=/path/to/cuda/llama-server scripts/gpu-bench.sh
# Environment: as scripts/bench.sh (BENCH_SPIDER, BENCH_GSM8K, BENCH_ROUNDS, BENCH_THREADS,
#   BENCH_ARGS, ...); CMAKE_CUDA_ARCHITECTURES overrides the detected architecture.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

command -v nvidia-smi >/dev/null || { echo "gpu-bench.sh: nvidia-smi not found" >&2; exit 1; }
command -v nvcc >/dev/null || { echo "gpu-bench.sh: nvcc (the CUDA toolkit) not found" >&2; exit 1; }
capability="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')"
export CMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-$capability}"
echo "GPU: $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | head -1), CUDA architecture $CMAKE_CUDA_ARCHITECTURES"

server="${PLANBENCH_LLAMA_SERVER:-}"
[ -n "$server" ] || { echo "gpu-bench.sh: set PLANBENCH_LLAMA_SERVER to a CUDA build of llama-server" >&2; exit 1; }
"$server" --list-devices 2>&1 | grep -qi cuda \
  || { echo "gpu-bench.sh: $server lists no CUDA device (a CPU build?)" >&2; exit 1; }

cargo build --release -p planbench-cli --features cuda
BENCH_SERVER_ARGS="${BENCH_SERVER_ARGS:--ngl 999}" scripts/bench.sh
