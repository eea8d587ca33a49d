"""Slow clients against a running server: connections that dribble bytes while probes check it still answers.
Used by the hardening tests and by `python -m benchmarks.slow_clients`."""

from __future__ import annotations

import http.client
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

from .project import DATA

DRIBBLE_INTERVAL_S = 0.2
PROBE_INTERVAL_S = 0.1
TARGET_P99_S = 1.0


@dataclass
class Result:
    probes: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)
    reopened: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("inf")

    @property
    def p99(self) -> float:
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.probes > 0 and self.p99 < TARGET_P99_S


def _dribbler_payload(index: int) -> bytes:
    if index % 2 == 0:  # a request head that never ends
        return b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 4000
    head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    return head + b" " * 100000  # the head arrives at once (see below), the body a byte at a time


class Dribblers:
    """N connections, each sending its payload one byte per DRIBBLE_INTERVAL_S, in one thread."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.reopened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, index: int) -> tuple[socket.socket, bytes]:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        sock.setblocking(False)
        payload = _dribbler_payload(index)
        if index % 2 == 1:  # body dribblers send their whole head first
            head_end = payload.index(b"\r\n\r\n") + 4
            _send_all(sock, payload[:head_end])
            payload = payload[head_end:]
        return sock, payload

    def _run(self) -> None:
        conns = [self._open(i) for i in range(self.count)]
        while not self.stop.wait(DRIBBLE_INTERVAL_S):
            for i, (sock, payload) in enumerate(conns):
                try:
                    if not payload:
                        raise OSError("payload sent")
                    sock.send(payload[:1])
                    conns[i] = (sock, payload[1:])
                    try:
                        if sock.recv(4096) == b"":  # the server closed it (header deadline): open a new one
                            raise OSError("closed")
                    except BlockingIOError:
                        pass
                except OSError:
                    sock.close()
                    self.reopened += 1
                    try:
                        conns[i] = self._open(i)
                    except OSError:
                        pass
        for sock, _ in conns:
            sock.close()

    def __enter__(self) -> Dribblers:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def _send_all(sock: socket.socket, data: bytes) -> None:
    sock.setblocking(True)
    sock.sendall(data)
    sock.setblocking(False)


def probe(port: int, body: bytes) -> tuple[bool, float]:
    """One /health and one real request; True when both answered as expected."""
    started = time.perf_counter()
    try:
        for method, path, payload in (("GET", "/health", None), ("POST", "/", body)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status != 200:
                return False, time.perf_counter() - started
    except OSError:
        return False, time.perf_counter() - started
    return True, time.perf_counter() - started


def measure(port: int, connections: int, seconds: float) -> Result:
    body = (DATA / "envelopes" / "launch.json").read_bytes()
    result = Result()
    with Dribblers(port, connections) as dribblers:
        time.sleep(1.0)  # let every dribbler get its connection in first
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ok, latency = probe(port, body)
            result.probes += 1
            result.failures += not ok
            result.latencies.append(latency)
            time.sleep(PROBE_INTERVAL_S)
        result.reopened = dribblers.reopened
    return result
