#!/usr/bin/env bash
# Rust (Flex CPU backend, simd + rayon) vs PyTorch CPU on the same machine, interleaved: one PAD
# iteration at batch 64 on CIFAR shapes, per phase, REPS rounds of (pad bench; PyTorch bench), each
# the median of 3 timed iterations after a warm-up; prints every round and the medians.
#   REPS=5 bash benches/reference/speed.sh
#   BEFORE=/path/to/older/pad REPS=5 bash benches/reference/speed.sh    (a third column: an older build,
#   in the same rounds — a before/after that saw the same load)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${PAD_TORCH_VENV:-$HOME/.cache/pad-torch}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, safetensors" 2>/dev/null || "$venv/bin/pip" install -q torch safetensors numpy
cargo build --release --quiet --bin pad
pad="${CARGO_TARGET_DIR:-target}/release/pad"
log=$(mktemp)
rust() {  # rust IMPL BINARY ROUND
  "$2" bench --device cpu --batch 64 --channels 3 --iters 3 2>/dev/null | awk -v impl="$1" -v round="$3" -f benches/bench-row.awk | tee -a "$log"
}
for r in $(seq "${REPS:-5}"); do
  [ -z "${BEFORE:-}" ] || rust before "$BEFORE" "$r"
  rust rust "$pad" "$r"
  "$venv/bin/python" benches/reference/pad_torch.py --bench 64 3 3 | tee -a "$log"
done
"$venv/bin/python" - "$log" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
impls = [i for i in ("before", "rust", "pytorch") if any(r["impl"] == i for r in rows)]
med = {i: {k: statistics.median(r[k] for r in rows if r["impl"] == i) for k in ("wake_ms", "nrem_ms", "rem_ms", "total_ms")} for i in impls}
before = "before" in med
print("| phase |" + (" Rust before ms | Rust before / PyTorch |" if before else "") + " Rust (Flex) ms | PyTorch CPU ms | Rust / PyTorch |")
print("| --- |" + (" --- | --- |" if before else "") + " --- | --- | --- |")
for k in ("wake_ms", "nrem_ms", "rem_ms", "total_ms"):
    old = f" {med['before'][k]:.1f} | {med['before'][k] / med['pytorch'][k]:.2f} |" if before else ""
    print(f"| {k[:-3]} |{old} {med['rust'][k]:.1f} | {med['pytorch'][k]:.1f} | {med['rust'][k] / med['pytorch'][k]:.2f} |")
PY
