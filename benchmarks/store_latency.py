"""Store latency added to one request: load + save of the saved place, as the skill's interceptors would do it.

    python -m benchmarks.store_latency [--requests 2000] [--users 200] [--workers 4] [--cold 7]

Stores: SQLite (a temporary file, one process; and --workers processes at once, like gunicorn workers) and DynamoDB
against moto's DynamoDB server on loopback (needs the dev extra), through our adapter (what the skill uses where the
credentials are in the environment, as on Lambda) and through the official one (boto3, used elsewhere). moto is an
in-memory Python stand-in: its numbers show the adapter's and HTTP's own cost, not AWS's network round trips
(add a few ms per call within an AWS region).

The second table is the cold-start share: a new Python process that imports ask-sdk-core, opens the store and does
one load + save, against one that only imports ask-sdk-core (what any skill pays). For Lambda, the DynamoDB row is
what the adapter adds to a cold start (ours: http.client and hashlib; the official one's boto3 import and resource
set-up, ~360 ms, are what ours avoids).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.store import choose_store, open_store
from tests.kit.envelopes import envelope


def one_request(store: AbstractPersistenceAdapter, user: int, n: int) -> float:
    request = envelope(f"amzn1.ask.account.BENCH{user:05d}", f"bench-{os.getpid()}-{n}")
    started = time.perf_counter()
    place = store.get_attributes(request)
    position = place.get("position")
    position = position if isinstance(position, int) else 0
    store.save_attributes(request, {"position": (position % 8) + 1, "topic": "treatment",
                                    "saved_at": int(time.time())})
    return (time.perf_counter() - started) * 1e3


def run(
    store: AbstractPersistenceAdapter | None, requests: int, users: int, seed: int = 0
) -> tuple[float, list[float]]:
    """(first request ms, the others' ms): the first opens the file or the HTTP connection."""
    if store is None:
        raise SystemExit("store_latency: the state store is off; nothing to measure")
    first = one_request(store, seed % users, -1)
    return first, [one_request(store, (seed + n * 7919) % users, n) for n in range(requests)]


def _worker(path: str, requests: int, users: int, seed: int, out) -> None:
    store = open_store(choose_store(path))
    out.put(run(store, requests, users, seed)[1])


def concurrent_sqlite(path: str, workers: int, requests: int, users: int) -> list[float]:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    processes = [context.Process(target=_worker, args=(path, requests, users, w * 31, out)) for w in range(workers)]
    for process in processes:
        process.start()
    samples = [ms for _ in processes for ms in out.get(timeout=300)]
    for process in processes:
        process.join()
    return samples


def row(name: str, first: float | None, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    first_text = f"{first:.2f}" if first is not None else "-"
    return f"{name:<34}{len(samples):>7}{statistics.median(samples):>9.3f}{p99:>9.3f}{first_text:>10}"


# Both build a request envelope the same way, so the difference is the store alone.
_COLD_BASE = (
    "import json, os\n"
    "import ask_sdk_core.skill_builder\n"
    "from tests.kit.envelopes import envelope\n"
    "e = envelope('amzn1.ask.account.COLD', 'cold')\n"
)
_COLD_STORE = _COLD_BASE + (
    "import skill.store as s\n"
    "store = s.open_store(s.choose_store(os.environ.get('BENCH_STATE'), environ=os.environ))\n"
    "store.save_attributes(e, {'position': 1 + store.get_attributes(e).get('position', 0)})\n"
)


def cold_ms(code: str, env: dict[str, str], repeats: int) -> float:
    root = Path(__file__).resolve().parent.parent
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def cold_table(sqlite_path: str, dynamodb_env: dict[str, str] | None, repeats: int) -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("HAMSTRING_")}
    base = cold_ms(_COLD_BASE, base_env, repeats)
    rows = [("ask-sdk-core + an envelope, no store", base)]
    rows.append(("+ SQLite store, first load+save", cold_ms(_COLD_STORE, {**base_env, "BENCH_STATE": sqlite_path},
                                                             repeats)))
    if dynamodb_env is not None:
        rows.append(("+ DynamoDB adapter, first load+save", cold_ms(_COLD_STORE, {**base_env, **dynamodb_env},
                                                                    repeats)))
    print(f"\n{'cold process (median of ' + str(repeats) + ')':<38}{'ms':>8}{'added ms':>10}")
    for name, ms in rows:
        print(f"{name:<38}{ms:>8.0f}{ms - base:>10.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cold", type=int, default=7, help="process starts per cold-start row (0: skip)")
    args = parser.parse_args(argv)
    print(f"{'store (load + save per request)':<34}{'n':>7}{'p50 ms':>9}{'p99 ms':>9}{'first ms':>10}")
    with tempfile.TemporaryDirectory(prefix="hamstring-bench-") as folder:
        path = str(Path(folder) / "state.sqlite3")
        first, samples = run(open_store(choose_store(path)), args.requests, args.users)
        print(row("SQLite, 1 process", first, samples))
        samples = concurrent_sqlite(path, args.workers, args.requests // args.workers, args.users)
        print(row(f"SQLite, {args.workers} processes at once", None, samples))
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            print("DynamoDB: skipped (install the dev extra for moto[server])")
            if args.cold:
                cold_table(path, None, args.cold)
            return 0
        dynamodb_latency(ThreadedMotoServer, args, path)
    return 0


def dynamodb_latency(server_class, args: argparse.Namespace, sqlite_path: str) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(name, value)  # moto takes any credentials; never reaches AWS (loopback endpoint)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs a line per request
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {"HAMSTRING_DYNAMODB_TABLE": "bench", "HAMSTRING_DYNAMODB_ENDPOINT": f"http://{host}:{port}",
               "HAMSTRING_DYNAMODB_REGION": "us-east-1", "HAMSTRING_DYNAMODB_CREATE_TABLE": "1"}
        store = open_store(choose_store(environ=env))
        first, samples = run(store, args.requests, args.users)
        print(row("DynamoDB, ours (moto, loopback)", first, samples))
        from skill.store.dynamodb import DynamoDbSettings
        from skill.store.dynamodb_boto import official_adapter

        official = official_adapter(DynamoDbSettings("bench", "us-east-1", env["HAMSTRING_DYNAMODB_ENDPOINT"]))
        first, samples = run(official, args.requests, args.users)
        print(row("DynamoDB, official (boto3)", first, samples))
        if args.cold:
            # The table exists now: the cold rows time what every cold start pays, not a one-off creation.
            cold_table(sqlite_path, {**env, "HAMSTRING_DYNAMODB_CREATE_TABLE": "0"}, args.cold)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
