#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` from source with portable CPU flags, caches it by source
# version outside the work tree, and prints the path of the program.
#
# Source: the sdist of llama-cpp-python on PyPI, which carries the whole llama.cpp tree under
# vendor/llama.cpp (the llama-cpp-sys-2 crate used in-process ships llama.cpp without the
# server's sources). The version is the one whose llama.cpp is closest to the in-process one;
# both are recorded in VERSION next to the binary (`--versions` prints it).
#
# Portable: GGML_NATIVE=OFF with an explicit x86-64 feature level (v3 = AVX2/FMA/F16C/BMI2, no
# AVX-512 or AMX; v2 and v1 on CPUs without them), so one build runs on Intel and AMD alike.
# The feature level is part of the cache key. No prebuilt binaries are used. The build takes
# about 10 minutes on 2 busy cores; later calls return at once.
#
# Cache: ${PLANBENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/planbench}/llama-server-<version>-<level>/
# (bin/llama-server, VERSION, build.log), built once under a lock and reused by every clone;
# <repo>/.venv/llama-server/bin/llama-server is a symbolic link to it (the launcher in
# crates/planbench-models/src/http/server.rs starts that path unless PLANBENCH_LLAMA_SERVER is set).
#
# Run it on the CPU:
#   "$(scripts/llama-server.sh)" -m models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf \
#       --host 127.0.0.1 --port 8080 -c 4096 -np 2 -t 1 -ngl 0
# Usage: scripts/llama-server.sh [--check | --versions | --rebuild]
#   --check     also runs `llama-server --version` (on stderr)
#   --versions  prints the recorded versions (server source and in-process llama.cpp) on stderr
#   --rebuild   discards the cached build first
# Environment: PLANBENCH_CACHE_DIR (cache root), PLANBENCH_LLAMA_SERVER_LEVEL (v1|v2|v3: force
# an x86-64 feature level), PLANBENCH_BUILD_JOBS (parallel compile jobs, default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The source: llama-cpp-python 0.3.36 vendors llama.cpp 0c1e57098 (build b11312, ggml 0.25.3),
# the newest release on PyPI and the closest to llama-cpp-sys-2 0.1.160 (ggml 0.26.0).
pkg="llama-cpp-python"
version="0.3.36"
sdist="llama_cpp_python-$version.tar.gz"
sdist_sha256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
llama_commit="0c1e57098bba43ac29e6e3b677cdceebdd22334f"
llama_build="11312"

mode="${1:-}"
case "$mode" in
  ""|--check|--versions|--rebuild) ;;
  -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
  *) echo "llama-server.sh: unknown option $mode" >&2; exit 2 ;;
esac

# The x86-64 feature level of this CPU (or the forced one), and the cmake flags for it.
level="${PLANBENCH_LLAMA_SERVER_LEVEL:-}"
if [ -z "$level" ]; then
  case "$(uname -m)" in
    x86_64|amd64)
      flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
      has() { for f in "$@"; do case "$flags" in *" $f "*) ;; *) return 1 ;; esac; done; }
      if has avx avx2 fma f16c bmi2; then level=v3
      elif has sse4_2 popcnt; then level=v2
      else level=v1; fi ;;
    *) level="$(uname -m)" ;;
  esac
fi
case "$level" in
  v3) isa=() ;;  # GGML_NATIVE=OFF defaults: SSE4.2 AVX AVX2 BMI2 FMA F16C; no AVX-512, no AMX.
  v2) isa=(-DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF) ;;
  v1) isa=(-DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF) ;;
  *) isa=() ;;   # other architectures: ggml's portable defaults
esac

cache_root="${PLANBENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/planbench}"
dest="$cache_root/llama-server-$version-$level"
bin="$dest/bin/llama-server"
link="$root/.venv/llama-server/bin/llama-server"

# The in-process llama.cpp, for the record: the llama-cpp-sys-2 version pinned in Cargo.lock
# and the ggml version of its sources in the cargo registry.
in_process() {
  local crate ver dir ggml
  crate="$(awk '/^name = "llama-cpp-sys-2"$/ {getline; gsub(/"/, "", $3); print $3; exit}' \
    "$root/Cargo.lock" 2>/dev/null || true)"
  ver="${crate:-unknown}"
  ggml="unknown"
  for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"llama-cpp-sys-2-$ver"; do
    [ -d "$dir" ] && { ggml="$(ggml_version "$dir/llama.cpp")"; break; }
  done
  echo "llama-cpp-sys-2 $ver (ggml $ggml)"
}

# The ggml version of a llama.cpp tree.
ggml_version() {
  awk '/^set\(GGML_VERSION_(MAJOR|MINOR|PATCH) / {gsub(/\)/, "", $2); v = v (v == "" ? "" : ".") $2}
       END {print (v == "" ? "unknown" : v)}' "$1/ggml/CMakeLists.txt" 2>/dev/null || echo unknown
}

