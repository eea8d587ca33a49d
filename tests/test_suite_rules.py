"""The suite's own rule: in CI a skip for a missing tool is a failure; elsewhere it stays a skip with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.project import ROOT

PROBE = """
from tests.kit import tools

def test_needs_a_program_nobody_has():
    tools.require_program("no-such-program-for-the-suite-rule")
"""


@pytest.mark.parametrize(("ci", "summary"), [(False, "1 skipped"), (True, "1 failed")])
def test_a_missing_tool_fails_only_in_ci(tmp_path: Path, ci: bool, summary: str) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    environment = {k: v for k, v in os.environ.items() if k != "CI"} | ({"CI": "true"} if ci else {})
    environment["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", "-p",
                          "tests.conftest", str(tmp_path / "test_probe.py")], cwd=tmp_path, env=environment,
                         capture_output=True, text=True, timeout=120)
    assert summary in run.stdout, run.stdout[-800:]
    assert "missing tool: no-such-program-for-the-suite-rule" in run.stdout
