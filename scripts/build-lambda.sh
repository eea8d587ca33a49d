#!/usr/bin/env bash
# Build the Lambda code folder (build/lambda) and zip (build/lambda.zip) for Lambda's Python 3.11 on x86_64:
# the core package only (no web or voice extras), so the upload stays small and cold starts fast.
# ask-resources.json points the ASK CLI at build/lambda.
#
#   scripts/build-lambda.sh             # the skill; with HAMSTRING_DYNAMODB_TABLE set, it saves the place there
#   scripts/build-lambda.sh --dynamodb  # also the official ask-sdk DynamoDB adapter
#
# On Lambda the skill's own DynamoDB adapter is used (the credentials are in the environment); the official one is
# only for set-ups it leaves to boto (skill/store/settings.py: uses_own_adapter). The Lambda Python runtime ships
# boto3, so only the adapter itself is added (--no-deps): bundling boto3 again would add ~80 MB.
set -euo pipefail
DYNAMODB=0
for arg in "$@"; do
  case "$arg" in
    --dynamodb) DYNAMODB=1 ;;
    *) echo "build-lambda: unknown option $arg (use --dynamodb)" >&2; exit 2 ;;
  esac
done
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
  if [ "$DYNAMODB" = 1 ]; then
    "$PY" -m pip install --target build/lambda --no-deps --platform manylinux2014_x86_64 --python-version 3.11 \
      --implementation cp --only-binary=:all: "ask-sdk-dynamodb-persistence-adapter>=1.19,<2"
  fi
} >"$log" 2>&1 || { cat "$log" >&2; echo "build-lambda: failed (log above)" >&2; exit 1; }
# Lambda's code folder is read-only, so a .pyc that does not match its source is compiled again on every cold start
# (a third of ours, measured). pip's .pyc files check the source's time, which a zip keeps only to 2 s: these check
# nothing (the package never changes once uploaded). Only Python 3.11 writes bytecode Lambda's 3.11 runtime reads.
if "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  "$PY" -m compileall -q -f --invalidation-mode unchecked-hash build/lambda >>"$log" 2>&1 \
    || { cat "$log" >&2; echo "build-lambda: compiling failed (log above)" >&2; exit 1; }
else
  echo "build-lambda: $("$PY" -V 2>&1) is not Python 3.11, so the package has no bytecode Lambda can use" >&2
fi
(cd build/lambda && "$PY" -m zipfile -c ../lambda.zip .)
extra=""
[ "$DYNAMODB" = 1 ] && extra=" (with the official DynamoDB adapter too)"
echo "build/lambda.zip: $(du -h build/lambda.zip | cut -f1); handler skill.lambda_function.handler$extra"
