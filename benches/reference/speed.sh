#!/usr/bin/env bash
# Rust (Flex CPU backend, simd + rayon) vs PyTorch CPU on the same machine, interleaved: one PAD
# iteration at batch 64 on CIFAR shapes, per phase, REPS rounds of (pad bench; PyTorch bench), each
# the median of 3 timed iterations after a warm-up; prints every round and the medians.
#   REPS=5 bash benches/reference/speed.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PAD_TORCH_VENV:-$HOME/.cache/pad-torch}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, safetensors" 2>/dev/null || "$venv/bin/pip" install -q torch safetensors numpy
cargo build --release --quiet --bin pad
pad="${CARGO_TARGET_DIR:-target}/release/pad"
log=$(mktemp)
for r in $(seq "${REPS:-5}"); do
  "$pad" bench --device cpu --batch 64 --channels 3 --iters 3 2>/dev/null | awk -v r="$r" '
    /Wake/ {w=$2} /NREM/ {n=$2} /REM/ && !/NREM/ {m=$2} /total/ {t=$2}
    END {printf "{\"impl\": \"rust\", \"round\": %d, \"wake_ms\": %s, \"nrem_ms\": %s, \"rem_ms\": %s, \"total_ms\": %s}\n", r, w, n, m, t}' | tee -a "$log"
  "$venv/bin/python" benches/reference/pad_torch.py --bench 64 3 3 | tee -a "$log"
done
"$venv/bin/python" - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = {i: {k: statistics.median(r[k] for r in rows if r["impl"] == i) for k in ("wake_ms", "nrem_ms", "rem_ms", "total_ms")} for i in ("rust", "pytorch")}
print("| phase | Rust (Flex) ms | PyTorch CPU ms | Rust / PyTorch |")
print("| --- | --- | --- | --- |")
for k in ("wake_ms", "nrem_ms", "rem_ms", "total_ms"):
    print(f"| {k[:-3]} | {med['rust'][k]:.1f} | {med['pytorch'][k]:.1f} | {med['rust'][k] / med['pytorch'][k]:.2f} |")
PY
