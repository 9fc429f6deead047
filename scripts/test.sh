#!/usr/bin/env bash
# Every test of the workspace. The async-kit-redis tests start their own
# redis-server, so this installs Debian's package first when it is missing
# (as root, or through sudo), then runs the workspace's tests; extra
# arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found: installing Debian's redis-server package" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  # The package starts a system-wide server on port 6379; the tests use
  # their own servers, so stop it where a service manager runs.
  $sudo service redis-server stop >/dev/null 2>&1 || true
fi

exec cargo test --workspace --all-features --locked "$@"
