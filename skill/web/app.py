"""The web service's app factory: the one place that knows the endpoints and blueprints.

    create_app(verifier, ...)       the Alexa endpoint (skill/web/alexa.py), and with simulator=True the browser
                                    simulator (skill/web/simulator/) on an unverified loopback server
    app_from_environment(...)       the production app from ALEXA_SKILL_ID and the store choice
"""

from __future__ import annotations

import logging
import os
import traceback
from functools import partial

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..builder import build_skill
from ..envelope import MAX_BODY_BYTES
from ..invoke import invoke_checked
from ..skill_id import parse_skill_ids
from ..store import StoreChoice
from .alexa import AlexaEndpoint, Skill, run_unverified
from .edge import is_loopback_request, json_response, with_security_headers
from .simulator import VoiceSupport
from .verify import RequestVerifier

ENV_SKILL_ID = "ALEXA_SKILL_ID"
log = logging.getLogger(__name__)


def create_app(
    verifier: RequestVerifier | None,
    *,
    skill_ids: frozenset[str] = frozenset(),
    skill: Skill = invoke_checked,  # the edge below has checked the envelope
    simulator: bool = False,
    store: AbstractPersistenceAdapter | None = None,
    voice: VoiceSupport | None = None,
) -> Flask:
    """verifier=None serves without signature checks (local simulators); skill_ids still filter when given.
    `simulator`: also serve the browser simulator at /simulator (only without a verifier: a production endpoint
    never serves it); `store`: the adapter `skill` persists through, which the simulator shows and can clear;
    `voice`: the spoken turns of the simulator (local_voice.web), when the server was started with them."""
    if simulator and verifier is not None:
        raise ValueError("the simulator is served only by an unverified (loopback, --no-verify) server")
    # No static folder: Flask would otherwise serve the files of a static/ folder next to the app's package at /static
    # (the simulator's assets are its blueprint's own).
    app = Flask("hamstring", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    if verifier is None:
        app.before_request(loopback_only)
    app.after_request(with_security_headers)
    if simulator:
        from . import simulator as pages

        pages.init_app(app, partial(run_unverified, skill=skill, skill_ids=skill_ids), skill_ids=skill_ids,
                       store=store, voice=voice)
    endpoint = AlexaEndpoint(verifier, skill, skill_ids)
    app.add_url_rule("/health", "health", endpoint.health, methods=["GET"])
    app.add_url_rule("/", "alexa", endpoint.answer, methods=["POST"])
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
    return app


def loopback_only() -> Response | None:
    """An unverified server answers loopback clients that use a loopback name, on every endpoint (edge.py)."""
    if not is_loopback_request(request.remote_addr, request.host, request.headers.get("Origin")):
        return json_response(404, {"error": "not found"})
    return None


def http_error(error: HTTPException) -> Response:
    return json_response(error.code or 400, {"error": error.description or error.name})


def unexpected(error: Exception) -> Response:
    # A bug must still give Alexa a valid answer. The log gets where it happened, not the exception's message:
    # messages from parsers and the SDK can quote the request.
    log.error("unexpected error %s\n%s", type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
    return json_response(200, {"version": "1.0", "response": {"outputSpeech": {
        "type": "PlainText", "text": "Sorry, something went wrong. Please try again."}, "shouldEndSession": True}})


def app_from_environment(no_verify: bool, store: StoreChoice | None = None,
                         voice: VoiceSupport | None = None) -> Flask:
    """The production app: skill ids from ALEXA_SKILL_ID, Mozilla's roots (certifi), the real chain fetcher;
    `store`: where users' saved places persist (None: nowhere); `voice`: the simulator's spoken turns."""
    skill_ids = parse_skill_ids(os.environ.get(ENV_SKILL_ID))
    # The adapter opens its SQLite connection per worker process, on first use; the edge has checked the envelope.
    custom_skill = build_skill(store)
    skill = partial(invoke_checked, skill=custom_skill)
    if no_verify:
        log.warning("request verification is OFF: for local simulators only, never expose this server")
        return create_app(None, skill_ids=skill_ids, skill=skill, simulator=True,
                          store=custom_skill.persistence_adapter, voice=voice)
    if not skill_ids:
        raise ValueError(f"set {ENV_SKILL_ID} to your skill id (amzn1.ask.skill...), or use --no-verify on loopback")
    return create_app(RequestVerifier(skill_ids), skill_ids=skill_ids, skill=skill)
