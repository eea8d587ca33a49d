"""In-process cost of one request: our skill against a hello-world ask-sdk-core skill, same run, same envelopes.

    python -m benchmarks.skill_cost [--rounds 300]

Both go through JSON data -> SDK envelope -> skill -> JSON data. Target: ours <= 1.3x the hello-world cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from benchmarks.hello_skill import invoke_hello
from skill.invoke import invoke

ENVELOPES = Path(__file__).resolve().parent.parent / "tests" / "data" / "envelopes"
TARGET = 1.3


def workload() -> list[dict]:
    """A realistic mix: launch, a one-shot answer, a step mid-session, session end."""
    names = ["launch.json", "intent_one_shot_treatment.json", "intent_go_to_step.json", "session_ended.json"]
    return [json.loads((ENVELOPES / n).read_text()) for n in names]


def per_request_us(function, requests: list[dict], rounds: int) -> list[float]:
    for request in requests:  # warm caches (content, language, SDK dispatch tables)
        function(request)
    samples: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        for request in requests:
            function(request)
        samples.append((time.perf_counter() - started) / len(requests) * 1e6)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    requests = workload()
    # Interleave the two so drift in machine load hits both alike.
    ours, hello = [], []
    for _ in range(3):
        ours += per_request_us(invoke, requests, args.rounds // 3)
        hello += per_request_us(invoke_hello, requests, args.rounds // 3)
    o, h = statistics.median(ours), statistics.median(hello)
    print(f"{'skill':<22}{'median us/request':>18}{'p90 us':>10}")
    for name, data in (("hamstring (ours)", ours), ("hello world", hello)):
        print(f"{name:<22}{statistics.median(data):>18.1f}{sorted(data)[int(0.9 * len(data))]:>10.1f}")
    ratio = o / h
    print(f"ratio ours/hello: {ratio:.2f}x (target <= {TARGET}x) -> {'OK' if ratio <= TARGET else 'MISSED'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
