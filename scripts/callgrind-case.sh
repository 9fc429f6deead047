#!/usr/bin/env bash
# Counts the instructions one benchmark case executes, repeatably, whatever
# else the machine does: runs the bench binary under callgrind once with no
# case and once with the given case (ASYNC_KIT_BENCH_ONLY, see
# benches/harness/mod.rs), and prints the difference, total and per item.
#
#   scripts/callgrind-case.sh pool "[ct]: TaskPool::spawn (inherits)" 100000
#
# Arguments: the bench name, the case's label (or a unique part of it), and
# the items it handles (a batch's size, or ONLY_ITERS = 10000 for a
# micro-operation). Needs valgrind (apt-get install -y valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=$1 case=$2 items=$3
bin=$(cargo bench -p async-kit-benches --bench "$bench" --no-run 2>&1 |
  sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -n 1)
count() {
  local out
  out=$(mktemp)
  ASYNC_KIT_BENCH_QUICK=1 ASYNC_KIT_BENCH_ONLY="$1" \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" >/dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
  rm -f "$out"
}
base=$(count "no case matches this label")
with=$(count "$case")
echo "$case: $((with - base)) instructions, $(((with - base) / items)) per item"
