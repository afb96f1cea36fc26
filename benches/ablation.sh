#!/usr/bin/env bash
# The ablation table on our subsets: linear-probe accuracy (official and stable) of every variant
# after a short run, next to the untrained encoder (the epoch-0 row of each run).
#   EPOCHS=5 bash benches/ablation.sh            # writes runs/ablation/<dataset>/<variant>/ and a table
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-5}
OUT=${OUT:-runs/ablation}
VARIANTS=${VARIANTS:-"pad no-nrem no-rem no-memory-mix wake-only"}
cargo build --release --quiet --bin pad
PAD="${CARGO_TARGET_DIR:-target}/release/pad"
CIFAR=../shared/data/cifar10
declare -A DATA=([mnist]="--dataset mnist")
if [ -f "$CIFAR/data_batch_1.bin" ]; then
  DATA[cifar10]="--dataset cifar10:$CIFAR/data_batch_1.bin --test $CIFAR/test_batch.bin"
fi
for name in ${DATASETS:-cifar10 mnist}; do
  [ -n "${DATA[$name]:-}" ] || { echo "skipping $name (no data)"; continue; }
  for v in $VARIANTS; do
    dir="$OUT/$name/$v"
    if [ -f "$dir/metrics.csv" ] && grep -q "^$EPOCHS," "$dir/metrics.csv"; then continue; fi
    rm -rf "$dir"
    # shellcheck disable=SC2086
    "$PAD" train ${DATA[$name]} --variant "$v" --epochs "$EPOCHS" --probe-every "$EPOCHS" --seed 0 --out "$dir"
  done
done
echo
echo "| dataset | variant | official probe (per-batch mean) | official (all test images) | stable probe |"
echo "| --- | --- | --- | --- | --- |"
for name in ${DATASETS:-cifar10 mnist}; do
  for v in $VARIANTS; do
    f="$OUT/$name/$v/metrics.csv"
    [ -f "$f" ] || continue
    if [ "$v" = "$(echo $VARIANTS | cut -d' ' -f1)" ]; then
      awk -F, -v n="$name" '$1=="0" {printf "| %s | untrained encoder | %.2f %% | %.2f %% | %.2f %% |\n", n, $8*100, $9*100, $10*100}' "$f"
    fi
    awk -F, -v n="$name" -v v="$v" -v e="$EPOCHS" '$1==e {printf "| %s | %s (epoch %s) | %.2f %% | %.2f %% | %.2f %% |\n", n, v, e, $8*100, $9*100, $10*100}' "$f"
  done
done
