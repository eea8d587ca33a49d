"""Scoring what the skill understood: the labelled question sets, the label space, and one evaluation per set.

Every utterance goes through the real matcher and the real skill (`Conversation`), after its `context` turns in the
same session, and is scored by what the skill answered. `benchmarks/understanding.py` prints the tables;
tests/skill/test_understanding.py holds the targets and the known failures.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import yaml

from intents.language import load_language
from intents.names import FALLBACK_INTENT
from skill.content import NOT_COVERED, load_content
from skill.conversation import Conversation, TurnRecord

from .project import DATA

SETS = {
    "dev": "dev_utterances.yaml",
    "heldout": "heldout_utterances.yaml",
    "dev_answers": "dev_answers.yaml",
    "dev_answers2": "dev_answers2.yaml",
    "dev_redflags": "dev_redflags.yaml",
    "dev_redflags3": "dev_redflags3.yaml",
    "heldout_answers": "heldout_answers.yaml",
}
OUT_OF_DOMAIN = "out_of_domain"
TOPIC_PREFIX = "topic:"
RED_FLAG_PREFIX = "rf_"
# Targets (the issue's, on the held-out sets).
TARGETS = {"specific": 0.95, "red_flag_recall": 1.0, "rejection": 0.95, "topic": 0.97, "not_covered": 0.9}
KINDS = ("specific", "red_flag", "not_covered", "out_of_domain", "topic", "other")


@dataclass
class Result:
    name: str
    totals: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)
    red_flag_exact: int = 0
    confusion: Counter = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def rate(self, kind: str) -> float:
        return self.correct[kind] / self.totals[kind] if self.totals[kind] else 1.0

    @property
    def specific_accuracy(self) -> float:
        return self.rate("specific")

    @property
    def red_flag_recall(self) -> float:
        return self.rate("red_flag")

    @property
    def rejection(self) -> float:
        return self.rate("out_of_domain")

    @property
    def topic_accuracy(self) -> float:
        return self.rate("topic")

    @property
    def not_covered_rate(self) -> float:
        return self.rate("not_covered")


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((DATA / SETS[name]).read_text(encoding="utf-8"))


def expected_label(item: dict) -> str:
    """Answer-labelled items carry their label; intent-labelled ones are mapped to the same label space."""
    if "answer" in item:
        return item["answer"]
    intent = item["intent"]
    topic = load_language().topic_by_intent.get(intent)
    if topic:
        return TOPIC_PREFIX + topic
    return OUT_OF_DOMAIN if intent == FALLBACK_INTENT else f"intent:{intent}"


def given_label(record: TurnRecord) -> str:
    if record.answer:
        return record.answer
    if record.intent == FALLBACK_INTENT:
        return OUT_OF_DOMAIN
    if record.intent in load_language().topic_by_intent and record.topic:
        return TOPIC_PREFIX + record.topic
    return f"intent:{record.intent}"


def kind_of(label: str) -> str:
    if label.startswith(RED_FLAG_PREFIX):
        return "red_flag"
    if label == NOT_COVERED:
        return "not_covered"
    if label == OUT_OF_DOMAIN:
        return "out_of_domain"
    if label.startswith(TOPIC_PREFIX):
        return "topic"
    if label in load_content().answers:
        return "specific"
    return "other"


def same_answer(expected: str, given: str) -> bool:
    """The content names which answer serves a question asked as prevention; both readings are right."""
    if expected == given:
        return True
    answers = load_content().answers
    linked = {(a.id, a.when_preventing) for a in answers.values() if a.when_preventing}
    return (expected, given) in linked or (given, expected) in linked


def is_correct(kind: str, expected: str, given: str, record: TurnRecord) -> bool:
    if kind == "specific":
        return same_answer(expected, given)
    if kind == "red_flag":
        return given.startswith(RED_FLAG_PREFIX)
    if kind == "topic":
        return given != OUT_OF_DOMAIN and record.topic == expected[len(TOPIC_PREFIX) :]
    return given == expected


def run_item(item: dict) -> tuple[TurnRecord, float]:
    chat = Conversation()
    for earlier in item.get("context", []):
        chat.say(earlier)
    started = time.perf_counter()
    record = chat.say(item["text"])
    return record, (time.perf_counter() - started) * 1000


def evaluate(name: str, items: list[dict]) -> Result:
    result = Result(name)
    for item in items:
        record, elapsed = run_item(item)
        result.latencies_ms.append(elapsed)
        expected, given = expected_label(item), given_label(record)
        kind = kind_of(expected)
        ok = is_correct(kind, expected, given, record)
        result.totals[kind] += 1
        result.correct[kind] += ok
        if kind == "red_flag":
            result.red_flag_exact += given == expected
        if not ok:
            result.confusion[(expected, given)] += 1
            result.misses.append((item["text"], expected, given))
    return result
