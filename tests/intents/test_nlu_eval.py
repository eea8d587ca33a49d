"""Alexa NLU evaluation annotation sets: our dev and held-out question sets exported in SMAPI's shape (and kept as
files in tests/data/nlu/, never stale), and `hamstring nlu-eval` holding the offline matcher to a set: the pass/fail
table, the confusion, exit 0 only when every expectation holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intents.matcher import MatchContext, default_matcher
from intents.nlu_eval import (
    Annotation,
    AnnotationError,
    Expectation,
    annotation_set,
    annotations_from_items,
    evaluate,
    parse_annotation_set,
)
from tests.kit.project import DATA, load_data, run_cli

SETS = ["dev_utterances", "heldout_utterances"]


@pytest.mark.parametrize("name", SETS)
def test_the_exported_sets_are_the_question_sets_in_smapis_shape(name: str) -> None:
    items = load_data(f"{name}.yaml")
    saved = json.loads((DATA / "nlu" / f"{name}.json").read_text(encoding="utf-8"))
    assert saved == annotation_set(annotations_from_items(items)), "stale: run hamstring nlu-eval --export"
    assert list(saved) == ["data"] and len(saved["data"]) == len(items)
    for entry, item in zip(saved["data"], items, strict=True):
        assert entry["inputs"] == {"utterance": item["text"]}
        (expected,) = entry["expected"]
        assert expected["intent"]["name"] == item["intent"]
        slots = {k: {"value": str(v)} for k, v in (item.get("slots") or {}).items()}
        assert expected["intent"].get("slots", {}) == slots


@pytest.mark.parametrize("name", SETS)
def test_nlu_eval_of_an_exported_set_agrees_with_the_matcher(name: str) -> None:
    """The command's verdict per utterance is the matcher's own answer held to the label; exit 1 iff any fails."""
    result = run_cli("nlu-eval", "--json", str(DATA / "nlu" / f"{name}.json"))
    summary = json.loads(result.stdout)
    matcher = default_matcher()
    items = load_data(f"{name}.yaml")
    failed = []
    for item in items:
        match = matcher.match(item["text"], MatchContext(in_session=True))
        slots_ok = all(match.slots.get(k) == str(v) for k, v in (item.get("slots") or {}).items())
        if match.intent != item["intent"] or not slots_ok:
            failed.append(item["text"])
    assert [r["utterance"] for r in summary["results"] if r["status"] == "FAILED"] == failed
    assert summary["failed"] == len(failed) and summary["passed"] == len(items) - len(failed)
    assert result.returncode == (1 if failed else 0)


def _write(tmp_path: Path, annotations: list[Annotation]) -> Path:
    path = tmp_path / "set.json"
    path.write_text(json.dumps(annotation_set(annotations)), encoding="utf-8")
    return path


GOOD = [Annotation("what causes hamstring cramps", (Expectation("CausesIntent"),)),
        Annotation("go to step three", (Expectation("GoToStepIntent", {"step": "3"}),)),
        Annotation("what's the weather like", (Expectation("AMAZON.FallbackIntent"),))]


def test_a_set_that_holds_passes_with_exit_0(tmp_path: Path) -> None:
    result = run_cli("nlu-eval", str(_write(tmp_path, GOOD)))
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert "passed 3 of 3 (100.0%), failed 0" in out
    assert sum(line.startswith("PASS ") for line in out.splitlines()) == 3 and "FAIL " not in out


def test_a_wrong_intent_and_a_wrong_slot_fail_with_exit_1_and_show_in_the_confusion(tmp_path: Path) -> None:
    wrong = [*GOOD, Annotation("what causes hamstring cramps", (Expectation("OverviewIntent"),)),
             Annotation("go to step three", (Expectation("GoToStepIntent", {"step": "4"}),))]
    result = run_cli("nlu-eval", str(_write(tmp_path, wrong)))
    out = result.stdout.decode().splitlines()
    assert result.returncode == 1
    fails = [line for line in out if line.startswith("FAIL ")]
    assert len(fails) == 2
    assert "OverviewIntent" in fails[0] and fails[0].rstrip().endswith("CausesIntent")
    assert "GoToStepIntent {step=4}" in fails[1] and fails[1].rstrip().endswith("GoToStepIntent {step=3}")
    assert "passed 3 of 5 (60.0%), failed 2" in out
    confusion = {line.split()[0]: line for line in out[out.index(next(x for x in out if x.startswith("Confusion"))):]
                 if line.startswith("  ")}
    assert confusion["OverviewIntent"].split()[1:] == ["1", "0", "CausesIntent", "1"]
    assert confusion["GoToStepIntent"].split()[1:] == ["2", "1", "GoToStepIntent", "(slots)", "1"]


def test_an_expected_list_is_a_set_of_acceptable_intents() -> None:
    either = Annotation("what causes hamstring cramps", (Expectation("OverviewIntent"), Expectation("CausesIntent")))
    (outcome,) = evaluate([either], default_matcher())
    assert outcome.passed


def test_export_refuses_an_unlabelled_item() -> None:
    with pytest.raises(AnnotationError, match="item 2"):
        annotations_from_items([{"text": "a", "intent": "OverviewIntent"}, {"text": "b", "answer": "heat"}])


BAD_SETS = [
    ("not json", b"{data", "not JSON"),
    ("no data", b'{"annotations": []}', "not an annotation set"),
    ("empty data", b'{"data": []}', "not an annotation set"),
    ("entry not object", b'{"data": [1]}', "annotation 1 is not an object"),
    ("no utterance", b'{"data": [{"inputs": {}, "expected": [{"intent": {"name": "X"}}]}]}', "inputs.utterance"),
    ("no expected", b'{"data": [{"inputs": {"utterance": "hi"}}]}', "expected must be"),
    ("no intent name", b'{"data": [{"inputs": {"utterance": "hi"}, "expected": [{"intent": {}}]}]}', "intent.name"),
    ("slot without value", b'{"data": [{"inputs": {"utterance": "hi"}, "expected": [{"intent": {"name": "X", '
                           b'"slots": {"step": 3}}}]}]}', "each slot needs a value"),
    ("not utf-8", b'\xff\xfe{"data"', "not JSON"),
]


@pytest.mark.parametrize("name,raw,reason", BAD_SETS, ids=[b[0] for b in BAD_SETS])
def test_a_bad_annotation_set_is_one_error_line(tmp_path: Path, name: str, raw: bytes, reason: str) -> None:
    with pytest.raises(AnnotationError, match=reason):
        parse_annotation_set(raw)
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    result = run_cli("nlu-eval", str(path))
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b"" and err.count("\n") == 1 and reason in err


@pytest.mark.parametrize("args,code", [
    (["nlu-eval", "/nonexistent/set.json"], 1),
    (["nlu-eval", "--export", str(DATA / "conversations.yaml")], 1),  # not labelled questions
    (["nlu-eval", "--out", "x.json", str(DATA / "nlu" / "dev_utterances.json")], 2),
])
def test_bad_command_lines_are_one_error_line(args: list[str], code: int) -> None:
    result = run_cli(*args)
    assert result.returncode == code and result.stderr.decode().count("\n") == 1
