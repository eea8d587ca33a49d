"""Store latency added to one request: load + save of the saved place, as the skill's interceptors would do it.

    python -m benchmarks.store_latency [--requests 2000] [--users 200] [--workers 4]

Stores: SQLite (a temporary file, one process; and --workers processes at once, like gunicorn workers) and DynamoDB
through the official adapter against moto's DynamoDB server on loopback (needs the dev extra). moto is an
in-memory Python stand-in: its numbers show the adapter's and HTTP's own cost, not AWS's network round trips
(add a few ms per call within an AWS region).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from skill.store import choose_store, open_store
from tests.store_support import envelope


def one_request(store: AbstractPersistenceAdapter, user: int, n: int) -> float:
    request = envelope(f"amzn1.ask.account.BENCH{user:05d}", f"bench-{os.getpid()}-{n}")
    started = time.perf_counter()
    place = store.get_attributes(request)
    store.save_attributes(request, {"position": (place.get("position", 0) % 8) + 1, "topic": "treatment",
                                    "saved_at": int(time.time())})
    return (time.perf_counter() - started) * 1e3


def run(store: AbstractPersistenceAdapter, requests: int, users: int, seed: int = 0) -> tuple[float, list[float]]:
    """(first request ms, the others' ms): the first opens the file or the HTTP connection."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
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
        return 0
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(name, value)  # moto takes any credentials; never reaches AWS (loopback endpoint)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {"HAMSTRING_DYNAMODB_TABLE": "bench", "HAMSTRING_DYNAMODB_ENDPOINT": f"http://{host}:{port}",
               "HAMSTRING_DYNAMODB_REGION": "us-east-1", "HAMSTRING_DYNAMODB_CREATE_TABLE": "1"}
        store = open_store(choose_store(environ=env))
        first, samples = run(store, args.requests, args.users)
        print(row("DynamoDB (moto server, loopback)", first, samples))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
