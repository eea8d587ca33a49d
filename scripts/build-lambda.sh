#!/usr/bin/env bash
# Build the Lambda code folder (build/lambda) and zip (build/lambda.zip) for Lambda's Python 3.11 on x86_64:
# the core package only (no web or voice extras), so the upload stays small and cold starts fast.
# ask-resources.json points the ASK CLI at build/lambda.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && PY=${PYTHON:-$PWD/.venv/bin/python}
rm -rf build/lambda build/lambda.zip build/wheel
log=build/lambda-build.log
mkdir -p build
{
  "$PY" -m pip wheel --no-deps -w build/wheel .
  # Lambda's own platform, whatever this machine is: binary wheels only.
  "$PY" -m pip install --target build/lambda --platform manylinux2014_x86_64 --python-version 3.11 \
    --implementation cp --only-binary=:all: build/wheel/*.whl
} >"$log" 2>&1 || { cat "$log" >&2; echo "build-lambda: failed (log above)" >&2; exit 1; }
(cd build/lambda && "$PY" -m zipfile -c ../lambda.zip .)
echo "build/lambda.zip: $(du -h build/lambda.zip | cut -f1); handler skill.lambda_function.handler"
