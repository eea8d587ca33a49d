"""HTTP throughput and latency of the Alexa endpoint under gunicorn, against a hello-world skill on the same server.

    python -m benchmarks.http_throughput [--seconds 8] [--connections 16] [--workers 2]

Six servers on loopback with the same gunicorn settings, loaded in turns (rounds), median round reported:
  hello-off  `hamstring serve --no-verify`'s app with the hello-world ask-sdk-core skill plugged in
  hello-on   the same with verification on
  ours-off   `hamstring serve --no-verify`'s app (our skill)
  ours-on    the same with verification on: requests signed by a private test CA, chain cached after the first
  sqlite-off `hamstring serve --no-verify`'s app with its default store: SQLite (a file in a temporary folder, shared
             by the workers); each request saves the user's place (the request is mid-session, so nothing loads)
  bare-hello the hello-world skill behind a bare Flask endpoint, no checks, no logging: the floor, for context
Load comes from wrk (Debian package `wrk`): the same signed request (body and headers, as Alexa sends them) to all
three; latency percentiles are wrk's.
Target (issue 21): ours >= 0.9x the hello-world skill's requests per second on the same server (ours-off and
sqlite-off vs hello-off, ours-on vs hello-on).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

TARGET = 0.9
ROOT = Path(__file__).resolve().parent.parent


def build_app(kind: str, workdir: Path):
    """Runs inside each gunicorn worker."""
    from flask import Flask, Response, request

    from benchmarks.hello_skill import invoke_hello
    from skill.web.app import create_app

    hello_skill = lambda body, raw=None: invoke_hello(body)  # noqa: E731 (same signature as skill.invoke)
    if kind == "bare-hello":
        app = Flask("hello")

        @app.post("/")
        def hello():
            return Response(json.dumps(invoke_hello(json.loads(request.get_data()))), mimetype="application/json")

        @app.get("/health")
        def health():
            return {"status": "ok"}

        return app
    skill_kind, mode = kind.split("-")
    options: dict[str, Any] = {"skill": hello_skill} if skill_kind == "hello" else {}
    if skill_kind == "sqlite":
        from functools import partial

        from skill.builder import build_skill
        from skill.invoke import invoke_checked
        from skill.store import choose_store

        options = {"skill": partial(invoke_checked, skill=build_skill(choose_store(workdir / "state.sqlite3")))}
    if mode == "off":
        return create_app(None, **options)
    from skill.conversation import LOCAL_APPLICATION_ID
    from skill.web.verify import RequestVerifier, load_roots

    roots = load_roots((workdir / "root.pem").read_bytes())
    chain = (workdir / "chain.pem").read_bytes()
    return create_app(RequestVerifier([LOCAL_APPLICATION_ID], roots=roots, fetch=lambda url: chain), **options)


def serve_child(kind: str, workdir: Path, port: int, workers: int) -> None:
    import logging

    from skill.web.serve import run_gunicorn

    # As `hamstring serve` runs: one access-log line per request (to stderr, discarded here).
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_gunicorn(lambda: build_app(kind, workdir), "127.0.0.1", port, workers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up")


def run_wrk(port: int, body: bytes, headers: dict[str, str], seconds: int, connections: int, workdir: Path) -> dict:
    script = workdir / f"post-{port}.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(_found(r"Requests/sec:\s+([\d.]+)", out)),
        "p50": _ms(_found(r"50%\s+([\d.]+\w+)", out)),
        "p99": _ms(_found(r"99%\s+([\d.]+\w+)", out)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"wrk output without {pattern!r}:\n{text}")
    return match.group(1)


def _median_run(runs: list[dict]) -> dict:
    middle = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    return middle | {"errors": sum(r["errors"] for r in runs)}


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(\w+)", value)
    if match is None:
        raise RuntimeError(f"not a wrk duration: {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=4, help="per round and server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_child(args.serve, Path(args.workdir), args.port, args.workers)
        return 0
    if not shutil.which("wrk"):
        print("benchmark needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT))
    from tests.kit.ca import PrivateCA, body_bytes, now_timestamp, sign

    ca = PrivateCA.create()
    leaf, key = ca.leaf()
    envelope = json.loads((ROOT / "tests" / "data" / "envelopes" / "intent_go_to_step.json").read_text())
    kinds = ("hello-off", "ours-off", "sqlite-off", "hello-on", "ours-on", "bare-hello")
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "root.pem").write_bytes(ca.root_pem())
        (workdir / "chain.pem").write_bytes(ca.chain_pem(leaf))
        ports = {kind: free_port() for kind in kinds}
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "benchmarks.http_throughput", "--serve", kind, "--workdir", tmp,
                 "--port", str(ports[kind]), "--workers", str(args.workers)],
                cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for kind in kinds
        ]
        try:
            for kind in kinds:
                wait_healthy(ports[kind])
            envelope["request"]["timestamp"] = now_timestamp()  # signed once: fresh for the whole run (< 150 s)
            body = body_bytes(envelope)
            # Alexa signs every request it sends, whoever serves it: all three get the same bytes.
            signed = sign(body, key)
            headers = {kind: signed for kind in kinds}
            for kind in kinds:  # warm-up; fills ours-on's chain cache
                run_wrk(ports[kind], body, headers[kind], 1, args.connections, workdir)
            # Idle servers cost nothing, so the three take turns: drift in machine load hits all alike.
            for _ in range(args.rounds):
                for kind in kinds:
                    runs[kind].append(run_wrk(ports[kind], body, headers[kind], args.seconds, args.connections,
                                              workdir))
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=15)
    results = {kind: _median_run(r) for kind, r in runs.items()}

    print(f"{args.workers} gunicorn workers, wrk 2 threads x {args.connections} connections, "
          f"{args.rounds} rounds x {args.seconds}s per server, median round shown")
    print(f"{'server':<12}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'vs hello, same server':>24}")
    ratios = {}
    for kind, r in results.items():
        ours = kind.startswith(("ours", "sqlite"))
        base = results.get(kind.replace("ours", "hello").replace("sqlite", "hello")) or r
        ratio = f"{r['rps'] / base['rps']:.2f}x" if ours else ""
        if ours:
            ratios[kind] = r["rps"] / base["rps"]
        print(f"{kind:<12}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>9}{ratio:>24}")
    bare = results["bare-hello"]["rps"]
    print(f"against bare-hello: ours-off {results['ours-off']['rps'] / bare:.2f}x, "
          f"ours-on {results['ours-on']['rps'] / bare:.2f}x")
    worst = min(ratios.values())
    ok = worst >= TARGET and all(r["errors"] == 0 for r in results.values())
    print(f"worst same-server ratio {worst:.2f}x (target >= {TARGET}x) -> {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
