#!/usr/bin/env bash
# Benchmarks the in-process llama.cpp backend against llama.cpp's llama-server on two planbench
# workloads, and prints examples per minute of each cell and the ratios local/server.
#
# Workloads (all --no-cache, so every request reaches the backend):
#   rerank  the LLM `pro` judge reranking on the first $BENCH_SPIDER Spider dev examples (20)
#   tree    MC-ToT with the simulated oracle at 0.9 on the first $BENCH_GSM8K GSM8K test ones (5)
# Cells:
#   local-c1, local-c4    the in-process engine (continuous batching), 1 and 4 examples at once
#   local-det-c4          tree only: the serial engine (--deterministic), 4 examples at once
#   server-c1, server-c4  llama-server (built by scripts/llama-server.sh; -np 4, same threads)
# Cells run interleaved ($BENCH_ROUNDS rounds of every cell in turn), so that a change in
# machine load spreads over all of them. Each run starts cold: the local engine in a new
# process, the server freshly started (its start-up is not timed; the local run's model load,
# under a second, is). The ratio line comes last.
#
# Usage: scripts/bench.sh            (build target/release/planbench first: cargo build --release)
# Environment: BENCH_SPIDER, BENCH_GSM8K (examples), BENCH_ROUNDS (1), BENCH_THREADS (all cores),
#   BENCH_MODEL (models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf), BENCH_PLANBENCH (the CLI),
#   BENCH_SERVER_ARGS (extra llama-server arguments, e.g. "-ngl 999" on a GPU),
#   PLANBENCH_LLAMA_SERVER (a llama-server program instead of scripts/llama-server.sh's),
#   PLANBENCH_DATA_DIR (the datasets), BENCH_ARGS (more `planbench run` flags for every run).
# A smoke run: BENCH_SPIDER=1 BENCH_GSM8K=1 BENCH_ARGS="--n 2 --max-tokens 24 --tree-expansions 2" \
#   scripts/bench.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

spider="${BENCH_SPIDER:-20}"
gsm8k="${BENCH_GSM8K:-5}"
rounds="${BENCH_ROUNDS:-1}"
threads="${BENCH_THREADS:-$(nproc)}"
model="${BENCH_MODEL:-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}"
planbench="${BENCH_PLANBENCH:-target/release/planbench}"
export PLANBENCH_DATA_DIR="${PLANBENCH_DATA_DIR:-$root/../shared/datasets}"

[ -x "$planbench" ] || { echo "bench.sh: $planbench missing: cargo build --release" >&2; exit 1; }
[ -f "$model" ] || { echo "bench.sh: model $model missing: scripts/fetch-model.sh" >&2; exit 1; }
server="${PLANBENCH_LLAMA_SERVER:-$(scripts/llama-server.sh)}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh llama-server for each server run (so that no run finds the prompts of another in its
# cache; the local engine starts cold in each run too): 4 slots of 4096 tokens, a free port.
port=""
start_server() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # shellcheck disable=SC2086
  "$server" -m "$model" --host 127.0.0.1 --port "$port" -c 16384 -np 4 -t "$threads" -tb "$threads" \
    ${BENCH_SERVER_ARGS:--ngl 0} >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 360); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "bench.sh: llama-server did not come up:" >&2; tail -20 "$work/server.log" >&2; exit 1
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

in_process="$(awk '/^name = "llama-cpp-sys-2"/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)"
echo "in-process: llama-cpp-sys-2 $in_process"
echo "server:     $("$server" --version 2>&1 | grep -m1 -i version || echo unknown) ($server)"
scripts/llama-server.sh --versions 2>&1 | sed 's/^/            /' || true
echo "threads $threads, $spider Spider and $gsm8k GSM8K examples, $rounds round(s), extra flags: ${BENCH_ARGS:-none}"
echo "uptime before: $(uptime | sed 's/.*load/load/')"
echo

# The flags of each workload and each cell.
workload_flags() {
  case "$1" in
    rerank) echo "--task spider --split dev --limit $spider --planner rerank --discriminator llm --disc-variant pro" ;;
    tree) echo "--task gsm8k --split test --limit $gsm8k --planner tree --oracle-accuracy 0.9" ;;
  esac
}
workload_examples() { case "$1" in rerank) echo "$spider" ;; tree) echo "$gsm8k" ;; esac; }
cell_flags() {
  case "$1" in
    local-c1) echo "--backend local --model $model --threads $threads --concurrency 1" ;;
    local-c4) echo "--backend local --model $model --threads $threads --concurrency 4" ;;
    local-det-c4) echo "--backend local --model $model --threads $threads --deterministic --concurrency 4" ;;
    server-c1) echo "--backend http --base-url http://127.0.0.1:$port --model qwen2.5-coder-0.5b --max-concurrency 4 --concurrency 1" ;;
    server-c4) echo "--backend http --base-url http://127.0.0.1:$port --model qwen2.5-coder-0.5b --max-concurrency 4 --concurrency 4" ;;
  esac
}
cells_of() {
  case "$1" in
    rerank) echo "local-c1 server-c1 local-c4 server-c4" ;;
    tree) echo "local-c1 server-c1 local-c4 server-c4 local-det-c4" ;;
  esac
}

declare -A seconds
for round in $(seq 1 "$rounds"); do
  for workload in rerank tree; do
    for cell in $(cells_of "$workload"); do
      dir="$work/$workload-$cell-$round"
      mkdir -p "$dir"
      case "$cell" in server-*) start_server ;; esac
      started="$(date +%s.%N)"
      # shellcheck disable=SC2046
      if ! "$planbench" run $(workload_flags "$workload") $(cell_flags "$cell") ${BENCH_ARGS:-} --no-cache \
          --results "$dir" --cache "$dir/cache.sqlite" >"$dir.log" 2>&1; then
        echo "bench.sh: $workload $cell failed:" >&2; tail -20 "$dir.log" >&2; exit 1
      fi
      took="$(echo "$(date +%s.%N) - $started" | bc -l)"
      case "$cell" in server-*) stop_server ;; esac
      seconds[$workload/$cell]="$(echo "${seconds[$workload/$cell]:-0} + $took" | bc -l)"
      printf 'round %s  %-7s %-13s %7.1f s\n' "$round" "$workload" "$cell" "$took"
    done
  done
done
echo

rate() { echo "$(workload_examples "$1") * $rounds * 60 / ${seconds[$1/$2]}" | bc -l; }
ratios=()
for workload in rerank tree; do
  for cell in $(cells_of "$workload"); do
    printf '%-7s %-13s %8.2f examples/min\n' "$workload" "$cell" "$(rate "$workload" "$cell")"
  done
  for pair in local-c1:server-c1 local-c4:server-c4 local-det-c4:server-c4; do
    mine="${pair%%:*}"; theirs="${pair##*:}"
    [ -n "${seconds[$workload/$mine]:-}" ] || continue
    ratios+=("$(printf '%s %s/%s %.2fx' "$workload" "$mine" "$theirs" "$(echo "$(rate "$workload" "$mine") / $(rate "$workload" "$theirs")" | bc -l)")")
  done
done
echo "uptime after: $(uptime | sed 's/.*load/load/')"
(IFS=';'; echo "ratios (examples/min, local over server):${ratios[*]/#/ }")
