#!/usr/bin/env bash
# Runs the benchmarks RUNS times (default 3), each in its own process, and
# prints, for every comparison line, the median of the per-run ratios.
#
#   scripts/bench-ratios.sh                 # every bench, quick mode
#   scripts/bench-ratios.sh --bench pool    # one bench
#   RUNS=5 QUICK=0 scripts/bench-ratios.sh  # five full runs
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
export ASYNC_KIT_BENCH_QUICK=${QUICK:-1}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo bench -p async-kit-benches --no-run "$@" >/dev/null 2>&1
for i in $(seq "$runs"); do
  echo "run $i of $runs..." >&2
  cargo bench -p async-kit-benches -q "$@" 2>/dev/null | grep ' vs .* = ' >>"$out"
done
# "group: ours vs peer = ratio (...)" -> median ratio per "group: ours vs peer".
awk -F' = ' '
  { key = $1; split($2, rest, " "); n[key]++; r[key, n[key]] = rest[1]; if (!(key in order)) { order[key] = ++k; keys[k] = key } }
  END {
    for (i = 1; i <= k; i++) {
      key = keys[i]; m = n[key]
      for (a = 1; a <= m; a++) v[a] = r[key, a]
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (v[b] + 0 < v[a] + 0) { t = v[a]; v[a] = v[b]; v[b] = t }
      printf "%s = %s (median of %d runs)\n", key, v[int((m + 1) / 2)], m
    }
  }' "$out"
