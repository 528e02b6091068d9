#!/usr/bin/env bash
# Sets up what is missing (scripts/setup.sh, idempotent) and runs the planbench binary.
# Usage: scripts/planbench.sh run --planner tree --task spider --limit 3
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh" >&2
cd "$root"
export PLANBENCH_DATA_DIR="${PLANBENCH_DATA_DIR:-$root/../shared/datasets}"
exec "$root/target/release/planbench" "$@"