# Fetches the sdist into $1: straight from the PyPI file host (the URL comes from PyPI's simple
# index), else through pip; either way checked against the pinned sha256.
fetch_sdist() {
  local dir="$1" url
  url="$(curl -fsSL -H 'Accept: application/vnd.pypi.simple.v1+json' \
      "https://pypi.org/simple/$pkg/" 2>/dev/null \
    | python3 -c 'import json, sys; name = sys.argv[1]
print(next(f["url"] for f in json.load(sys.stdin)["files"] if f["filename"] == name))' "$sdist" \
      2>/dev/null || true)"
  if [ -z "$url" ] || ! curl -fsSL --retry 3 -o "$dir/$sdist" "$url"; then
    echo "llama-server.sh: direct download failed; trying pip download" >&2
    rm -f "$dir/$sdist"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$dir" "$pkg==$version" >&2
  fi
  echo "$sdist_sha256  $dir/$sdist" | sha256sum -c --quiet - >&2 \
    || { echo "llama-server.sh: sha256 mismatch for $sdist" >&2; return 1; }
}

build() {
  for tool in cmake python3 curl tar; do
    command -v "$tool" >/dev/null || { echo "llama-server.sh: $tool is missing (run scripts/setup.sh)" >&2; return 1; }
  done
  command -v "${CXX:-c++}" >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null \
    || { echo "llama-server.sh: no C++ compiler (run scripts/setup.sh)" >&2; return 1; }
  mkdir -p "$cache_root"
  local work started src jobs
  work="$(mktemp -d "$cache_root/.build-llama-server-XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  started="$(date +%s)"
  echo "llama-server.sh: building llama-server from $pkg $version (llama.cpp b$llama_build," \
    "x86-64 level $level) into $dest; this takes a while" >&2
  fetch_sdist "$work"
  tar -xzf "$work/$sdist" -C "$work"
  src="$work/llama_cpp_python-$version/vendor/llama.cpp"
  [ -f "$src/tools/server/server.cpp" ] || { echo "llama-server.sh: no server sources in $sdist" >&2; return 1; }
  grep -q "llama.cpp@${llama_commit:0:9}" "$work/llama_cpp_python-$version/CHANGELOG.md" \
    || echo "llama-server.sh: warning: the sdist's CHANGELOG does not name llama.cpp ${llama_commit:0:9}" >&2
  jobs="${PLANBENCH_BUILD_JOBS:-2}"
  mkdir -p "$work/out/bin"
  {
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
      -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF \
      -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_NUMBER="$llama_build" \
      -DLLAMA_BUILD_COMMIT="${llama_commit:0:9}" "${isa[@]}"
    cmake --build "$work/build" --target llama-server -j "$jobs"
  } > "$work/out/build.log" 2>&1 || {
    tail -40 "$work/out/build.log" >&2
    echo "llama-server.sh: the build failed (log above)" >&2
    return 1
  }
  cp "$work/build/bin/llama-server" "$work/out/bin/llama-server"
  strip "$work/out/bin/llama-server" 2>/dev/null || true
  "$work/out/bin/llama-server" --version > "$work/out/version.txt" 2>&1 \
    || { cat "$work/out/version.txt" >&2; echo "llama-server.sh: the built program does not run" >&2; return 1; }
  cat > "$work/out/VERSION" <<EOF
server_source=$pkg $version ($sdist sha256 $sdist_sha256)
server_llama_cpp=b$llama_build $llama_commit
server_ggml=$(ggml_version "$src")
server_cpu_level=$level (GGML_NATIVE=OFF${isa[*]:+ ${isa[*]}})
server_version=$(tr '\n' ' ' < "$work/out/version.txt" | sed 's/ *$//')
server_build_seconds=$(( $(date +%s) - started ))
server_built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
in_process=$(in_process)
EOF
  # Publish whole or not at all: a half-built cache entry is never seen.
  rm -rf "$dest"
  mv "$work/out" "$dest"
  rm -rf "$work"
  trap - EXIT
  echo "llama-server.sh: built in $(grep server_build_seconds "$dest/VERSION" | cut -d= -f2) s" >&2
}

mkdir -p "$cache_root"
if [ "$mode" = "--rebuild" ] || [ ! -x "$bin" ] || [ ! -f "$dest/VERSION" ]; then
  # One build at a time per cache entry; whoever waits reuses the result.
  exec 9> "$cache_root/.llama-server-$version-$level.lock"
  flock 9
  if [ "$mode" = "--rebuild" ]; then rm -rf "$dest"; fi
  if [ ! -x "$bin" ] || [ ! -f "$dest/VERSION" ]; then build; fi
  flock -u 9
fi

# The path the launcher and tests use: a link to the cached build, replacing what an older
# version of this script installed there.
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null || true)" != "$bin" ]; then
  ln -sfn "$bin" "$link.new" && mv -fT "$link.new" "$link"
fi

case "$mode" in
  --check) "$bin" --version >&2 ;;
  --versions) cat "$dest/VERSION" >&2 ;;
esac
echo "$bin"
