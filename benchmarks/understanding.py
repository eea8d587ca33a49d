"""Understanding benchmark: does what people say reach the right part of the content?

    python -m benchmarks.understanding [--set NAME ...] [--misses]

Every utterance goes through the real matcher and the real skill (`Conversation`), after its `context` turns in the
same session, and is scored by what the skill answered:

- specific-answer accuracy: the answer id asked for (or the one the content gives for the same thing asked as
  prevention, `when_preventing`);
- red-flag recall: any red-flag answer for a red-flag question (exact-flag accuracy beside it);
- honest "not covered" rate; out-of-domain rejection;
- broad-topic accuracy: the reply is on the labelled section (a specific answer of that section counts);
- the confusion among the misses (expected -> given).

Sets (tests/data/): `dev` and `heldout` are topic questions labelled by intent (the skill-core issue's sets);
`dev_answers`, `dev_answers2`, `dev_redflags` (red flags and near misses) and `heldout_answers` are specific questions
labelled by answer id, each written by a different helper who saw neither the templates nor the other sets. The dev
sets are used while tuning; the held-out ones never are, so they are the honest estimate. (`dev_answers2` and
`dev_redflags` were added after the first held-out measurement, and `dev_redflags3` (frequent and lasting cramps)
after the second showed red flags of that kind missed, to tune on new data instead of on held-out misses.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from intents.language import load_language
from intents.names import FALLBACK_INTENT
from skill.content import NOT_COVERED, load_content
from skill.conversation import Conversation, TurnRecord

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
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
KNOWN_FAILURES_HEADER = """\
# Held-out utterances the skill still gets wrong (python -m benchmarks.understanding --known-failures writes this
# file). tests/test_understanding.py asserts each one STILL fails and that no other held-out utterance does: a fix
# forces its removal here, a regression cannot hide. These were never used for tuning.
"""
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


def report(result: Result, show_misses: bool) -> str:
    def line(label: str, kind: str, target: str = "") -> str:
        return (f"  {label:<24} {result.correct[kind]:>4}/{result.totals[kind]:<4} = {result.rate(kind):6.1%}"
                + (f"   (target {target})" if target else ""))

    total = sum(result.totals.values())
    lines = [f"== {result.name}: {total} utterances"]
    if result.totals["specific"]:
        lines.append(line("specific answers", "specific", f"{TARGETS['specific']:.0%}"))
    if result.totals["red_flag"]:
        lines.append(line("red-flag recall", "red_flag", f"{TARGETS['red_flag_recall']:.0%}")
                     + f"   exact flag {result.red_flag_exact}/{result.totals['red_flag']}")
    if result.totals["not_covered"]:
        lines.append(line("honest 'not covered'", "not_covered"))
    lines.append(line("out-of-domain rejected", "out_of_domain", f"{TARGETS['rejection']:.0%}"))
    if result.totals["topic"]:
        lines.append(line("broad topic", "topic", f"{TARGETS['topic']:.0%}"))
    if result.totals["other"]:
        lines.append(line("other intents", "other"))
    latencies = sorted(result.latencies_ms)
    lines.append(f"  turn latency             mean {statistics.mean(latencies):.2f} ms, "
                 f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} ms (matcher + skill)")
    if result.confusion:
        lines.append("  confusion among the misses (expected -> given: count)")
        for (expected, given), count in result.confusion.most_common():
            lines.append(f"    {expected} -> {given}: {count}")
    if show_misses:
        for text, expected, given in result.misses:
            lines.append(f"  miss: {text!r}: expected {expected}, got {given}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append", help="default: all of them")
    parser.add_argument("--misses", action="store_true", help="list every miss (use on dev sets while tuning)")
    parser.add_argument("--known-failures", action="store_true",
                        help="print tests/data/known_failures.yaml: the held-out misses, to be asserted still failing")
    args = parser.parse_args(argv)
    if args.known_failures:
        print(KNOWN_FAILURES_HEADER, end="")
        for name in ("heldout", "heldout_answers"):
            for text, expected, given in evaluate(name, load_set(name)).misses:
                print(f"- {{set: {name}, text: {json.dumps(text)}, expected: {expected}, given: {given}}}")
        return 0
    started = time.perf_counter()
    Conversation().say("hello")  # builds the matcher and the skill once
    print(f"matcher and skill built in {(time.perf_counter() - started) * 1000:.0f} ms")
    for name in args.set or list(SETS):
        print(report(evaluate(name, load_set(name)), args.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
