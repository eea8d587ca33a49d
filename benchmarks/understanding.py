"""Understanding benchmark: topic accuracy, out-of-domain rejection and a confusion table for the offline matcher.

    python -m benchmarks.understanding [--set dev|heldout|all] [--check]

`dev` (tests/data/dev_utterances.yaml) was used while writing templates; `heldout` never was, so it is the honest
estimate. --check exits 1 when the dev set misses a target (>= 97% topic accuracy, >= 95% rejection).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from intents.language import FALLBACK_INTENT, load_language
from intents.matcher import Matcher, default_matcher

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SETS = {"dev": "dev_utterances.yaml", "heldout": "heldout_utterances.yaml"}
TOPIC_TARGET, REJECTION_TARGET = 0.97, 0.95


@dataclass
class Result:
    name: str
    total: int
    intent_correct: int
    topic_total: int
    topic_correct: int
    ood_total: int
    ood_rejected: int
    false_rejections: int
    confusion: Counter
    misses: list[tuple[str, str, str]]
    latencies_ms: list[float]

    @property
    def topic_accuracy(self) -> float:
        return self.topic_correct / self.topic_total if self.topic_total else 1.0

    @property
    def rejection(self) -> float:
        return self.ood_rejected / self.ood_total if self.ood_total else 1.0


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((DATA / SETS[name]).read_text(encoding="utf-8"))


def evaluate(name: str, items: list[dict], matcher: Matcher | None = None) -> Result:
    matcher = matcher or default_matcher()
    topics = load_language().topic_by_intent
    result = Result(name, 0, 0, 0, 0, 0, 0, 0, Counter(), [], [])
    for item in items:
        started = time.perf_counter()
        match = matcher.match(item["text"])
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        want = item["intent"]
        ok = match.intent == want and (not item.get("slots") or match.slots == item["slots"])
        result.total += 1
        result.intent_correct += ok
        if want in topics:
            result.topic_total += 1
            result.topic_correct += ok
            result.false_rejections += match.intent == FALLBACK_INTENT
        if want == FALLBACK_INTENT:
            result.ood_total += 1
            result.ood_rejected += match.intent == FALLBACK_INTENT
        if want in topics or want == FALLBACK_INTENT:
            result.confusion[(_label(want, topics), _label(match.intent, topics))] += 1
        if not ok:
            result.misses.append((item["text"], want, match.intent))
    return result


def _label(intent: str, topics: dict[str, str]) -> str:
    return topics.get(intent, "out_of_domain" if intent == FALLBACK_INTENT else "other")


def report(result: Result) -> str:
    labels = sorted({a for a, _ in result.confusion} | {b for _, b in result.confusion})
    width = max(len(x) for x in labels) + 1
    lines = [
        f"== {result.name}: {result.total} utterances",
        f"topic accuracy      {result.topic_correct}/{result.topic_total} = {result.topic_accuracy:.1%}"
        f"  (target {TOPIC_TARGET:.0%}; {result.false_rejections} rejected as out of domain)",
        f"out-of-domain       {result.ood_rejected}/{result.ood_total} rejected = {result.rejection:.1%}"
        f"  (target {REJECTION_TARGET:.0%})",
        f"all intents         {result.intent_correct}/{result.total} = {result.intent_correct / result.total:.1%}",
        f"match latency       mean {statistics.mean(result.latencies_ms):.2f} ms, "
        f"p95 {sorted(result.latencies_ms)[int(0.95 * (len(result.latencies_ms) - 1))]:.2f} ms",
        "confusion (rows: expected, columns: predicted)",
        " " * width + " ".join(f"{label[:6]:>6}" for label in labels),
    ]
    for row in labels:
        lines.append(f"{row:<{width}}" + " ".join(f"{result.confusion[(row, col)] or '.':>6}" for col in labels))
    for text, want, got in result.misses:
        lines.append(f"miss: {text!r}: expected {want}, got {got}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--check", action="store_true", help="exit 1 if the dev set misses a target")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    matcher = default_matcher()
    print(f"matcher built in {(time.perf_counter() - started) * 1000:.0f} ms")
    names = ["dev", "heldout"] if args.set == "all" else [args.set]
    results = {name: evaluate(name, load_set(name), matcher) for name in names}
    for result in results.values():
        print(report(result))
    dev = results.get("dev")
    if args.check and dev and (dev.topic_accuracy < TOPIC_TARGET or dev.rejection < REJECTION_TARGET):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
