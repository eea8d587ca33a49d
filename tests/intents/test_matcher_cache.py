"""The parsed language and the matcher's index (everything it expands from the templates and lists) are derived
once and read after that: a second start in a fresh process parses and expands no template, and a change to any
input is a new cache key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from intents.derived_cache import CACHE_ENV, cached_object
from tests.kit.project import ROOT

PROBE = """
import json
from intents import derived_cache, language
calls = 0
original = language.Language.expansions
def counted(self, *args, **kwargs):
    global calls
    calls += 1
    return original(self, *args, **kwargs)
language.Language.expansions = counted
parses = 0
original_parse = language.parse_language
def counted_parse(path):
    global parses
    parses += 1
    return original_parse(path)
language.parse_language = counted_parse
intents_parsed = 0
original_from_dict = language.Intents.from_dict
def counted_from_dict(*args, **kwargs):
    global intents_parsed
    intents_parsed += 1
    return original_from_dict(*args, **kwargs)
language.Intents.from_dict = staticmethod(counted_from_dict)
from intents.matcher import default_matcher
matcher = default_matcher()
match = matcher.match("what causes hamstring cramps")
# No template of its own: through every stage, the open-value frames included.
matcher.match("and totally see a doctor")
print(json.dumps({"builds": derived_cache.builds.get("matcher-index", 0), "expansions": calls, "parses": parses,
                  "intents_parsed": intents_parsed, "intent": match.intent}))
"""


def start(folder: Path) -> dict:
    environment = {**os.environ, CACHE_ENV: str(folder)}
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-800:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_warm_start_expands_no_template(tmp_path: Path) -> None:
    cold, warm = start(tmp_path), start(tmp_path)
    assert cold["builds"] == 1 and cold["expansions"] > 100 and cold["parses"] == 1 and cold["intents_parsed"] >= 2
    assert warm == {"builds": 0, "expansions": 0, "parses": 0, "intents_parsed": 0, "intent": "CausesIntent"}


def test_a_damaged_file_is_built_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    (tmp_path / "probe-k.pickle").write_bytes(b"not a pickle")
    assert cached_object("probe", "k", lambda: 7) == 7
    assert cached_object("probe", "k", lambda: 8) == 7  # stored, then read


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "sub"))
    assert cached_object("probe", "k", lambda: 5) == 5
