#!/usr/bin/env bash
# Run every test of the project: formatting and lints (native and wasm), the native test suite
# (CPU backend), the model on WebGPU in headless Chromium (wasm-bindgen-test), the page's build,
# and the page end to end in headless Chromium. Ends with one summary line:
# "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/scripts/node_modules/.bin:$PATH"   # wasm-opt for trunk
export CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900

cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
cargo clippy --profile web --target wasm32-unknown-unknown --lib --bins --test web -- -D warnings
cargo clippy --profile web --target wasm32-unknown-unknown --no-default-features --lib --bin app -- -D warnings  # the page's build

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --release 2>&1 | tee "$log"
# The model on WebGPU (software adapter) vs the CPU backend, in the browser.
cargo test --profile web --target wasm32-unknown-unknown --test web 2>&1 | tee -a "$log"
# The page, built as it is served, then driven end to end (screenshot and timings in out/e2e/).
trunk build --release
echo "browser build: ok ($(du -sh dist | cut -f1) in dist/)"
(cd tests/e2e && node --test --test-concurrency=1 --test-reporter=spec .) 2>&1 | tee -a "$log"

awk '/^test result:/ { p += $4; f += $6 } /^ℹ pass / { p += $3 } /^ℹ fail / { f += $3 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
