#!/usr/bin/env bash
# Idempotent set-up shared by ./run.sh and ./test.sh: system libraries (when we may install them), a virtual
# environment in .venv, and the project installed into it. Re-running is cheap: a stamp records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
extras=${1:-server,voice}

need_apt=()
libs=$(ldconfig -p 2>/dev/null || true)   # read once: `ldconfig | grep -q` trips pipefail on SIGPIPE
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v flite >/dev/null 2>&1 || need_apt+=(flite)   # the voice benchmark's second synthesizer family
command -v aplay >/dev/null 2>&1 || need_apt+=(alsa-utils)   # pyttsx3 plays speech through aplay on Linux
grep -q libportaudio.so.2 <<<"$libs" || need_apt+=(libportaudio2)
grep -q libsndfile.so.1 <<<"$libs" || need_apt+=(libsndfile1)
# The simulator's browser tests drive Debian's Chromium with Playwright (no browser download).
[[ ",$extras," == *",dev,"* ]] && ! command -v chromium >/dev/null 2>&1 && need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${need_apt[*]}" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"; } >/dev/null 2>&1 \
      || echo "setup: could not install ${need_apt[*]} (continuing: the bundled fallbacks are used)" >&2
  else
    echo "setup: optional system packages missing: ${need_apt[*]} (install them with your package manager;" \
         "the bundled fallbacks are used meanwhile)" >&2
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
      || echo "setup: npm install apl-suggester failed (see .cache/npm-install.log); the APL tests will fail" >&2
  else
    echo "setup: npm not found: the APL validation tests will be skipped (install Node.js and npm)" >&2
  fi
fi
