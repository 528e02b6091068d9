#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages for the llama.cpp build, the
# default model (and optionally another), and the release build of planbench.
# Usage: scripts/setup.sh [--model qwen2.5-coder-1.5b] [--no-build] [--llama-server]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

models=(qwen2.5-coder-0.5b)
build=1
llama_server=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) models+=("$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --llama-server) llama_server=1; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# System packages: cmake and libclang (bindgen needs clang's headers too) for llama-cpp-sys-2,
# and a TTF font for the text of PNG plots.
missing=()
for pkg in cmake clang libclang-dev pkg-config fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

for model in "${models[@]}"; do
  bash scripts/fetch-model.sh "$model"
done

if [ "$llama_server" = 1 ]; then
  bash scripts/llama-server.sh >/dev/null
fi

if [ "$build" = 1 ]; then
  cargo build --release --locked --workspace --bins
fi
