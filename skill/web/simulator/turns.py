"""The simulator API's request shapes: one JSON body in, a session and a turn out, every field checked here.

A leaf module: the simulator blueprint and the spoken-turn support (local_voice/web.py) both read requests through
it, so a typed and a spoken turn refuse bad input alike. A body is read as the Alexa endpoint reads one (the edge's
bounded reader, then `skill.envelope.decode_json`: strict UTF-8, bounded depth and numbers, no lone surrogates),
and then held to its endpoint's shape (TURN, VOICE, FORGET: each field's JSON types), before any work is done.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import NoneType
from typing import Any, Protocol

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Response, request

from ...conversation import DEVICES, Conversation, TurnRecord
from ...envelope import EnvelopeError, decode_json
from ...skill_id import VerificationFailed
from ..edge import Refused, is_json_content, json_response, read_body

MAX_UTTERANCE_CHARS = 300  # a spoken question is a sentence; Alexa's own limit on typed test input is similar
MAX_TURN_BYTES = 64 * 1024  # the page's JSON: utterance, session attributes (a few hundred bytes in practice)
MAX_RECORDING_S = 15.0  # one question, held on a button
MAX_VOICE_BYTES = int(MAX_RECORDING_S * 48000 * 2 * 4 / 3) + MAX_TURN_BYTES  # 48 kHz 16-bit mono, base64, + JSON
_SESSION_ID = re.compile(r"amzn1\.echo-api\.session\.[A-Za-z0-9.-]{1,100}")
NO_VOICE = "speech needs the voice extra: pip install 'hamstring-cramp-helper[voice]'"

Pending = tuple[str, float]  # the question a check holds, and the confidence it was heard with

# Each object the API takes: its fields and the JSON types each may have (what the page sends, nothing else).
Shape = Mapping[str, tuple[type, ...]]
SESSION: Shape = {"id": (str, NoneType), "attributes": (dict, NoneType)}
PENDING: Shape = {"utterance": (str,), "confidence": (int, float)}
_COMMON: Shape = {"session": (dict, NoneType), "device": (str,)}
TURN: Shape = {**_COMMON, "utterance": (str,), "speak": (bool,), "pending": (dict, NoneType), "touch": (str,),
               "token": (str,), "end": (bool,)}
VOICE: Shape = {**_COMMON, "audio": (str,), "pending": (dict, NoneType)}
FORGET: Shape = {}
REPLAY: Shape = {"file": (str,)}  # a saved conversation's text
# A typed turn does one thing; each action's own fields come only with it.
TURN_ACTIONS: dict[str, frozenset[str]] = {"utterance": frozenset({"speak", "pending"}),
                                           "touch": frozenset({"token"}), "end": frozenset()}
_TYPE_NAMES = {str: "a string", bool: "true or false", dict: "an object", int: "a number", float: "a number",
               NoneType: "null"}


class BadTurn(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Page:
    """What the page's endpoints work with: the endpoint's unverified path, the id the page speaks as, the store."""

    endpoint: Callable[[bytes], dict]
    application_id: str
    store: AbstractPersistenceAdapter | None

    def run(self, envelope: dict) -> dict:
        return self.endpoint(json.dumps(envelope, separators=(",", ":")).encode())

    def conversation(self, data: dict) -> Conversation:
        """The page's session as a Conversation: the device, the session id and the attributes it sent back.
        `data` has its endpoint's shape (`handled` checked it)."""
        device = data.get("device", "speaker")
        if device not in DEVICES:
            raise BadTurn(400, "device must be speaker or screen")
        session = checked(data.get("session") or {}, SESSION, "session")
        session_id, attributes = session.get("id"), session.get("attributes") or {}
        if session_id is not None and not _SESSION_ID.fullmatch(session_id):
            raise BadTurn(400, "session id is not one this page made")
        talk = Conversation(skill=self.run, application_id=self.application_id, store=self.store,
                            screen=device == "screen")
        talk.session_id, talk.attributes = session_id, attributes if session_id else {}
        return talk


