"""Cold start: a new Python process to its first answered Alexa request, as a Lambda user feels it.

    python -m benchmarks.cold_start [--runs 7]

Times `import skill.lambda_function` plus one IntentRequest in a fresh interpreter (median of runs), next to a bare
`python -c pass` (the interpreter's own start, which Lambda pays too) and a hello-world ask-sdk-core Lambda handler
(`SkillBuilder().lambda_handler()`) answering the same event. Targets: <= 1.0 s, and <= 1.3x the hello-world handler.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENT = ROOT / "tests" / "data" / "envelopes" / "intent_one_shot_treatment.json"
TARGET_S = 1.0
TARGET_RATIO = 1.3
PROGRAMS = {
    "python -c pass": "pass",
    "hello-world lambda": (
        "import json; from benchmarks.hello_skill import hello_lambda_handler; "
        f"r = hello_lambda_handler(json.load(open({str(EVENT)!r})), None); assert r['response']"
    ),
    "hamstring lambda": (
        "import json; from skill.lambda_function import handler; "
        f"r = handler(json.load(open({str(EVENT)!r})), None); assert r['response']['outputSpeech']"
    ),
}


def time_run(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    for _ in range(args.runs):  # interleaved, so machine noise hits all alike
        for name, code in PROGRAMS.items():
            times[name].append(time_run(code))
    print(f"{'process':<20}{'median s':>10}{'min s':>8}{'max s':>8}")
    for name, data in times.items():
        print(f"{name:<20}{statistics.median(data):>10.3f}{min(data):>8.3f}{max(data):>8.3f}")
    ours = statistics.median(times["hamstring lambda"])
    ratio = ours / statistics.median(times["hello-world lambda"])
    ok = ours <= TARGET_S and ratio <= TARGET_RATIO
    print(f"cold start to first answer: {ours:.3f} s (target <= {TARGET_S} s), {ratio:.2f}x the hello-world handler "
          f"(target <= {TARGET_RATIO}x) -> {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
