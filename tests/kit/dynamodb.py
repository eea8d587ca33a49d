"""DynamoDB stand-ins on loopback for the store tests: moto's DynamoDB in server mode (the real HTTP API, in memory),
and a scripted server that answers each POST from a list of canned replies, for what moto never does (throttling,
5xx, damaged or oversized answers, silence, a closed keep-alive connection). Nothing here reaches AWS."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REGION = "eu-west-1"
# moto accepts any credentials; these keep botocore from looking for real ones (files, instance metadata).
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
NO_AWS_FILES = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"}


@contextmanager
def moto_dynamodb() -> Iterator[str]:
    """moto's server on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs each request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass
class Reply:
    """One canned answer: status, body, extra headers; `crc` False sends a wrong x-amz-crc32; `delay_s` waits
    first; `close` drops the connection after answering (while having said keep-alive)."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    crc: bool = True
    delay_s: float = 0.0
    close: bool = False

    @classmethod
    def error(cls, status: int, code: str, message: str = "canned error") -> Reply:
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
        return cls(status, body.encode())

    @classmethod
    def item(cls, attributes: dict) -> Reply:
        return cls(200, json.dumps({"Item": {"id": {"S": "k"}, "attributes": attributes}}).encode())


@dataclass
class Script:
    """What the scripted server answers, in order (the last reply repeats), and what it was sent."""

    replies: list[Reply]
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)  # client ports seen: a new port is a new connection

    def next_reply(self) -> Reply:
        return self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as DynamoDB's
    script: Script

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.script.requests.append((dict(self.headers.items()), body))
        self.script.connections.add(self.client_address[1])
        reply = self.script.next_reply()
        time.sleep(reply.delay_s)
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("x-amz-crc32", str(zlib.crc32(reply.body) + (0 if reply.crc else 1)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client refused an oversized answer: its right
            self.close_connection = True
            return
        if reply.close:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def scripted_dynamodb(*replies: Reply) -> Iterator[tuple[str, Script]]:
    """A loopback server answering every POST from `replies`; yields (endpoint URL, its Script)."""
    script = Script(list(replies) or [Reply()])
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("ScriptedDynamoDb", (_Handler,), {"script": script}))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Takes connections and never answers: what a hung endpoint looks like. Yields its endpoint URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed on exit: connections to it are refused
