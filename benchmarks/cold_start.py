"""Cold start: a new Python process to its first answered Alexa request, as a Lambda user feels it.

    python -m benchmarks.cold_start [--runs 7]

Times `import skill.lambda_function` plus one request in a fresh interpreter (median of runs), next to a bare
`python -c pass` (the interpreter's own start, which Lambda pays too) and a hello-world ask-sdk-core Lambda handler
(`SkillBuilder().lambda_handler()`) answering the same event.
The Lambda path runs twice: without a store, and with the DynamoDB adapter (HAMSTRING_DYNAMODB_TABLE) against moto's
DynamoDB on loopback (the launch of a new session reads the saved place: one GetItem, plus the adapter's import and
boto3's set-up in the init phase). Needs the dynamodb and dev extras for the second; skipped without them.
Targets: <= 1.0 s to the first answer; within 1.3x of the hello-world handler, with and without DynamoDB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENT = ROOT / "tests" / "data" / "envelopes" / "launch.json"
TARGET_S = 1.0
TARGET_RATIO = 1.3
TABLE = "cold-start-bench"
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
PROGRAMS["hamstring lambda+ddb"] = PROGRAMS["hamstring lambda"] + (
    "; from skill.lambda_function import _SKILL; assert _SKILL.persistence_adapter is not None")
# Programs that run with the store's environment; the others run with it removed.
DYNAMODB_PROGRAMS = {"hamstring lambda+ddb"}
STORE_ENV = ("HAMSTRING_DYNAMODB_TABLE", "HAMSTRING_DYNAMODB_ENDPOINT", "HAMSTRING_DYNAMODB_REGION",
             "HAMSTRING_DYNAMODB_CREATE_TABLE")


def time_run(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)
    return time.perf_counter() - started


def start_local_dynamodb() -> tuple[object, dict[str, str]] | None:
    """moto's DynamoDB in server mode on loopback, with the table made; None without moto/boto3."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        return None
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs each request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "HAMSTRING_DYNAMODB_TABLE": TABLE, "HAMSTRING_DYNAMODB_ENDPOINT": endpoint,
           "HAMSTRING_DYNAMODB_REGION": "us-east-1"}
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    return server, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k not in STORE_ENV}
    local = start_local_dynamodb()
    programs = {name: code for name, code in PROGRAMS.items() if local is not None or name not in DYNAMODB_PROGRAMS}
    if local is None:
        print("(moto/boto3 missing: the DynamoDB run is skipped; install the dev and dynamodb extras)")
    try:
        times: dict[str, list[float]] = {name: [] for name in programs}
        for _ in range(args.runs):  # interleaved, so machine noise hits all alike
            for name, code in programs.items():
                env = base_env | (local[1] if local is not None and name in DYNAMODB_PROGRAMS else {})
                times[name].append(time_run(code, env))
    finally:
        if local is not None:
            local[0].stop()  # type: ignore[attr-defined]
    hello = statistics.median(times["hello-world lambda"])
    print(f"{'process':<22}{'median s':>10}{'min s':>8}{'max s':>8}{'vs hello-world':>16}")
    for name, data in times.items():
        ratio = f"{statistics.median(data) / hello:.2f}x" if name.startswith("hamstring") else ""
        print(f"{name:<22}{statistics.median(data):>10.3f}{min(data):>8.3f}{max(data):>8.3f}{ratio:>16}")
    ours = statistics.median(times["hamstring lambda"])
    ok = ours <= TARGET_S and ours / hello <= TARGET_RATIO
    print(f"cold start to first answer: {ours:.3f} s (target <= {TARGET_S} s) = {ours / hello:.2f}x hello-world "
          f"(target <= {TARGET_RATIO}x) -> {'OK' if ok else 'MISSED'}")
    if "hamstring lambda+ddb" in times:
        ddb = statistics.median(times["hamstring lambda+ddb"])
        within = ddb / hello <= TARGET_RATIO
        print(f"with the DynamoDB adapter: {ddb:.3f} s = {ddb / hello:.2f}x hello-world "
              f"(target <= {TARGET_RATIO}x) -> {'OK' if within else 'MISSED'}")
        ok = ok and within
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
