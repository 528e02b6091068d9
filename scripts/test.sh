#!/usr/bin/env bash
# Runs the whole test suite, real model and real data included, after the idempotent set-up.
# The data directory defaults to ../shared/datasets (override with PLANBENCH_DATA_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" --llama-server >&2
cd "$root"
export PLANBENCH_DATA_DIR="${PLANBENCH_DATA_DIR:-$root/../shared/datasets}"
cargo test --release --locked --workspace "$@"
