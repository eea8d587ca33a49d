"""The matcher's index (everything it expands from the templates and lists) is derived once and read after that:
a second start in a fresh process expands no template, and a change to any input is a new cache key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from intents.cache import cached, key_of
from tests.kit.project import ROOT

PROBE = """
import json
from intents import cache, language
calls = 0
original = language.Language.expansions
def counted(self, *args, **kwargs):
    global calls
    calls += 1
    return original(self, *args, **kwargs)
language.Language.expansions = counted
from intents.matcher import default_matcher
match = default_matcher().match("what causes hamstring cramps")
print(json.dumps({"builds": cache.builds.get("matcher-index", 0), "expansions": calls, "intent": match.intent}))
"""


def start(folder: Path) -> dict:
    environment = {**os.environ, "HAMSTRING_CACHE": str(folder)}
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-800:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_warm_start_expands_no_template(tmp_path: Path) -> None:
    cold, warm = start(tmp_path), start(tmp_path)
    assert cold["builds"] == 1 and cold["expansions"] > 100
    assert warm == {"builds": 0, "expansions": 0, "intent": "CausesIntent"}


def test_a_changed_input_is_a_new_key_and_the_stale_file_goes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HAMSTRING_CACHE", str(tmp_path))
    assert cached("probe", ["a"], lambda: 1) == 1
    assert cached("probe", ["a"], lambda: 2) == 1  # read, not rebuilt
    assert cached("probe", ["b"], lambda: 3) == 3
    assert [p.name for p in tmp_path.glob("probe-*.pickle")] == [f"probe-{key_of(['b'])}.pickle"]


def test_a_damaged_file_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HAMSTRING_CACHE", str(tmp_path))
    (tmp_path / f"probe-{key_of(['a'])}.pickle").write_bytes(b"not a pickle")
    assert cached("probe", ["a"], lambda: 7) == 7


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("HAMSTRING_CACHE", str(blocker / "sub"))
    assert cached("probe", ["a"], lambda: 5) == 5
