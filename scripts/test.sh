#!/usr/bin/env bash
# Run every test of the project, each artifact built once:
#   setup     what building and testing need (scripts/setup.sh; skips what is there)
#   fmt       cargo fmt --check
#   native    the native test suite (CPU backend), built with clippy-driver as the workspace's
#             compiler, so that one compile both lints (-D warnings) and builds it
#   gpu-lint  clippy on the native `gpu` feature (the CLI's --device wgpu), which the tests leave out
#   cuda-lint clippy on the `cuda` feature (--device cuda): type-checked only, see below
#   page      the page as the tests drive it (trunk build, profile web-dev), linted the same way
#   browser   the page end to end (tests/e2e/): in headless Chromium, one WebGPU scenario on a
#             software adapter (its self-check against the CPU included), the rest on the CPU backend;
#             a short run in Firefox and one in WebKit (engines.test.mjs)
# Ends with the time of each phase and one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

times=$(mktemp)
log=$(mktemp)
summary() {
  echo
  echo "phase times (s):"
  column -t "$times" 2>/dev/null || cat "$times"
  awk '/^test result:/ { p += $4; f += $6 } /^ℹ pass / { p += $3 } /^ℹ fail / { f += $3 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
  rm -f "$times" "$log"
}
trap summary EXIT
# `timed NAME COMMAND…`: run a phase and record its wall time.
timed() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  echo "$name $((SECONDS - start))$([ $rc = 0 ] || echo " (failed)")" >> "$times"
  return $rc
}
start=$SECONDS

timed setup bash scripts/setup.sh
export PATH="$PWD/scripts/node_modules/.bin:$PATH"   # wasm-opt for trunk

timed fmt cargo fmt --check

# clippy-driver compiles as rustc does, and lints the workspace's crates on the way: the test build
# is the lint (no separate `cargo clippy`, whose metadata-only dependency builds the tests could
# not reuse). CLIPPY_ARGS is how cargo-clippy hands it its arguments.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

native() {
  cargo test --release --no-default-features --features trainer 2>&1 | tee -a "$log"
}
timed native native
timed gpu-lint cargo clippy --release --features gpu --lib --bins -- -D warnings
# Burn's CUDA backend cannot be *built* here: cubecl-cuda's LLVM (tracel-llvm-bundler) downloads a
# prebuilt LLVM from GitHub in its build script, and CI reaches only package registries. DOCS_RS=1
# makes that build script skip the download (as on docs.rs), which is enough to type-check and lint
# the `cuda` code path; its own target folder keeps the main build cache untouched by the variable.
cuda_lint() {
  DOCS_RS=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/cuda-lint" \
    cargo clippy --release --no-default-features --features cuda --lib --bins -- -D warnings
}
timed cuda-lint cuda_lint

# The page (worker and page modules) as the browser tests load it; `trunk build --release` is
# what ships (scripts/serve.sh): fat LTO and wasm-opt for size, minutes more of linking.
page() {
  trunk build
  echo "browser build: ok ($(du -sh dist | cut -f1) in dist/)"
}
timed page page
browser() {
  (cd tests/e2e && node --test --test-concurrency=1 --test-reporter=spec .) 2>&1 | tee -a "$log"
}
timed browser browser
echo "total $((SECONDS - start))" >> "$times"
