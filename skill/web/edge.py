"""What every endpoint of the web service shares at the edge: the refusal type, the bounded body reader, the JSON
reply, the loopback rules and the security headers. A leaf module: the blueprints import it, it imports none of them."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from flask import Response
from werkzeug.wsgi import get_input_stream

from ..envelope import MAX_BODY_BYTES

READ_CHUNK = 16 * 1024


class Refused(Exception):
    """A request we answer with a 4xx. `reason` is our own wording (never the input): it goes to the caller and
    to the log as it is. `close`: the connection closes after the answer (the body was left unread)."""

    def __init__(self, status: int, reason: str, close: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.close = status, reason, close


def json_response(status: int, payload: dict[str, Any], *, ascii_only: bool = True) -> Response:
    """The one way an endpoint answers JSON: compact, and a refusal's body is {"error": reason}."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=ascii_only)
    return Response(text, status=status, mimetype="application/json")


def refusal_response(refusal: Refused) -> Response:
    response = json_response(refusal.status, {"error": refusal.reason})
    if refusal.close:
        response.headers["Connection"] = "close"
    return response


def is_json_content(content_type: str | None) -> bool:
    # Cheaper than request.mimetype, which parses every header option.
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def read_body(environ: dict[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, whatever its framing (Content-Length or chunked), never more than `limit` bytes.

    Not request.get_data(): with chunked bodies werkzeug's limit silently truncates, and the server's chunk
    errors escape it as exceptions. Here an over-long body is a 413 and broken framing a 400."""
    stream = get_input_stream(environ, safe_fallback=True)  # bounded by Content-Length when there is one
    parts: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = stream.read(READ_CHUNK)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except TimeoutError:  # the worker's socket read timeout: a client that stalls mid-body
        raise Refused(408, "request body not received in time", close=True) from None
    except Exception:  # every server raises its own framing errors (gunicorn's, werkzeug's, OSError): all are 400s
        raise Refused(400, "malformed request body (framing or early disconnect)", close=True) from None
    if size > limit:
        # Not read to the end: the connection closes; the worker reads on only a bounded amount first (linger).
        raise Refused(413, f"request body over {limit} bytes", close=True)
    declared = environ.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) != size:
        # The client hung up early. Servers that mark their input terminated (gunicorn) then return what came,
        # and a complete-looking prefix must not pass for the request.
        raise Refused(400, "malformed request body (framing or early disconnect)", close=True)
    return b"".join(parts)


# On every response. No page of ours is ever framed (clickjacking), nor read as another type than it says.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def with_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def pseudonym(value: object) -> str | None:
    """A stable, non-reversible tag for an id we must not log in clear."""
    if not isinstance(value, str) or not value:
        return None
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def is_loopback_request(remote_addr: str | None, host: str | None, origin: str | None) -> bool:
    """The one rule for every endpoint of an unverified (--no-verify) server: the peer is loopback, the name it asked
    for (Host) is a loopback name, and so is the page's (Origin), when a browser sends one.

    The peer alone is not enough: with DNS rebinding, a page on another site's name has that name re-resolve to
    127.0.0.1, and the browser then sends its requests to us with that name as Host and Origin. So any other name
    is refused, and so is "Origin: null" (sandboxed frames, files)."""
    if not is_loopback(remote_addr or "") or not is_loopback(_hostname(f"//{host or ''}")):
        return False
    return origin is None or is_loopback(_hostname(origin))


def host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host
