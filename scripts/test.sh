#!/usr/bin/env bash
# Run every test of the project: formatting and lints, the native test suite (CPU backend), and the
# browser build. Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --release 2>&1 | tee "$log"
# The page must keep building for wasm (the browser app's issue builds on it).
trunk build
echo "browser build: ok ($(du -sh dist | cut -f1) in dist/)"
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
