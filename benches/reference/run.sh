#!/usr/bin/env bash
# The numeric cross-check against a PyTorch reference of the same model (benchmark tooling: never
# needed by the app, the test command or CI). Installs torch + safetensors from PyPI into a venv
# under ~/.cache, records Rust iterations with `pad reference`, and compares them in PyTorch.
#   bash benches/reference/run.sh [variant ...]        (default: pad no-nrem no-rem)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PAD_TORCH_VENV:-$HOME/.cache/pad-torch}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, safetensors" 2>/dev/null || "$venv/bin/pip" install -q torch safetensors numpy
out=out/reference
rm -rf "$out"
for variant in "${@:-pad no-nrem no-rem}"; do
  for v in $variant; do
    cargo run --release --quiet --bin pad -- reference --out "$out" --variant "$v" --batch 8 --iterations 3
  done
done
"$venv/bin/python" benches/reference/pad_torch.py "$out" | tee "$out/cross-check.txt"
