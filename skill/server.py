"""The Alexa endpoint as a web service: a Flask app factory and `hamstring serve` (gunicorn).

Order on every POST, cheapest and safest first, nothing parsed before it is verified:
body size (413) -> content type (415) -> signature and certificate chain (400) -> JSON and envelope shape (400)
-> timestamp and skill id (400) -> the skill (200). Stateless: any worker, any instance can answer any turn.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import logging
import os
import time
from typing import Any, Callable

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .frontends import add_state_arguments, state_choice
from .handlers import build_skill
from .invoke import EnvelopeError, invoke, invoker, parse_envelope
from .skill_id import VerificationFailed, check_skill_id, parse_skill_ids
from .store import StoreChoice
from .verify import RequestVerifier

MAX_BODY_BYTES = 128 * 1024
ENV_SKILL_ID = "ALEXA_SKILL_ID"
access_log = logging.getLogger("hamstring.access")
log = logging.getLogger(__name__)


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


def _pseudonym(value: object) -> str | None:
    """A stable, non-reversible tag for an id we must not log in clear."""
    if not isinstance(value, str) or not value:
        return None
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def create_app(
    verifier: RequestVerifier | None,
    *,
    skill_ids: frozenset[str] = frozenset(),
    skill: Callable[[dict, bytes], dict] = invoke,
) -> Flask:
    """verifier=None serves without signature checks (local simulators); skill_ids still filter when given."""
    app = Flask("hamstring")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.get("/health")
    def health() -> Response:
        return _json(200, {"status": "ok", "verify": verifier is not None})

    @app.post("/")
    def alexa() -> Response:
        started = time.perf_counter()
        fields: dict[str, Any] = {}
        try:
            response = _handle(fields)
        except HTTPException as error:  # 413 from the size limit while reading the body
            response = _json(error.code or 400, {"error": error.description})
            fields.setdefault("error", error.name)
        if access_log.isEnabledFor(logging.INFO):
            fields.update(status=response.status_code, latency_ms=round((time.perf_counter() - started) * 1000, 2))
            access_log.info(json.dumps(fields, separators=(",", ":")))
        return response

    def _handle(fields: dict[str, Any]) -> Response:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            fields["error"] = "body too large"
            return _json(413, {"error": f"request body over {MAX_BODY_BYTES} bytes"})
        # Cheaper than request.mimetype, which parses every header option.
        if request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() != "application/json":
            fields["error"] = "content type"
            return _json(415, {"error": "content type must be application/json"})
        body = request.get_data(cache=False)
        try:
            if verifier is not None:
                verifier.verify_signature(request.headers, body)
            envelope = parse_envelope(body)
            _describe(envelope, fields)
            if verifier is not None:
                verifier.verify_envelope(envelope)
            elif skill_ids:
                check_skill_id(envelope, skill_ids)
        except (VerificationFailed, EnvelopeError) as error:
            fields["error"] = str(error)
            return _json(400, {"error": str(error)})
        try:
            answer = skill(envelope, body)
        except EnvelopeError as error:
            fields["error"] = str(error)
            return _json(400, {"error": str(error)})
        return _json(200, answer)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _json(error.code or 400, {"error": error.description or error.name})

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # A bug must still give Alexa a valid answer; the traceback goes to the log, not to the caller.
        log.exception("unexpected error")
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


def app_from_environment(no_verify: bool, store: StoreChoice | None = None) -> Flask:
    """The production app: skill ids from ALEXA_SKILL_ID, Mozilla's roots (certifi), the real chain fetcher;
    `store`: where users' saved places persist (None: nowhere)."""
    skill_ids = parse_skill_ids(os.environ.get(ENV_SKILL_ID))
    skill = invoker(build_skill(store))  # the adapter opens its SQLite connection per worker process, on first use
    if no_verify:
        log.warning("request verification is OFF: for local simulators only, never expose this server")
        return create_app(None, skill_ids=skill_ids, skill=skill)
    if not skill_ids:
        raise ValueError(f"set {ENV_SKILL_ID} to your skill id (amzn1.ask.skill...), or use --no-verify on loopback")
    return create_app(RequestVerifier(skill_ids), skill_ids=skill_ids, skill=skill)


def run_gunicorn(app_factory: Callable[[], Flask], host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            for key, value in {"bind": bind, "workers": workers, "accesslog": None, "loglevel": "warning",
                               "timeout": 30, "graceful_timeout": 5}.items():
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
          f"{'off' if args.no_verify else 'on'}, {args.workers} worker(s)); health: /health; {choice.reason}",
          flush=True)
    run_gunicorn(lambda: app_from_environment(args.no_verify, store), args.host, args.port, args.workers)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the Alexa endpoint over HTTP (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--no-verify", action="store_true", help="skip Alexa signature checks (loopback only)")
    add_state_arguments(serve)
    serve.set_defaults(func=cmd_serve)
