"""The real production server (gunicorn + skill/web/worker.py) in a subprocess on loopback, for tests that must see
what a client sees: framing, timeouts, server-level refusals. Nothing is mocked.

    python -m tests.kit.servers --port P [--root root.pem --chain-base http://127.0.0.1:Q]

With --root, verification is on with that root, and chains are fetched for real (fetch_chain: deadline, no
redirects) from a loopback server at --chain-base: the test's stand-in for s3.amazonaws.com, which counts fetches.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[2]


def _app(args: argparse.Namespace):
    from skill.conversation import LOCAL_APPLICATION_ID
    from skill.web.app import create_app
    from skill.web.verify import RequestVerifier, fetch_chain, load_roots

    if not args.root:
        return create_app(None)
    roots = load_roots(Path(args.root).read_bytes())

    def fetch(url: str) -> bytes:  # the path keeps the original URL, so the chain server can count per URL
        return fetch_chain(f"{args.chain_base}/echo.api/{quote(urlsplit(url).path, safe='')}")

    return create_app(RequestVerifier([LOCAL_APPLICATION_ID], roots=roots, fetch=fetch))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def real_server(*, root: Path | None = None, chain_base: str | None = None, workers: int = 1):
    """Yields (port, process); stderr (the server's log) is collected in process.log_path."""
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"hamstring-real-server-{port}.log"
    command = [sys.executable, "-m", "tests.kit.servers", "--port", str(port), "--workers", str(workers)]
    if root is not None:
        command += ["--root", str(root), "--chain-base", str(chain_base)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log,
                                   env={k: v for k, v in os.environ.items() if k != "ALEXA_SKILL_ID"})
    process.log_path = log_path  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        yield port, process
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: no graceful wait for open connections
        process.wait(timeout=15)
        log_path.unlink(missing_ok=True)


@contextmanager
def hamstring_serve(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, workers: int = 1):
    """`hamstring serve` itself on a free loopback port, started as a user starts it (from `cwd`, default the
    project), until it answers /health. Yields (port, process); its output (the log) is in process.log_path. The
    state store is off unless `args` or `env` give one: never the real user's data directory."""
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"hamstring-serve-{port}.log"
    environment = {k: v for k, v in os.environ.items() if k != "ALEXA_SKILL_ID"}
    # From another folder the project must still be the one imported, not an installed copy.
    environment |= {"HAMSTRING_STATE": "off", "PYTHONPATH": str(ROOT)} | (env or {})
    command = [sys.executable, "-m", "hamstring", "serve", "--port", str(port), "--workers", str(workers), *args]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd or ROOT, env=environment, stdout=log, stderr=log)
    process.log_path = log_path  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                if healthy(port):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "hamstring serve did not come up"
            time.sleep(0.2)
        yield port, process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
        log_path.unlink(missing_ok=True)


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
            timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; (status, headers with lower-case names, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--root")
    parser.add_argument("--chain-base")
    args = parser.parse_args()
    from skill.web.serve import run_gunicorn

    logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
    run_gunicorn(lambda: _app(args), "127.0.0.1", args.port, args.workers)




def exchange(port: int, data: bytes, timeout: float = 15) -> tuple[int | None, dict | None, bytes]:
    """Raw bytes in; (status, JSON body, raw response) out. The write side is closed after sending, so a request
    that claims more body than it has ends at once instead of waiting for the read timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        response = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            response += chunk
            head, _, body = response.partition(b"\r\n\r\n")
            lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= lengths[0]:
                break
    if not response.startswith(b"HTTP/1."):
        return None, None, response
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    return status, (json.loads(body) if body else None), response


def healthy(port: int) -> bool:
    return exchange(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0] == 200


if __name__ == "__main__":
    main()
