"""Alexa NLU evaluation annotation sets, and their evaluation offline against our matcher.

An annotation set is what SMAPI's NLU Annotation Set API takes and returns (`POST .../nluAnnotationSets/{id}/
annotations`, application/json) and what the developer console's NLU Evaluation tool ran: each annotation an
utterance as said after the skill is invoked, and the intent (and slots) it must reach. The field names are SMAPI's
(ask_smapi_model v1.skill.nlu.evaluations: inputs.utterance, expected[].intent.name, expected[].intent.slots):

    {"data": [{"inputs": {"utterance": "go to step three"},
               "expected": [{"intent": {"name": "GoToStepIntent", "slots": {"step": {"value": "3"}}}}]}]}

Amazon has retired its evaluation tool, but the same file still says what we expect of the real model: `hamstring
nlu-eval FILE` holds our offline matcher to it, and a developer with an Amazon account can hold Alexa's to it too.
An annotation passes when the intent is one of the expected ones and each slot it names has the value given (case
and spacing aside); slots it does not name are not checked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .matcher import MatchContext, Matcher

MAX_SET_BYTES = 4 * 1024 * 1024
MAX_ANNOTATIONS = 10_000  # far past any set we keep; a file is read whole
MAX_UTTERANCE_CHARS = 500


class AnnotationError(ValueError):
    """An annotation set we cannot read: a one-line reason that never quotes the file."""


@dataclass(frozen=True)
class Expectation:
    intent: str
    slots: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        intent: dict[str, Any] = {"name": self.intent}
        if self.slots:
            intent["slots"] = {name: {"value": value} for name, value in self.slots.items()}
        return {"intent": intent}


@dataclass(frozen=True)
class Annotation:
    utterance: str
    expected: tuple[Expectation, ...]

    def to_json(self) -> dict[str, Any]:
        return {"inputs": {"utterance": self.utterance}, "expected": [e.to_json() for e in self.expected]}


@dataclass(frozen=True)
class Outcome:
    annotation: Annotation
    intent: str
    slots: dict[str, str]

    @property
    def passed(self) -> bool:
        return any(self._meets(e) for e in self.annotation.expected)

    @property
    def intent_passed(self) -> bool:
        return any(e.intent == self.intent for e in self.annotation.expected)

    def _meets(self, expected: Expectation) -> bool:
        return expected.intent == self.intent and all(
            _same(self.slots.get(name), value) for name, value in expected.slots.items())

    def to_json(self) -> dict[str, Any]:
        return {"utterance": self.annotation.utterance, "status": "PASSED" if self.passed else "FAILED",
                "expected": [e.to_json()["intent"] for e in self.annotation.expected],
                "actual": {"name": self.intent, "slots": {k: {"value": v} for k, v in self.slots.items()}}}


def _same(said: str | None, value: str) -> bool:
    return said is not None and " ".join(said.lower().split()) == " ".join(value.lower().split())


# -- export: our labelled question sets as annotation sets -----------------------------------------------------------
def annotations_from_items(items: Iterable[object]) -> list[Annotation]:
    """Labelled questions ({text, intent, slots?}, as in tests/data/*_utterances.yaml) as annotations."""
    found: list[Annotation] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not isinstance(item.get("intent"),
                                                                                                 str):
            raise AnnotationError(f"item {number} needs text and an intent label")
        slots = item.get("slots") or {}
        if not isinstance(slots, dict) or not all(isinstance(v, str | int) for v in slots.values()):
            raise AnnotationError(f"item {number}: slots must map slot names to values")
        found.append(Annotation(item["text"], (Expectation(item["intent"], {str(k): str(v) for k, v in
                                                                             slots.items()}),)))
    return found


def annotation_set(annotations: Iterable[Annotation]) -> dict[str, Any]:
    """The body SMAPI's Update annotations call takes."""
    return {"data": [a.to_json() for a in annotations]}


# -- reading an annotation set ---------------------------------------------------------------------------------------
def parse_annotation_set(raw: bytes) -> list[Annotation]:
    if len(raw) > MAX_SET_BYTES:
        raise AnnotationError(f"over {MAX_SET_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise AnnotationError("not JSON: an annotation set is a JSON object with a data list") from None
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise AnnotationError('not an annotation set: expected {"data": [{"inputs": ..., "expected": ...}]}')
    if len(entries) > MAX_ANNOTATIONS:
        raise AnnotationError(f"over {MAX_ANNOTATIONS} annotations")
    return [_annotation(entry, number) for number, entry in enumerate(entries, 1)]


def _annotation(entry: object, number: int) -> Annotation:
    where = f"annotation {number}"
    if not isinstance(entry, dict):
        raise AnnotationError(f"{where} is not an object")
    inputs = entry.get("inputs")
    utterance = inputs.get("utterance") if isinstance(inputs, dict) else None
    if not isinstance(utterance, str) or not utterance.strip():
        raise AnnotationError(f"{where}: inputs.utterance must be text")
    if len(utterance) > MAX_UTTERANCE_CHARS:
        raise AnnotationError(f"{where}: the utterance is over {MAX_UTTERANCE_CHARS} characters")
    expected = entry.get("expected")
    if not isinstance(expected, list) or not expected:
        raise AnnotationError(f"{where}: expected must be a list of intents")
    return Annotation(utterance.strip(), tuple(_expectation(e, where) for e in expected))


def _expectation(expected: object, where: str) -> Expectation:
    intent = expected.get("intent") if isinstance(expected, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    if not isinstance(intent, dict) or not isinstance(name, str) or not name:
        raise AnnotationError(f"{where}: each expected entry needs intent.name")
    slots = intent.get("slots") or {}
    if not isinstance(slots, dict):
        raise AnnotationError(f"{where}: intent.slots must be an object")
    values: dict[str, str] = {}
    for slot, spec in slots.items():
        value = spec.get("value") if isinstance(spec, dict) else None
        if not isinstance(value, str):
            raise AnnotationError(f"{where}: each slot needs a value")
        values[str(slot)] = value
    return Expectation(name, values)


# -- evaluation ------------------------------------------------------------------------------------------------------
def evaluate(annotations: Iterable[Annotation], matcher: Matcher) -> list[Outcome]:
    """Each utterance as said inside the skill's session (an annotation's utterance follows the invocation)."""
    context = MatchContext(in_session=True)
    outcomes = []
    for annotation in annotations:
        match = matcher.match(annotation.utterance, context)
        outcomes.append(Outcome(annotation, match.intent, dict(match.slots)))
    return outcomes


def confusion(outcomes: Iterable[Outcome]) -> dict[str, Counter[str]]:
    """Expected intent -> what was reached instead, for the failures (a right intent with wrong slots shows as
    "<intent> (slots)")."""
    table: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        expected = outcome.annotation.expected[0].intent
        row = table.setdefault(expected, Counter())
        if not outcome.passed:
            row[f"{outcome.intent} (slots)" if outcome.intent_passed else outcome.intent] += 1
    return table


def report(outcomes: list[Outcome], name: str = "") -> str:
    """The pass/fail table and the confusion, as text."""
    width = min(60, max((len(o.annotation.utterance) for o in outcomes), default=10))
    lines = [f"NLU evaluation{f' of {name}' if name else ''}: {len(outcomes)} annotations, offline matcher", ""]
    lines.append(f"{'status':<7} {'utterance':<{width}}  {'expected':<26} actual")
    for o in outcomes:
        expected = " | ".join(_shown(e.intent, e.slots) for e in o.annotation.expected)
        utterance = o.annotation.utterance if len(o.annotation.utterance) <= width else \
            o.annotation.utterance[: width - 1] + "…"
        lines.append(f"{'PASS' if o.passed else 'FAIL':<7} {utterance:<{width}}  {expected:<26} "
                     f"{_shown(o.intent, o.slots)}")
    passed = sum(o.passed for o in outcomes)
    rate = 100 * passed / len(outcomes) if outcomes else 100.0
    lines += ["", f"passed {passed} of {len(outcomes)} ({rate:.1f}%), failed {len(outcomes) - passed}", "",
              "Confusion (expected intent: annotations, passed, reached instead)"]
    totals = Counter(o.annotation.expected[0].intent for o in outcomes)
    passes = Counter(o.annotation.expected[0].intent for o in outcomes if o.passed)
    for intent, row in sorted(confusion(outcomes).items()):
        instead = ", ".join(f"{actual} {count}" for actual, count in row.most_common())
        lines.append(f"  {intent:<28} {totals[intent]:>4} {passes[intent]:>4}  {instead}".rstrip())
    return "\n".join(lines) + "\n"


def _shown(intent: str, slots: dict[str, str]) -> str:
    return intent + (" {" + ", ".join(f"{k}={v}" for k, v in sorted(slots.items())) + "}" if slots else "")


__all__ = ["Annotation", "AnnotationError", "Expectation", "Outcome", "annotation_set", "annotations_from_items",
           "confusion", "evaluate", "parse_annotation_set", "report"]
