#!/usr/bin/env bash
# Install what building, serving and testing need, skipping what is already there at the right
# version: rustfmt/clippy, the wasm target, wasm-bindgen-cli (must equal the wasm-bindgen crate),
# trunk, binaryen's wasm-opt (npm), Debian's Chromium, Firefox ESR and WebKitGTK's WebDriver with Xvfb
# (the browser tests, one engine each), a font for the CLI's plots, and the browser tests' npm packages. Works on a fresh machine with Rust, apt and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# System packages (as root, through apt): the browser tests' three engines and the plots' font.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || missing+=(webkit2gtk-driver)
[ -x /usr/bin/Xvfb ] || missing+=(xvfb)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]} (Debian packages)" >&2
    exit 1
  fi
fi

# wasm-opt for the browser build (binaryen from npm: Debian's 108 breaks wasm-bindgen's
# reference-type tables); trunk finds it on PATH (scripts/test.sh, scripts/serve.sh).
if [ ! -x scripts/node_modules/.bin/wasm-opt ]; then
  (cd scripts && npm ci --no-audit --no-fund --loglevel=error)
fi

# The browser tests' drivers (no bundled browser): playwright-core drives /usr/bin/chromium,
# puppeteer-core drives /usr/bin/firefox-esr over WebDriver BiDi.
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/@axe-core/playwright ] \
  || [ ! -d tests/e2e/node_modules/puppeteer-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
