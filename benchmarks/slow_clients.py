"""Slow clients against `hamstring serve`: does the service keep answering while many connections dribble bytes?

    python -m benchmarks.slow_clients [--connections 50] [--seconds 10] [--workers 2]

Starts `hamstring serve --no-verify` on loopback, opens N connections that each send a request a byte at a time
(half dribble the request head, half send a head and dribble the body), reopening any the server closes, and
meanwhile probes GET /health and a real POST (the launch envelope) every PROBE_INTERVAL_S. Prints the probes'
success count and latency. Target: every probe answered, p99 under 1 s. Loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.kit.slow_clients import PROBE_INTERVAL_S, TARGET_P99_S, measure

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "hamstring", "serve", "--no-verify", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "ALEXA_SKILL_ID"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("server did not come up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    port = free_port()
    process = start_server(port, args.workers)
    try:
        baseline = measure(port, 0, min(args.seconds, 3))
        loaded = measure(port, args.connections, args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=15)
    print(f"hamstring serve --workers {args.workers}; probes: GET /health + POST launch, every {PROBE_INTERVAL_S}s")
    print(f"{'dribbling connections':<24}{'probes':>8}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}{'reopened':>10}")
    for count, r in ((0, baseline), (args.connections, loaded)):
        print(f"{count:<24}{r.probes:>8}{r.failures:>8}{r.p50 * 1000:>9.1f}{r.p99 * 1000:>9.1f}{r.reopened:>10}")
    print(f"-> {'OK' if loaded.ok else 'MISSED'} (target: no failed probe, p99 < {TARGET_P99_S:.0f} s)")
    return 0 if loaded.ok else 1


if __name__ == "__main__":
    sys.exit(main())
