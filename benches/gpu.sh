#!/usr/bin/env bash
# PAD on a real GPU, in under 8 minutes, on a machine with an NVIDIA GPU and no network (the
# `device` tool's machine: PyTorch with CUDA, no Rust): Burn's wgpu backend on Vulkan — the same
# cubecl kernels the page runs on WebGPU — against the PyTorch reference on CUDA, interleaved, per
# phase (one PAD iteration at batch 64 on CIFAR shapes; each number the median of ITERS timed
# iterations after a warm-up, REPS rounds), and first the page's self-check numerics, wgpu vs the
# CPU backend. Prints every round, the medians as a table, and writes them to $OUT (or out/gpu/).
#
# Here (where Rust is), once:
#   cargo build --release --bin pad                       # default features: the wgpu backend
#   mkdir -p .gpu && cp "${CARGO_TARGET_DIR:-target}/release/pad" .gpu/ && echo /.gpu/ >> .git/info/exclude
#   # the Vulkan loader, which that machine lacks (the device tool's README):
#   echo /.gl/ >> .git/info/exclude; mkdir -p .gl /tmp/amd64/partial
#   o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#   apt-get $o update; (cd .gl && apt-get $o download libvulkan1)
# There: run `bash benches/gpu.sh` with `.gpu` and `.gl` carried.
#
# Elsewhere: PAD=path/to/pad (default .gpu/pad, then the cargo target), PYTHON (default python3),
# TORCH_DEVICE=cuda|cpu, REPS (3), ITERS (5), BATCH (64). On a machine without a GPU, wgpu picks a
# software Vulkan driver (lavapipe) and TORCH_DEVICE=cpu: that checks the script, not a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-3} iters=${ITERS:-5} batch=${BATCH:-64} torch_device=${TORCH_DEVICE:-cuda}
python=${PYTHON:-python3}
out=${OUT:-out/gpu}
mkdir -p "$out"
pad=${PAD:-}
if [ -z "$pad" ]; then
  for p in .gpu/pad "${CARGO_TARGET_DIR:-target}/release/pad"; do [ -x "$p" ] && pad=$p && break; done
fi
[ -n "$pad" ] && [ -x "$pad" ] || { echo "gpu.sh: no pad binary (build it here and carry it as .gpu/pad: see the header)" >&2; exit 1; }

# The Vulkan loader, carried as Debian packages, when the machine has none.
if ! ldconfig -p | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && export VK_DRIVER_FILES=$icd

{
  echo "date: $(date -u +%FT%TZ)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) threads)"
  "$python" -c "import torch; print('torch:', torch.__version__, 'cuda:', torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA device')"
} | tee "$out/machine.txt"

# The self-check numerics (the page's: train/verify.rs), and the first kernels compiled.
timeout 240 "$pad" bench --device wgpu --self-check --batch "$batch" --iters 1 2>&1 | tee "$out/self-check.txt"

log="$out/rounds.jsonl"
: > "$log"
wgpu() {  # one round of pad bench on wgpu, as a JSON line
  timeout 120 "$pad" bench --device wgpu --batch "$batch" --channels 3 --iters "$iters" 2>/dev/null \
    | awk -v impl=rust-wgpu -v round="$1" -f benches/bench-row.awk
}
for r in $(seq "$reps"); do
  wgpu "$r" | tee -a "$log"
  timeout 120 "$python" benches/reference/pad_torch.py --bench "$batch" 3 "$iters" "$torch_device" | tee -a "$log"
done
"$python" - "$log" "$torch_device" <<'PY' | tee "$out/table.md"
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = ("wake_ms", "nrem_ms", "rem_ms", "total_ms")
med = {i: {k: statistics.median(r[k] for r in rows if r["impl"] == i) for k in keys} for i in ("rust-wgpu", "pytorch")}
print(f"| phase | Rust, Burn wgpu (Vulkan) ms | PyTorch {sys.argv[2]} ms | Rust / PyTorch |")
print("| --- | --- | --- | --- |")
for k in keys:
    print(f"| {k[:-3]} | {med['rust-wgpu'][k]:.2f} | {med['pytorch'][k]:.2f} | {med['rust-wgpu'][k] / med['pytorch'][k]:.2f} |")
PY
