#!/usr/bin/env bash
# Runs the library's unit and integration tests under AddressSanitizer, which
# guards the crate's one unsafe module (async-kit/src/task/pool/job.rs): a
# use-after-free or double drop in it is a report here, not a silent
# corruption. Needs a nightly toolchain (`cargo +nightly`); the stable build
# never does. Uses its own target directory: the sanitizer rebuilds every
# dependency.
#
#   scripts/asan.sh                # every test of async-kit
#   scripts/asan.sh --test task_pool
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "asan.sh: no nightly toolchain (cargo +nightly), which AddressSanitizer needs" >&2
  exit 3
fi
target=$(rustc -vV | sed -n 's/^host: //p')
# Leak detection reports the runtime's deliberately leaked thread-locals at
# exit; use-after-free, overflows and double frees are what this is for.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/asan"
if [ $# -eq 0 ]; then
  set -- --lib --tests
fi
cargo +nightly test -p async-kit --all-features --locked --target "$target" "$@"
