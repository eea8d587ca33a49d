"""The project as tests see it: its folders, its data files, and its command line as a user runs it.
Everything runs the real matcher and the real skill; nothing is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def load_data(name: str):
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def run_cli(*args: str, stdin: str | bytes | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed console entry point, as a user runs it. The state store is off unless the test gives one
    (--state, or HAMSTRING_STATE in `env`): tests never write into the real user's data directory."""
    environ = {**os.environ, "HAMSTRING_STATE": "off", **(env or {})}
    environ.pop("HAMSTRING_DYNAMODB_TABLE", None)
    return subprocess.run(
        [sys.executable, "-m", "hamstring", *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
        env=environ,
    )



def counting_ids(name: str):
    """Deterministic request/session ids: the skill seeds its phrasing choice with them."""
    counter = iter(range(1_000_000))
    return lambda kind: f"test.{name}.{kind}.{next(counter)}"
