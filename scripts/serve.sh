#!/usr/bin/env bash
# Serve the app on http://127.0.0.1:8080 (bundled data as the default dataset).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/scripts/node_modules/.bin:$PATH"   # wasm-opt for trunk
exec trunk serve --release "$@"
