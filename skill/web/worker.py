"""The gunicorn worker `hamstring serve` runs: gevent, so a slow client costs a greenlet, never a worker.

Why not the sync or threaded workers: both give a whole worker (or thread) to a connection from its first byte
until its request is read, so a few clients that send half a request and wait stop the service. Here:
- request line and headers must arrive within HEADER_TIMEOUT_S in total (gunicorn's keep-alive timeout, which its
  gevent worker applies to reading every request head, the first included);
- the body may stall at most BODY_READ_TIMEOUT_S per read (the socket's timeout); the app turns that into a 408;
- requests the server itself refuses (bad request line, oversized headers, broken chunking) get the same short JSON
  reasons as the rest of the API, in our own words: gunicorn's own messages quote the offending input;
- a connection closed after its answer (a refusal that left the body unread, a server-level refusal) is half-closed
  and read on for at most LINGER_S and LINGER_BYTES first: closed with the client's bytes unread, the kernel resets
  it, and the reset can overtake the answer or fail the client's send before it reads the answer at all;
- SQLite calls that may wait for the file (another process holding its lock) run in gevent's thread pool, so that
  the wait holds one OS thread for at most the store's busy timeout, never the event loop every connection shares.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

from gevent import get_hub
from gunicorn.http import errors
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from ..store.sqlite import use_blocking_runner

HEADER_TIMEOUT_S = 5
BODY_READ_TIMEOUT_S = 10
WORKER_CONNECTIONS = 1000  # per worker: each is a greenlet and a socket, a few kilobytes
# Reading on after a refusal: enough for a client that sent 8x the body limit to see its answer, and a sender that
# never stops is cut off by whichever bound it reaches first (a fast one by bytes, in milliseconds).
LINGER_S = 2.0
LINGER_BYTES = 1024 * 1024
_LINGER_READ = 64 * 1024


def _errors(*names: str) -> tuple[type[BaseException], ...]:
    """gunicorn's error classes by name; the ones an older gunicorn lacks are simply not raised by it."""
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))


# (status, reason) for what gunicorn refuses before the app sees the request. Checked in order: first match wins.
_REFUSALS: list[tuple[tuple[type[BaseException], ...], int, str]] = [
    (_errors("LimitRequestLine"), 414, "request line too long"),
    (_errors("LimitRequestHeaders"), 431, "request headers too large or too many"),
    (_errors("InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion"), 400, "malformed request line"),
    (_errors("InvalidHeader", "InvalidHeaderName", "ObsoleteFolding", "InvalidSchemeHeaders"), 400,
     "malformed request header"),
    (_errors("InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension"), 400,
     "malformed request body (framing or early disconnect)"),
    # RFC 9112 suggests 501; our contract is that bad input is a 4xx, and an unknown coding is the client's doing.
    (_errors("UnsupportedTransferCoding"), 400, "transfer coding not supported"),
    (_errors("ExpectationFailed"), 417, "expectation not supported"),
]
_BODY_ERRORS = _errors("InvalidChunkSize", "ChunkMissingTerminator", "InvalidChunkExtension")
_PHRASES = {400: "Bad Request", 414: "URI Too Long", 417: "Expectation Failed", 431: "Request Header Fields Too Large",
            500: "Internal Server Error"}


def refusal_for(exc: BaseException) -> tuple[int, str]:
    for classes, status, reason in _REFUSALS:
        if isinstance(exc, classes):
            return status, reason
    return 500, "internal error"


def json_error_bytes(status: int, reason: str) -> bytes:
    body = json.dumps({"error": reason}, separators=(",", ":")).encode()
    head = (f"HTTP/1.1 {status} {_PHRASES.get(status, 'Error')}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def honour_connection_close(app: Callable[..., Any]) -> Callable[..., Any]:
    """gunicorn drops an application's `Connection: close` (a hop-by-hop header) and keeps the connection, so after
    a refused body (too large, broken chunking) it would read on through the rest of that body. The app's
    refusal sets the header; this closes the connection instead."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(k.lower() == "connection" and v.lower() == "close" for k, v in headers):
                owner = getattr(start_response, "__self__", None)  # gunicorn's Response
                if owner is not None and hasattr(owner, "force_close"):
                    owner.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


def in_thread_pool(call: Callable[[], Any]) -> Any:
    """`call` in gevent's thread pool, the calling greenlet waiting for it (the loop serves the others meanwhile).
    Its exception is raised here, in the caller: raised in the pool, gevent would first print it with the call and
    its arguments (a user's key and saved place) to the log."""

    def captured() -> tuple[Any, Exception | None]:
        try:
            return call(), None
        except Exception as error:  # noqa: BLE001 - handed back as it is, to be raised below
            return None, error

    value, error = get_hub().threadpool.apply(captured)
    if error is not None:
        raise error
    return value


def linger(sock: Any, seconds: float = LINGER_S, limit: int = LINGER_BYTES) -> None:
    """Half-close (the answer goes out, then our FIN), then read and discard what the client still sends until it
    closes, or `limit` bytes or `seconds` have passed, whichever comes first. The caller closes the socket. In
    the gevent worker each read waits in the event loop: a lingering client costs a greenlet, never the worker."""
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:  # already gone: nothing to protect
        return
    deadline = time.monotonic() + seconds
    drained = 0
    while drained < limit:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            sock.settimeout(remaining)
            data = sock.recv(_LINGER_READ)
        except OSError:  # the timeout included
            return
        if not data:
            return
        drained += len(data)


class AlexaWorker(GeventWorker):
    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi: Callable[..., Any] = honour_connection_close(self.wsgi)
        use_blocking_runner(in_thread_pool)

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle makes the socket fully blocking; we want every read bounded instead.
        client.settimeout(BODY_READ_TIMEOUT_S)
        AsyncWorker.handle(self, listener, client, addr)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> None:
        try:
            super().handle_request(listener_name, req, sock, addr)
        except StopIteration:  # answered, and the connection closes (ours or the client's Connection: close)
            linger(sock)
            raise

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if req is None and isinstance(exc, _BODY_ERRORS):
            # Raised while gunicorn drained the unread body of a request already answered (a 404, say): that
            # request has its response; a second one would arrive unasked. The connection just closes.
            self.log.info("closed a connection: broken body after the response (%s)", type(exc).__name__)
            linger(client)
            return
        status, reason = refusal_for(exc)
        if status == 500:
            # Not the client's fault: keep gunicorn's logging of the traceback; the client learns nothing more.
            self.log.exception("error handling request")
        else:
            self.log.info("refused a request: %s (%s)", reason, type(exc).__name__)
        try:
            client.sendall(json_error_bytes(status, reason))
        except OSError:
            return
        linger(client)