class VoiceSupport(Protocol):
    """The simulator's spoken turns, supplied by the server that starts with them (local_voice/web.py), so the web
    package never imports the voice pipeline."""

    def warm_up(self) -> None: ...

    def speak(self, text: str) -> dict[str, Any]: ...

    def hear(self, talk: Conversation, wav: bytes, pending: Pending | None) -> dict[str, Any]: ...

    def reply_to_check(self, talk: Conversation, pending: Pending, utterance: str) -> tuple[str, dict[str, Any]]: ...


def is_json_type(value: object, types: tuple[type, ...]) -> bool:
    # bool is an int in Python; JSON keeps them apart, and so do we.
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def checked(value: object, shape: Shape, path: str = "") -> dict[str, Any]:
    """`value` if it is an object with `shape`'s fields only, each of one of its types; else a 400 naming the field
    in our own words (a field we do not know is not named: it is the caller's text). `path`: where `value` is in
    the request ("" for the request itself)."""
    what = path or "the request"
    if not isinstance(value, dict):
        raise BadTurn(400, f"{what} must be a JSON object")
    for key, item in value.items():
        if key not in shape:
            raise BadTurn(400, f"{what} has a field this API does not take")
        if not is_json_type(item, shape[key]):
            names = " or ".join(dict.fromkeys(_TYPE_NAMES[kind] for kind in shape[key]))
            raise BadTurn(400, f"{f'{path}.' if path else ''}{key} must be {names}")
    return value


def read_request(shape: Shape, limit: int) -> dict[str, Any]:
    """The request's JSON object: content type, size, encoding and syntax as the Alexa endpoint checks them, then
    `shape`."""
    if not is_json_content(request.headers.get("Content-Type")):
        raise BadTurn(415, "content type must be application/json")
    try:
        body = read_body(request.environ, limit)
    except Refused as refused:
        raise BadTurn(refused.status, refused.reason) from None
    try:
        data = decode_json(body, limit)
    except EnvelopeError as error:
        raise BadTurn(400, str(error)) from None
    return checked(data, shape)


def handled(work: Callable[[dict], dict[str, Any]], shape: Shape, limit: int = MAX_TURN_BYTES) -> Response:
    """One API call: a JSON object of `shape` in, `work`'s answer out, or a 4xx with a short reason."""
    try:
        return json_response(200, work(read_request(shape, limit)), ascii_only=False)
    except BadTurn as bad:
        return json_response(bad.status, {"error": bad.reason}, ascii_only=False)
    except (EnvelopeError, VerificationFailed) as error:
        return json_response(400, {"error": str(error)}, ascii_only=False)


def action_of(data: dict) -> str:
    """What a typed turn does: say an utterance, touch a button, or end the session; one of them, with its fields."""
    actions = [name for name in TURN_ACTIONS if name in data]
    if len(actions) != 1:
        raise BadTurn(400, "a turn is one of: an utterance, a touch, or end")
    action = actions[0]
    if set(data) - {"session", "device", action} - TURN_ACTIONS[action]:
        raise BadTurn(400, f"a field was sent that does not go with {'an' if action == 'utterance' else 'a'} {action}")
    if action == "end" and data["end"] is not True:
        raise BadTurn(400, "end must be true")
    return action


def result(talk: Conversation, record: TurnRecord | None) -> dict[str, Any]:
    return {"turn": record.to_json() if record is not None else None,
            "session": {"id": talk.session_id, "attributes": talk.attributes}}


def utterance_of(value: object) -> str:
    if not isinstance(value, str):
        raise BadTurn(400, "type something to say")
    text = " ".join(value.split())
    if not text:
        raise BadTurn(400, "type something to say")
    if len(text) > MAX_UTTERANCE_CHARS:
        raise BadTurn(413, f"that is over {MAX_UTTERANCE_CHARS} characters: say one question at a time")
    return text


def pending_of(value: object) -> Pending | None:
    """The question a check is holding, as the page sends it back: {"utterance", "confidence"} or null."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(PENDING):
        raise BadTurn(400, "pending must be null or an object with utterance and confidence")
    confidence = checked(value, PENDING, "pending")["confidence"]
    if not 0 <= confidence <= 1:
        raise BadTurn(400, "pending confidence must be a number from 0 to 1")
    return utterance_of(value["utterance"]), float(confidence)
