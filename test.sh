#!/usr/bin/env bash
# Set up (first time only, with the test extras) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh server,voice,dev
exec .venv/bin/python -m pytest "$@"
