#!/usr/bin/env bash
# Install Debian packages by name, loudly: apt's own output on failure, and a non-zero exit. Needs root (or sudo).
set -euo pipefail
[ $# -gt 0 ] || exit 0
as_root=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || {
    echo "install-system-packages: need root or passwordless sudo to install: $*" >&2; exit 1; }
  as_root=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-system-packages: no apt-get here; install by hand: $*" >&2; exit 1; }
log=$(mktemp)
echo "setup: installing system packages: $*" >&2
if ! { "${as_root[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
      --no-install-recommends "$@"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install-system-packages: apt-get could not install: $* (its output above)" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
