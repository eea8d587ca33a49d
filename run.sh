#!/usr/bin/env bash
# Set up (first time only) and start the assistant. Extra arguments go to `hamstring voice`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/hamstring voice "$@"
