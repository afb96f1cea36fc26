#!/usr/bin/env bash
# The test command under load: RUNS (3) consecutive runs of `bash scripts/test.sh`, each beside a
# CPU hog — a busy loop at normal priority (nice 0) taking one of the machine's cores, as a
# neighbour on a shared CI machine would. Each run's log goes to out/loaded/run-N.log; the end
# prints every run's time and summary line and fails if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pad-target}"   # as .ci/run: the build cache CI keeps
runs=${RUNS:-3}
out=out/loaded
mkdir -p "$out"
hog=
stop_hog() { [ -n "$hog" ] && kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null; hog=; }
trap stop_hog EXIT
failed=0
results=()
for n in $(seq 1 "$runs"); do
  nice -n 0 bash -c 'while :; do :; done' &
  hog=$!
  start=$SECONDS
  bash scripts/test.sh > "$out/run-$n.log" 2>&1
  rc=$?
  stop_hog
  line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$out/run-$n.log" | tail -1)
  results+=("run $n: $((SECONDS - start)) s, exit $rc, ${line:-no summary line}")
  echo "${results[-1]}"
  [ $rc = 0 ] && [[ $line =~ \ 0\ failed ]] || failed=1
done
printf '%s\n' "${results[@]}" > "$out/summary.txt"
echo "loaded runs: $runs, with a busy loop on one core beside each ($(nproc) cores); failed: $failed"
exit $failed
