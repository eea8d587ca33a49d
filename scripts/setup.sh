#!/usr/bin/env bash
# Idempotent set-up shared by ./run.sh and ./test.sh: system libraries (when we may install them), a virtual
# environment in .venv, and the project installed into it. Re-running is cheap: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
extras=${1:-server,voice,understanding}

# System packages: scripts/system-packages.txt says which, and which extras need them. Installed when we may
# (root or sudo), and a failure stops the set-up; without either, the missing ones are named and the tests that need
# them skip saying so (CI fails on such a skip: tests/conftest.py).
libs=$(ldconfig -p 2>/dev/null || true)   # read once: `ldconfig | grep -q` trips pipefail on SIGPIPE
missing=()
while read -r package provides needed_by; do
  case "$package" in ''|'#'*) continue ;; esac
  wanted=0
  for extra in ${needed_by//,/ }; do [[ ",$extras," == *",$extra,"* ]] && wanted=1; done
  [ "$wanted" = 1 ] || continue
  if [[ "$provides" == *.so* ]]; then grep -q "$provides" <<<"$libs" && continue
  else command -v "$provides" >/dev/null 2>&1 && continue; fi
  missing+=("$package")
done < scripts/system-packages.txt
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
    bash scripts/install-system-packages.sh "${missing[@]}"
  else
    echo "setup: system packages missing: ${missing[*]} (install them: sudo bash scripts/install-system-packages.sh" \
         "${missing[*]}); the tests that need them skip meanwhile" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.hamstring-installed
want="$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras}"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  spec="."
  [ -n "$extras" ] && spec=".[${extras}]"
  echo "setup: installing $spec into .venv (first run takes a minute)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" > .venv/install.log 2>&1 \
    || { cat .venv/install.log >&2; echo "setup: pip install failed (log above)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# The test extras also need Amazon's APL validator (npm's apl-suggester) for tests/test_apl.py, in a git-ignored
# folder; installed once, skipped when already there.
if [[ ",$extras," == *",dev,"* ]] && [ ! -f .cache/npm/node_modules/apl-suggester/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing apl-suggester (APL validator) into .cache/npm" >&2
    mkdir -p .cache/npm
    npm install --prefix .cache/npm --no-audit --no-fund apl-suggester@2024 > .cache/npm-install.log 2>&1 \
      || { tail -n 30 .cache/npm-install.log >&2; echo "setup: npm install apl-suggester failed (above)" >&2; exit 1; }
  else
    echo "setup: npm not found: the APL validation tests skip (install Node.js and npm)" >&2
  fi
fi
