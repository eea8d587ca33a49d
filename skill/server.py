"""The Alexa endpoint as a web service: a Flask app factory and `hamstring serve` (gunicorn).

Order on every POST, cheapest first, so a forged request costs us no network fetch:
declared body size (413) -> content type (415) -> the body, read whatever its framing, at most 128 KiB (413; 400 for
broken chunking; 408 when it stalls) -> strict JSON and envelope shape (400, `skill.envelope`) -> timestamp and
skill id (400) -> signature and certificate chain (400; the only step that may fetch) -> the skill (200).
Parsing before the signature is safe because the parser is bounded (size, depth, numbers) and touches nothing.
Every refusal is a short JSON reason of our own wording: neither the answer nor the log ever quotes the body.
Stateless: any worker, any instance can answer any turn.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import logging
import os
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import get_input_stream

from .envelope import MAX_BODY_BYTES, EnvelopeError, parse_envelope
from .frontends import state_choice
from .handlers import build_skill
from .invoke import invoke_checked
from .skill_id import VerificationFailed, check_skill_id, parse_skill_ids
from .store import StoreChoice
from .verify import RequestVerifier

READ_CHUNK = 16 * 1024
ENV_SKILL_ID = "ALEXA_SKILL_ID"
access_log = logging.getLogger("hamstring.access")
log = logging.getLogger(__name__)


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


class Refused(Exception):
    """A request we answer with a 4xx. `reason` is our own wording (never the input): it goes to the caller and
    to the log as it is."""

    def __init__(self, status: int, reason: str, close: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.close = status, reason, close


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
        # Not read to the end: the connection closes rather than drain what is left.
        raise Refused(413, f"request body over {limit} bytes", close=True)
    declared = environ.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) != size:
        # The client hung up early. Servers that mark their input terminated (gunicorn) then return what came,
        # and a complete-looking prefix must not pass for the request.
        raise Refused(400, "malformed request body (framing or early disconnect)", close=True)
    return b"".join(parts)


def _pseudonym(value: object) -> str | None:
    """A stable, non-reversible tag for an id we must not log in clear."""
    if not isinstance(value, str) or not value:
        return None
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def run_unverified(body: bytes, skill: Callable[[dict, bytes], dict], skill_ids: frozenset[str],
                   fields: dict[str, Any] | None = None) -> dict:
    """What the endpoint does with a body when it verifies no signature: envelope checks, the skill id when ids
    are configured, then the skill. The simulator page's turns take exactly this path. Raises EnvelopeError or
    VerificationFailed (the caller's 400). `fields`: the access log's, filled in from the envelope."""
    envelope = parse_envelope(body)
    if fields is not None:
        _describe(envelope, fields)
    if skill_ids:
        check_skill_id(envelope, skill_ids)
    return skill(envelope, body)


def create_app(
    verifier: RequestVerifier | None,
    *,
    skill_ids: frozenset[str] = frozenset(),
    skill: Callable[[dict, bytes], dict] = invoke_checked,  # the edge below has checked the envelope
    simulator: bool = False,
    store: AbstractPersistenceAdapter | None = None,
) -> Flask:
    """verifier=None serves without signature checks (local simulators); skill_ids still filter when given.
    `simulator`: also serve the browser simulator at /simulator (only without a verifier: a production endpoint
    never serves it); `store`: the adapter `skill` persists through, which the simulator shows and can clear."""
    if simulator and verifier is not None:
        raise ValueError("the simulator is served only by an unverified (loopback, --no-verify) server")
    app = Flask("hamstring")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if simulator:
        from .simulator import simulator_blueprint

        app.register_blueprint(simulator_blueprint(partial(run_unverified, skill=skill, skill_ids=skill_ids),
                                                   skill_ids=skill_ids, store=store))

    @app.get("/health")
    def health() -> Response:
        return _json(200, {"status": "ok", "verify": verifier is not None})

    @app.post("/")
    def alexa() -> Response:
        started = time.perf_counter()
        fields: dict[str, Any] = {}
        try:
            response = _json(200, _handle(fields))
        except Refused as refusal:
            fields["error"] = refusal.reason
            response = _json(refusal.status, {"error": refusal.reason})
            if refusal.close:
                response.headers["Connection"] = "close"
        if access_log.isEnabledFor(logging.INFO):
            fields.update(status=response.status_code, latency_ms=round((time.perf_counter() - started) * 1000, 2))
            access_log.info(json.dumps(fields, separators=(",", ":")))
        return response

    def _handle(fields: dict[str, Any]) -> dict:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise Refused(413, f"request body over {MAX_BODY_BYTES} bytes", close=True)
        # Cheaper than request.mimetype, which parses every header option.
        if request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() != "application/json":
            raise Refused(415, "content type must be application/json", close=True)  # body left unread
        body = read_body(request.environ)
        try:
            if verifier is None:
                return run_unverified(body, skill, skill_ids, fields)
            envelope = parse_envelope(body)
            _describe(envelope, fields)
            verifier.verify_envelope(envelope)  # cheap (timestamp, skill id): before any network fetch
            verifier.verify_signature(request.headers, body)
            return skill(envelope, body)
        except (VerificationFailed, EnvelopeError) as error:
            raise Refused(400, str(error)) from None

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _json(error.code or 400, {"error": error.description or error.name})

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # A bug must still give Alexa a valid answer. The log gets where it happened, not the exception's message:
        # messages from parsers and the SDK can quote the request.
        log.error("unexpected error %s\n%s", type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        return _json(200, {"version": "1.0", "response": {"outputSpeech": {
            "type": "PlainText", "text": "Sorry, something went wrong. Please try again."}, "shouldEndSession": True}})

    return app


def _describe(envelope: dict, fields: dict[str, Any]) -> None:
    body = envelope.get("request") or {}
    fields.update(
        request_id=body.get("requestId"),
        type=body.get("type"),
        intent=(body.get("intent") or {}).get("name") if isinstance(body.get("intent"), dict) else None,
        user=_pseudonym(((envelope.get("session") or {}).get("user") or {}).get("userId")),
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def app_from_environment(no_verify: bool, store: StoreChoice | None = None) -> Flask:
    """The production app: skill ids from ALEXA_SKILL_ID, Mozilla's roots (certifi), the real chain fetcher;
    `store`: where users' saved places persist (None: nowhere)."""
    skill_ids = parse_skill_ids(os.environ.get(ENV_SKILL_ID))
    # The adapter opens its SQLite connection per worker process, on first use; the edge has checked the envelope.
    custom_skill = build_skill(store)
    skill = partial(invoke_checked, skill=custom_skill)
    if no_verify:
        log.warning("request verification is OFF: for local simulators only, never expose this server")
        return create_app(None, skill_ids=skill_ids, skill=skill, simulator=True,
                          store=custom_skill.persistence_adapter)
    if not skill_ids:
        raise ValueError(f"set {ENV_SKILL_ID} to your skill id (amzn1.ask.skill...), or use --no-verify on loopback")
    return create_app(RequestVerifier(skill_ids), skill_ids=skill_ids, skill=skill)


def run_gunicorn(app_factory: Callable[[], Flask], host: str, port: int, workers: int) -> None:
    """gunicorn with our gevent worker (skill/http_worker.py): slow clients cost a greenlet, not a worker."""
    from gunicorn.app.base import BaseApplication

    from .http_worker import HEADER_TIMEOUT_S, WORKER_CONNECTIONS

    class _Server(BaseApplication):
        def load_config(self) -> None:
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            settings = {
                "bind": bind, "workers": workers, "worker_class": "skill.http_worker.AlexaWorker",
                "worker_connections": WORKER_CONNECTIONS, "accesslog": None, "loglevel": "warning",
                "timeout": 30, "graceful_timeout": 5,
                # The gevent worker bounds reading each request head by the keep-alive timeout.
                "keepalive": HEADER_TIMEOUT_S,
                # Alexa's requests have one short request line and about ten headers.
                "limit_request_line": 4094, "limit_request_fields": 50, "limit_request_field_size": 8190,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app_factory()

    _Server().run()


def cmd_serve(args: argparse.Namespace) -> int:
    from .cli import CliError

    if args.no_verify and not is_loopback(args.host):
        raise CliError("--no-verify is only allowed on a loopback host (127.0.0.1, ::1, localhost)", 2)
    if args.workers < 1:
        raise CliError("--workers must be at least 1", 2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    choice = state_choice(args)
    store = choice if choice.kind != "off" else None
    try:
        app_from_environment(args.no_verify, store)  # fail here, once, with one line, not in every worker
    except ValueError as error:
        raise CliError(str(error)) from None
    print(f"serving the Alexa endpoint on http://{args.host}:{args.port}/ (verification "
          f"{'off' if args.no_verify else 'on'}, {args.workers} worker(s)); health: /health; {choice.reason}"
          + (f"\nsimulator page: http://{host_for_url(args.host)}:{args.port}/simulator" if args.no_verify else ""),
          flush=True)
    run_gunicorn(lambda: app_from_environment(args.no_verify, store), args.host, args.port, args.workers)
    return 0
