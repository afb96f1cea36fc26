#!/usr/bin/env bash
# The test command as a new machine runs it: a fresh clone of this repository's HEAD, an empty cargo
# home (no crates downloaded, no trunk or wasm-bindgen-cli installed: setup.sh installs them), an
# empty CARGO_TARGET_DIR, and no npm packages. The Rust toolchain itself (rustup's, with its
# wasm32 target once added) is shared; with FRESH_APT=1 Debian's chromium is removed first so that
# setup.sh installs it again (root). Prints the test command's phase times; its log is in
# out/fresh/test.log. Takes 30–45 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/pad-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
mkdir -p "$work/cargo/bin" "$work/bin" "$repo/out/fresh"
# The toolchain's own commands (rustup proxies), without anything `cargo install` put beside them.
for tool in cargo rustc rustup rustdoc rustfmt cargo-fmt cargo-clippy clippy-driver; do
  ln -s "$(command -v "$tool")" "$work/bin/$tool"
done
if [ "${FRESH_APT:-0}" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq chromium >/dev/null
  apt-get clean
fi
start=$SECONDS
env CARGO_HOME="$work/cargo" CARGO_TARGET_DIR="$work/target" \
  PATH="$work/cargo/bin:$work/bin:/usr/local/bin:/usr/bin:/bin" \
  bash "$work/clone/scripts/test.sh" 2>&1 | tee "$repo/out/fresh/test.log" | grep -E '^(phase times|[a-z-]+ +[0-9]+|tests: )'
echo "fresh machine: $((SECONDS - start)) s in all"
