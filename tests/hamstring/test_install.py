"""The core package alone, as AWS Lambda gets it: a fresh virtual environment (no system site packages) with only
the core dependencies from PyPI (pip's cache makes repeat runs quick), the project installed with --no-deps, and the
command run from outside the checkout so nothing is imported from the source tree."""

from __future__ import annotations

import subprocess
import venv
from importlib.metadata import requires

import pytest

from tests.kit.project import ROOT

# The core requirements as pyproject.toml declares them (read from the installed metadata: no extras).
CORE = [r for r in requires("hamstring-cramp-helper") or [] if "extra ==" not in r]


@pytest.fixture(scope="module")
def core_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("core-install")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(home / "env")
    python = home / "env" / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for step in (pip + CORE, pip + ["--no-deps", str(ROOT)]):
        result = subprocess.run(step, capture_output=True, timeout=600, cwd=home)
        assert result.returncode == 0, result.stderr.decode()[-2000:]
    return home


def hamstring(core_env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(core_env / "env" / "bin" / "hamstring"), *args], capture_output=True, timeout=120,
                          cwd=core_env)


def test_core_install_has_only_the_core(core_env):
    script = "import importlib.util as u; print([m for m in ('flask', 'numpy', 'gunicorn') if u.find_spec(m)])"
    result = subprocess.run([str(core_env / "env" / "bin" / "python"), "-c", script], capture_output=True,
                            cwd=core_env, timeout=60)
    assert result.stdout.decode().strip() == "[]"


def test_help_and_ask_work_on_the_core_install(core_env):
    helped = hamstring(core_env, "--help")
    assert helped.returncode == 0 and "serve" in helped.stdout.decode(), helped.stderr.decode()
    asked = hamstring(core_env, "ask", "what", "causes", "hamstring", "cramps")
    assert asked.returncode == 0, asked.stderr.decode()
    assert asked.stdout.decode().strip() and not asked.stderr.decode()


@pytest.mark.parametrize("args,extra", [
    (["serve", "--no-verify"], "server"),
    (["voice", "--text"], "voice"),
    (["model", "download", "--dest", "models"], "voice"),
])
def test_a_missing_extra_is_named_in_one_line(core_env, args, extra):
    result = hamstring(core_env, *args)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr.decode()
    assert f"pip install 'hamstring-cramp-helper[{extra}]'" in lines[0]

