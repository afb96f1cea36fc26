#!/usr/bin/env bash
# Run every test of the project: the native test suite (CPU backend) and the browser build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
cargo test --release
# The page must keep building for wasm (the browser app's issue builds on it).
trunk build
echo "browser build: ok ($(du -sh dist | cut -f1) in dist/)"
