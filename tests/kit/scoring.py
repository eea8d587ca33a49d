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
from intents.matcher import Matcher, SampleMatcher
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
    "dev_people_a": "dev_people_a.yaml",
    "dev_people_b": "dev_people_b.yaml",
    "dev_people_c": "dev_people_c.yaml",
    "heldout_people": "heldout_people.yaml",
    "heldout2_people": "heldout2_people.yaml",
}
# Whole conversations, scored turn by turn (`expect`: a label, step:N, greeting or end).
DIALOGUES = {"dialogues_dev": "dialogues_dev.yaml", "dialogues_heldout": "dialogues_heldout.yaml",
             "dialogues_heldout2": "dialogues_heldout2.yaml"}
HELD_OUT = ("heldout", "heldout_answers", "heldout_people", "heldout2_people", "dialogues_heldout",
            "dialogues_heldout2")
SAFETY_LINE = "safety_line"  # the content statement every pain or injury mention, and every miss, carries
OUT_OF_DOMAIN = "out_of_domain"
TOPIC_PREFIX = "topic:"
RED_FLAG_PREFIX = "rf_"
# Targets (the issue's, on the held-out sets).
TARGETS = {"specific": 0.95, "red_flag_recall": 1.0, "rejection": 0.95, "topic": 0.97, "not_covered": 0.9,
           "safety": 1.0, "near_miss": 0.9, "turn": 0.95}
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
    # Checks beside the label, each over the items it applies to: "safety" (the safety line or red-flag guidance
    # on a pain or injury mention), "near_miss" (innocent pain words not taken for a red flag), and red-flag
    # recall by how the flag was told ("story", "named").
    checked: Counter = field(default_factory=Counter)
    passed: Counter = field(default_factory=Counter)
    noted: int = 0  # answers that carried a red flag's guidance beside them (the question asked around a time cue)

    def check_rate(self, check: str) -> float:
        return self.passed[check] / self.checked[check] if self.checked[check] else 1.0

    def check(self, name: str, ok: bool) -> None:
        self.checked[name] += 1
        self.passed[name] += ok

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
    return yaml.safe_load((DATA / {**SETS, **DIALOGUES}[name]).read_text(encoding="utf-8"))


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


def noted_flag(record: TurnRecord) -> str | None:
    """The red flag whose guidance was said beside the answer to a question (skill/turn.py: `note`), if one was."""
    if record.answer is not None and record.answer.startswith(RED_FLAG_PREFIX):
        return None
    content = load_content()
    return next((flag.id for flag in content.red_flags.values() if content.read(flag.says) in record.speech), None)


def heard_flag(given: str, record: TurnRecord) -> str | None:
    """The red flag the user was given guidance for: as the answer, or beside the answer to their question."""
    return given if given.startswith(RED_FLAG_PREFIX) else noted_flag(record)


def is_correct(kind: str, expected: str, given: str, record: TurnRecord) -> bool:
    if kind == "specific":
        return same_answer(expected, given)
    if kind == "red_flag":
        return heard_flag(given, record) is not None
    if kind == "topic":
        return given != OUT_OF_DOMAIN and record.topic == expected[len(TOPIC_PREFIX) :]
    return given == expected


def carries_safety(record: TurnRecord) -> bool:
    """The reply says the safety line, or gives red-flag guidance (stronger than the line; as the answer or beside
    it)."""
    statement = load_content().by_id.get(SAFETY_LINE)
    return heard_flag(record.answer or "", record) is not None or (
        statement is not None and statement.say in record.speech)


def run_item(item: dict, matcher: Matcher | None = None) -> tuple[TurnRecord, float]:
    chat = Conversation(matcher)
    for earlier in item.get("context", []):
        chat.say(earlier)
    started = time.perf_counter()
    record = chat.say(item["text"])
    return record, (time.perf_counter() - started) * 1000


def evaluate(name: str, items: list[dict], matcher: Matcher | None = None) -> Result:
    """`matcher`: what reads the words (default: the full offline matcher; `alexa_faithful()` for a reading that uses
    only what the generated interaction model carries)."""
    result = Result(name)
    for item in items:
        record, elapsed = run_item(item, matcher)
        result.latencies_ms.append(elapsed)
        expected, given = expected_label(item), given_label(record)
        kind = kind_of(expected)
        ok = is_correct(kind, expected, given, record)
        result.totals[kind] += 1
        result.correct[kind] += ok
        if kind == "red_flag":
            result.red_flag_exact += heard_flag(given, record) == expected
            result.check(item.get("style", "named"), ok)
        result.noted += noted_flag(record) is not None
        if item.get("safety"):
            result.check("safety", carries_safety(record))
        if item.get("near_miss"):  # a red flag's guidance beside the answer is a false alarm too, if a smaller one
            result.check("near_miss", heard_flag(given, record) is None)
        if not ok:
            result.confusion[(expected, given)] += 1
            result.misses.append((item["text"], expected, given))
    return result


def turn_ok(expect: str, record: TurnRecord) -> bool:
    if expect == "greeting":
        return not record.end_session and (record.request.get("request", {}).get("type") == "LaunchRequest"
                                           or record.intent == "AMAZON.NavigateHomeIntent")
    if expect == "end":
        return record.end_session
    if expect.startswith("step:"):
        return record.step == int(expect.split(":", 1)[1])
    kind = kind_of(expect)
    return is_correct(kind, expect, given_label(record), record)


def evaluate_dialogues(name: str, conversations: list[dict], matcher: Matcher | None = None) -> Result:
    """Every turn of every conversation, in one session as a person holds it; a turn is right when the skill did
    what `expect` says. Misses name the conversation and the turn."""
    result = Result(name)
    for conversation in conversations:
        chat = Conversation(matcher)
        for number, turn in enumerate(conversation["turns"], 1):
            started = time.perf_counter()
            record = chat.say(turn["say"])
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            ok = turn_ok(str(turn["expect"]), record)
            result.totals["turn"] += 1
            result.correct["turn"] += ok
            if turn.get("safety"):
                result.check("safety", carries_safety(record))
            if not ok:
                given = f"step:{record.step}" if record.step is not None else given_label(record)
                given += " (ended)" if record.end_session else ""
                result.confusion[(str(turn["expect"]), given)] += 1
                result.misses.append((f"{conversation['name']} #{number}: {turn['say']}", str(turn["expect"]), given))
    return result


def alexa_faithful() -> Matcher:
    """A reading with only what the generated interaction model carries: the sample sentences and the slot values,
    matched exactly, as a device's NLU is at least expected to; everything else is AMAZON.FallbackIntent."""
    return SampleMatcher(load_language())
