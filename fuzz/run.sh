#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 120) with libFuzzer (nightly + cargo-fuzz), one
# after the other, and print one line per target: executions, corpus size, findings. Inputs that
# crash land in fuzz/artifacts/<target>/; copy each (after fixing it) to fuzz/regressions/<target>/
# so the stable replay (tests/fuzz_corpus.rs) keeps checking it.
#
#   cargo install cargo-fuzz --locked && bash fuzz/run.sh 120 [target ...]
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(idx cifar svhn bundle upload url checkpoint)
for t in "${targets[@]}"; do
  features=()
  [ "$t" = checkpoint ] && features=(--features checkpoint)
  log="$(mktemp)"
  # -malloc_limit_mb: a single allocation beyond 1 GB is a finding (a lying header must not allocate).
  cargo +nightly fuzz run -O "${features[@]}" "$t" -- -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  echo "$t: ${seconds} s, ${runs:-?} executions, corpus ${corpus} inputs, ${crashes} crash/oom/timeout artifacts, exit ${rc}"
  [ $rc -ne 0 ] && grep -E "^(==|SUMMARY|thread|panicked|ERROR)" "$log" | head -8
  rm -f "$log"
done
