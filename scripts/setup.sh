#!/usr/bin/env bash
# Install what building, serving and testing need, skipping what is already there at the right
# version: the wasm target, wasm-bindgen-cli (must equal the wasm-bindgen crate), trunk, and a font
# for the CLI's plots. Works on a fresh machine with Rust, apt and npm.
set -euo pipefail

WASM_BINDGEN=0.2.130
TRUNK=0.21.14   # trunk 0.22.x needs rustc >= 1.96.1

for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN"; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN"   # no --locked: see README
fi
if ! trunk --version 2>/dev/null | grep -q "$TRUNK"; then
  cargo install trunk --version "$TRUNK" --locked
fi
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null) || echo "note: no font installed; plots will have no labels"
fi
