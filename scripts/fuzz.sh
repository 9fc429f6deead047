#!/usr/bin/env bash
# Fuzzes the #[timeout] attribute (fuzz/fuzz_targets/timeout_attribute.rs)
# for a bounded time: arbitrary arguments and items must give an expansion or
# a compile error, never a panic. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --locked`); the stable build never does.
#
#   scripts/fuzz.sh        # 60 seconds
#   scripts/fuzz.sh 600    # ten minutes
#
# The corpus grows in fuzz/corpus/ (not committed); the seeds in
# fuzz/seeds/ are. A crash leaves its input in fuzz/artifacts/ and fails.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: no nightly toolchain (cargo +nightly), which cargo-fuzz needs" >&2
  exit 3
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 3
fi
mkdir -p corpus/timeout_attribute
cargo +nightly fuzz run timeout_attribute corpus/timeout_attribute seeds/timeout -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1
