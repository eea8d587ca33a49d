"""Issue 21: an early refusal of a request whose body is still arriving reaches the client as its status and JSON
reason, never as a connection reset. Real server (gunicorn with our gevent worker) on loopback; the client is a raw
socket that sends the whole request, in pieces, as an HTTP client does, and only then reads the answer.

Closing a socket with the client's bytes unread makes the kernel send a reset, which can overtake the answer, and
makes the client's next send fail before it ever reads. The server now half-closes and reads on, bounded by bytes
and by time (skill/web/worker.py: LINGER_BYTES, LINGER_S), so a client that keeps sending still cannot hold it."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

import pytest

from skill.envelope import MAX_BODY_BYTES
from skill.web.worker import LINGER_BYTES, LINGER_S
from tests.kit.servers import healthy, real_server

REPEATS = 40  # a reset is a race: one clean exchange proves little, forty in a row do
BODY_BYTES = 200_000  # over the limit, and well within what the server reads on after refusing
JSON = "Content-Type: application/json"


@dataclass(frozen=True)
class Outcome:
    sent_all: bool  # every byte of the request was accepted (no broken pipe or reset while sending)
    ended: str  # how reading the answer ended: "eof" (clean), "reset", "timeout"
    response: bytes

    def summary(self) -> str:
        return f"sent_all={self.sent_all} ended={self.ended} first={self.response[:40]!r}"


def send_then_read(port: int, request: bytes, piece: int) -> Outcome:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sent_all = True
        try:
            for start in range(0, len(request), piece):
                sock.sendall(request[start:start + piece])
        except OSError:  # BrokenPipeError, ConnectionResetError: the server closed on unread bytes
            sent_all = False
        response, ended = b"", "eof"
        try:
            while chunk := sock.recv(65536):
                response += chunk
        except ConnectionResetError:
            ended = "reset"
        except TimeoutError:
            ended = "timeout"
    return Outcome(sent_all, ended, response)


def padded_body(size: int = BODY_BYTES) -> bytes:
    return b'{"version":"1.0","pad":"' + b"x" * size + b'"}'


def chunked(body: bytes, size: int = 8192) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def head(*lines: str) -> bytes:
    return ("\r\n".join(["POST / HTTP/1.1", "Host: 127.0.0.1", *lines]) + "\r\n\r\n").encode()


BODY = padded_body()
SMALL = padded_body(MAX_BODY_BYTES // 2)  # within the limit
CASES = [
    # (name, request bytes, piece size the client sends at a time, status, fragment of the reason)
    ("over-size chunked body, in pieces", head(JSON, "Transfer-Encoding: chunked") + chunked(BODY), 8192, 413,
     "over"),
    ("over-size Content-Length body, sent in full", head(JSON, f"Content-Length: {len(BODY)}") + BODY,
     len(BODY) + 200, 413, "over"),
    ("over-size Content-Length body, in pieces", head(JSON, f"Content-Length: {len(BODY)}") + BODY, 8192, 413,
     "over"),
    ("broken chunk framing with more body behind it",
     head(JSON, "Transfer-Encoding: chunked") + chunked(BODY[:32768])[:-5] + b"zz\r\n" + BODY[32768:], 8192, 400,
     "malformed"),
    ("wrong content type, body left unread", head("Content-Type: text/plain", f"Content-Length: {len(SMALL)}") + SMALL,
     8192, 415, "content type"),
    ("malformed request line, a body behind it", b"HELLO there\r\nHost: x\r\n\r\n" + BODY, 8192, 400,
     "request line"),
]


@pytest.fixture(scope="module")
def server():
    with real_server() as (port, process):
        yield port, process


def is_clean_refusal(outcome: Outcome, status: int, fragment: str) -> bool:
    head_bytes, _, body = outcome.response.partition(b"\r\n\r\n")
    if not (outcome.sent_all and outcome.ended == "eof" and head_bytes.startswith(b"HTTP/1.1 %d " % status)):
        return False
    if b"application/json" not in head_bytes.lower():
        return False
    try:
        reason = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return fragment in reason and b"xxxx" not in outcome.response


@pytest.mark.parametrize("name,request_bytes,piece,status,fragment", CASES, ids=[case[0] for case in CASES])
def test_an_early_refusal_reaches_the_client_not_a_reset(server, name, request_bytes, piece, status, fragment):
    port, _ = server
    assert len(BODY) > MAX_BODY_BYTES and len(request_bytes) < LINGER_BYTES
    outcomes = [send_then_read(port, request_bytes, piece) for _ in range(REPEATS)]
    unclean = [o.summary() for o in outcomes if not is_clean_refusal(o, status, fragment)]
    assert not unclean, f"{len(unclean)}/{REPEATS} not a clean {status}: {unclean[:3]}"
    assert healthy(port)


def keep_sending(port: int, piece: bytes, pause: float, limit_s: float) -> tuple[bytes, float, int]:
    """A refused head, then `piece` every `pause` seconds until the server hangs up (or `limit_s` passes).
    Returns (what the server answered, seconds until the server cut us off, bytes sent after the head)."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit_s) as sock:
        sock.sendall(head(JSON, f"Content-Length: {100 * 1024 * 1024}"))  # refused at once: over the limit
        started, sent = time.monotonic(), 0
        try:
            while time.monotonic() - started < limit_s:
                sock.sendall(piece)
                sent += len(piece)
                time.sleep(pause)
        except OSError:
            pass
        elapsed = time.monotonic() - started
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass  # the reset that ends a cut-off sender: its answer was read first
    return answer, elapsed, sent


@pytest.mark.parametrize("name,piece,pause,bound_s", [
    ("endless fast sender: cut by bytes", b"x" * 65536, 0.0, LINGER_S / 2),
    ("slow sender: cut by time", b"x" * 100, 0.05, LINGER_S + 1.5),
], ids=["bytes bound", "time bound"])
def test_a_sender_that_never_stops_is_still_cut_off(name, piece, pause, bound_s):
    with real_server(workers=1) as (port, _):
        answer, elapsed, sent = keep_sending(port, piece, pause, limit_s=10)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert elapsed < bound_s, (elapsed, sent)
        assert healthy(port)


def test_the_one_worker_answers_while_a_refused_sender_lingers(server):
    """A drain in progress costs a greenlet, not the worker: /health answers meanwhile."""
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head(JSON, f"Content-Length: {100 * 1024 * 1024}") + b"x" * 1000)
        assert sock.recv(100).startswith(b"HTTP/1.1 413 ")
        started = time.monotonic()
        assert healthy(port)
        assert time.monotonic() - started < 1
        sock.sendall(b"x" * 100)  # still being read and discarded
