"""The browser simulator `hamstring serve --no-verify` serves at /simulator: type, touch or speak to the skill and see
what Alexa would see. Never registered on a verifying (production) server: `skill.web.app.create_app` refuses that.

Every turn is a real request envelope built by `skill.conversation.Conversation` and run through the endpoint's own
unverified path (`skill.web.alexa.run_unverified`: envelope checks, skill id, the skill), exactly as a POST to `/`.

The session lives in the page, as Alexa keeps it on its side: each turn posts the session id and the attributes the
last response returned, and gets the new ones back. The server keeps nothing between requests, so any gunicorn worker
can answer any turn (`serve` runs several) and a restart loses nothing but what the store persisted.

Endpoints (JSON in, JSON out; a bad request is a 4xx with a short reason of our own wording, never the input):
    POST /simulator/api/turn    {"session": {"id", "attributes"}, "device", one of "utterance" | "touch" | "end",
                                 "speak": true to get the answer's speech as a WAV too}
    POST /simulator/api/voice   the same with "audio": base64 WAV instead of the utterance (the voice extra)
    POST /simulator/api/forget  {} -> deletes the local user's saved place
    POST /simulator/api/replay  {"file": the text of a saved conversation} -> {"utterances", "format", ...}: what
                                 "Load conversation" sends, read from an ASK CLI replay file (what "Save
                                 conversation" writes, `ask dialog --replay` plays and `hamstring chat --replay`
                                 reads; skill/askcli.py) or from a text file of one utterance a line

A spoken turn is decided as `hamstring voice` decides it (by local_voice/web.py, which `serve` hands in as the
`voice` support; without it spoken turns are a 501): answered, checked ("Did you ask
...?") or not caught, by the same confidence and rules. A check is a turn of the assistant's own, not sent to the
skill: the response has "turn": null, "local" (its speech and outcome) and "pending", the question being checked,
which the page sends back with its next turn ("pending": {"utterance", "confidence"}), spoken or typed: yes sends it,
no asks again, anything else is a new question. The server re-reads the pending question with the matcher, as it
would any utterance; the page cannot hand it a request of its own.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Blueprint, Flask, Response, current_app, render_template, request

from intents.matcher import default_matcher

from ...askcli import MAX_REPLAY_BYTES, ReplayError, parse_replay
from ...conversation import DEFAULT_LOCALE, LOCAL_APPLICATION_ID, build_request, read_persisted, touch_request
from ...display import EVENT_INTENTS, STEP_TOKEN, TOKENS
from ...invoke import to_request_envelope
from ...store import FailSoftAdapter
from ..edge import is_loopback_request, json_response
from .turns import (
    FORGET,
    MAX_RECORDING_S,
    MAX_UTTERANCE_CHARS,
    MAX_VOICE_BYTES,
    NO_VOICE,
    REPLAY,
    TURN,
    VOICE,
    BadTurn,
    Page,
    VoiceSupport,
    action_of,
    handled,
    pending_of,
    result,
    utterance_of,
)

EXTENSION = "hamstring.simulator"
NO_SPEECH_OUTPUT = {"audio": None, "audio_note": "no speech output: the server lacks the voice extra"}
pages = Blueprint("simulator", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/simulator/static")


@dataclass(frozen=True)
class Simulator:
    """The page's settings, kept on the app (Flask's extensions), read by the endpoints below."""

    page: Page
    voice: VoiceSupport | None = None


def init_app(app: Flask, endpoint: Any, *, skill_ids: frozenset[str] = frozenset(),
             store: AbstractPersistenceAdapter | None = None, voice: VoiceSupport | None = None) -> None:
    """`endpoint`: the body of a POST to `/` in, the response envelope out (raises EnvelopeError/VerificationFailed).
    `store`: the adapter the skill persists through (None: state off)."""
    # With ALEXA_SKILL_ID set, the page speaks as that skill, so the id check passes as it would for Alexa.
    application_id = sorted(skill_ids)[0] if skill_ids else LOCAL_APPLICATION_ID
    app.extensions[EXTENSION] = Simulator(Page(endpoint, application_id, store), voice)
    # The language (the matcher, built from the templates: seconds) is loaded with the app, not by the first turn,
    # which in `serve`'s gevent worker would hold the event loop, and so every other request, as long. `serve` makes
    # the app once before it forks its workers: they start with it loaded.
    default_matcher()
    app.register_blueprint(pages)


def _page() -> Page:
    return current_app.extensions[EXTENSION].page


def _voice() -> VoiceSupport | None:
    return current_app.extensions[EXTENSION].voice


@pages.before_request
def loopback_only() -> Response | None:
    # The app's own rule for an unverified server (skill/web/app.py), held here too, so that it also holds for an app
    # that mounts the blueprint some other way.
    if not is_loopback_request(request.remote_addr, request.host, request.headers.get("Origin")):
        return json_response(404, {"error": "not found"})
    return None


@pages.get("/simulator")
def page() -> str:
    voice = _voice()
    if voice is not None:
        voice.warm_up()
    return render_template("simulator.html", max_utterance=MAX_UTTERANCE_CHARS,
                           max_recording_s=int(MAX_RECORDING_S), state_on=_page().store is not None,
                           skill_id=_page().application_id, locale=DEFAULT_LOCALE)


@pages.post("/simulator/api/turn")
def turn() -> Response:
    return handled(typed_turn, TURN)


def typed_turn(data: dict) -> dict[str, Any]:
    action = action_of(data)
    talk = _page().conversation(data)
    if action == "end":
        if not talk.open:
            raise BadTurn(409, "no session is open")
        return result(talk, talk.close())
    if action == "touch":
        word, token = data["touch"], data.get("token", STEP_TOKEN)
        if word not in EVENT_INTENTS or token not in TOKENS:
            raise BadTurn(400, "touch must be next, previous or repeat on one of the skill's documents")
        if not talk.open:
            raise BadTurn(409, "no session is open: a screen shows buttons only during a session")
        return result(talk, talk.send(touch_request(word, token)))
    utterance = utterance_of(data.get("utterance"))
    pending = pending_of(data.get("pending"))
    voice = _voice()
    if pending is None:
        record = talk.say(utterance)
        speech, answer = record.speech, result(talk, record)
    elif voice is None:
        raise BadTurn(501, NO_VOICE)
    else:  # a typed reply to a check of a spoken turn: yes or no settle it, as they would spoken
        speech, answer = voice.reply_to_check(talk, pending, utterance)
    if data.get("speak") is True:  # "Play the answers" in the page: the same speech as a spoken turn gets
        answer.update(voice.speak(speech) if voice is not None else NO_SPEECH_OUTPUT)
    return answer


@pages.post("/simulator/api/voice")
def spoken() -> Response:
    return handled(spoken_turn, VOICE, MAX_VOICE_BYTES)


def spoken_turn(data: dict) -> dict[str, Any]:
    talk = _page().conversation(data)
    audio = data.get("audio")
    if not isinstance(audio, str) or not audio:
        raise BadTurn(400, "no recording received")
    try:
        wav = base64.b64decode(audio, validate=True)
    except (binascii.Error, ValueError):
        raise BadTurn(400, "the recording is not base64 data") from None
    pending = pending_of(data.get("pending"))
    voice = _voice()
    if voice is None:
        raise BadTurn(501, NO_VOICE)
    return voice.hear(talk, wav, pending)


@pages.post("/simulator/api/forget")
def forget() -> Response:
    return handled(forget_place, FORGET)


def forget_place(_data: dict) -> dict[str, Any]:
    page = _page()
    store = page.store
    if store is None:
        raise BadTurn(409, "the state store is off (--no-state): nothing is saved")
    envelope = build_request({"type": "SessionEndedRequest", "reason": "USER_INITIATED"},
                             session_id="amzn1.echo-api.session.forget", new=False, attributes={},
                             application_id=page.application_id)
    inner = store.inner if isinstance(store, FailSoftAdapter) else store
    try:
        inner.delete_attributes(to_request_envelope(envelope))
    except Exception:  # noqa: BLE001 - the store's own errors quote nothing of ours but may be anything
        raise BadTurn(409, "the state store could not be changed (read-only or locked)") from None
    return {"persisted": read_persisted(store, envelope)}


MAX_REPLAY_UTTERANCES = 200  # a conversation, not a load test: each is a turn through the skill


@pages.post("/simulator/api/replay")
def replay() -> Response:
    return handled(read_conversation, REPLAY, MAX_REPLAY_BYTES + 1024)


def read_conversation(data: dict) -> dict[str, Any]:
    """The utterances of a saved conversation, checked as typed ones are, read by the parser `hamstring chat
    --replay` uses: JSON is an ASK CLI replay file (up to its .quit), anything else one utterance a line."""
    text = data.get("file")
    if not isinstance(text, str):
        raise BadTurn(400, "file must be the text of a saved conversation")
    if text.lstrip().startswith("{"):
        try:
            file = parse_replay(text.encode("utf-8", "replace"))
        except ReplayError as error:
            raise BadTurn(400, f"not a replay file we can play: {error}") from None
        lines, found = file.utterances, {"format": "ask-replay", "quits": file.quits, "locale": file.locale}
    else:
        lines, found = [line.strip() for line in text.splitlines() if line.strip()], {"format": "lines"}
    if not lines:
        raise BadTurn(400, "that file has no utterances in it")
    if len(lines) > MAX_REPLAY_UTTERANCES:
        raise BadTurn(413, f"that file has over {MAX_REPLAY_UTTERANCES} utterances: a conversation is a few")
    utterances = []
    for number, line in enumerate(lines, 1):
        try:
            utterances.append(utterance_of(line))
        except BadTurn as bad:
            raise BadTurn(bad.status, f"utterance {number}: {bad.reason}") from None
    return {"utterances": utterances, **found}


__all__ = ["BadTurn", "VoiceSupport", "init_app", "pages"]
