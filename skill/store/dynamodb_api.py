"""A small client of DynamoDB's JSON API: one signed POST per call over http.client, retried as botocore's "legacy"
mode retries DynamoDB (throttling, 5xx, broken connections, a damaged answer; 50 ms, doubling), so a Lambda cold start
does not pay for importing boto3 and building its resource (~360 ms on the benchmark machine).

Each thread keeps one connection open between calls (a warm Lambda skips the TLS handshake); a reused connection
the server closed meanwhile is opened again at once, without costing an attempt.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .sigv4 import Credentials, host_header, sign

API_VERSION = "DynamoDB_20120810"
# DynamoDB's answers here are one item (at most 400 KB of data) or a few lines; anything much bigger is not one.
MAX_RESPONSE_BYTES = 1 << 20
BACKOFF_BASE_S = 0.05  # botocore's legacy backoff for DynamoDB: 50 ms, then 100 ms, 200 ms, ...
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# botocore's throttling codes (its legacy retry rules), DynamoDB's own among them.
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})


class DynamoDbError(Exception):
    """DynamoDB answered with an error (`code` as DynamoDB names it), or its answer was not one (`code` "BadResponse"),
    or it could not be reached (`code` "ConnectionError")."""

    def __init__(self, code: str, message: str, retryable: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Endpoint:
    url: str
    region: str
    timeout_s: float
    max_attempts: int


class DynamoDbApi:
    """`call(operation, payload)` -> the answer's JSON object. Credentials are read from `environ` at each call."""

    def __init__(self, endpoint: Endpoint, environ: Mapping[str, str] = os.environ) -> None:
        parts = urlsplit(endpoint.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) endpoint: {endpoint.url!r}")
        self.endpoint = endpoint
        self.environ = environ
        self._host = host_header(endpoint.url)
        self._path = parts.path or "/"
        self._local = threading.local()  # .connection: this thread's open connection, if any
        self._context: ssl.SSLContext | None = None

    def call(self, operation: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        attempt = 1
        while True:
            try:
                return self._attempt(operation, body)
            except DynamoDbError as error:
                if not error.retryable or attempt >= self.endpoint.max_attempts:
                    raise
            time.sleep(BACKOFF_BASE_S * 2 ** (attempt - 1))
            attempt += 1

    def _attempt(self, operation: str, body: bytes) -> dict[str, Any]:
        credentials = Credentials.from_env(self.environ)
        if credentials is None:
            raise DynamoDbError("NoCredentials", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
        headers = sign("POST", self.endpoint.url, {
            "Host": self._host,
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{API_VERSION}.{operation}",
        }, body, credentials, self.endpoint.region, "dynamodb")
        status, answer, crc = self._exchange(body, headers)
        if crc is not None and crc.strip().isdigit() and int(crc) != zlib.crc32(answer):
            raise DynamoDbError("BadResponse", "the answer's CRC32 does not match (damaged on the way)", True)
        return _read_answer(status, answer)

    def _exchange(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str | None]:
        """(status, body, x-amz-crc32) of one POST; a broken connection is DynamoDbError("ConnectionError")."""
        reused = getattr(self._local, "connection", None) is not None
        try:
            try:
                return self._post(body, headers)
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.BadStatusLine):
                if not reused:
                    raise
                self._drop()  # an idle connection the server closed: a new one, not a retry
                return self._post(body, headers)
        except DynamoDbError:
            self._drop()
            raise
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            reason = " ".join(str(error).split()) or "no reason given"
            what = "Timeout on" if isinstance(error, TimeoutError) else "Could not connect to"
            raise DynamoDbError("ConnectionError", f"{what} the endpoint URL: {self.endpoint.url!r} "
                                f"({type(error).__name__}: {reason})", True) from None

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str | None]:
        connection = self._connection()
        connection.request("POST", self._path, body, headers)
        response = connection.getresponse()
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > MAX_RESPONSE_BYTES:
            raise DynamoDbError("BadResponse", f"an answer of {int(declared)} bytes (more than {MAX_RESPONSE_BYTES})")
        answer = response.read(MAX_RESPONSE_BYTES + 1)
        if len(answer) > MAX_RESPONSE_BYTES:
            raise DynamoDbError("BadResponse", f"an answer of more than {MAX_RESPONSE_BYTES} bytes")
        if response.will_close:
            self._drop()
        return response.status, answer, response.getheader("x-amz-crc32")

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            parts = urlsplit(self.endpoint.url)
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(parts.hostname or "", parts.port,
                                                         timeout=self.endpoint.timeout_s, context=self._tls())
            else:
                connection = http.client.HTTPConnection(parts.hostname or "", parts.port,
                                                        timeout=self.endpoint.timeout_s)
            self._local.connection = connection
        return connection

    def _tls(self) -> ssl.SSLContext:
        """Certificates checked against the system's authorities, or AWS_CA_BUNDLE's alone (as botocore does)."""
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.environ.get("AWS_CA_BUNDLE") or None)
        return self._context

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _read_answer(status: int, answer: bytes) -> dict[str, Any]:
    try:
        data = json.loads(answer) if answer.strip() else {}
    except (ValueError, RecursionError):
        data = None
    if 200 <= status < 300:
        if not isinstance(data, dict):
            raise DynamoDbError("BadResponse", f"HTTP {status} with a body that is not a JSON object")
        return data
    code, message = _error_of(data)
    if code is None:
        code, message = f"HTTP{status}", f"HTTP {status} without a DynamoDB error in the body"
    raise DynamoDbError(code, message, status in RETRY_STATUSES or code in THROTTLING_CODES)


def _error_of(data: object) -> tuple[str | None, str]:
    """DynamoDB's error shape: {"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": "..."}."""
    if not isinstance(data, dict) or not isinstance(data.get("__type"), str):
        return None, ""
    code = data["__type"].rpartition("#")[2]
    message = data.get("message", data.get("Message", ""))
    return (code or None), " ".join(str(message).split())[:300]
