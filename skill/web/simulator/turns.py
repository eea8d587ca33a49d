"""The simulator API's request shapes: one JSON body in, a session and a turn out, every field checked here.

A leaf module: the simulator blueprint and the spoken-turn support (local_voice/web.py) both read requests through
it, so a typed and a spoken turn refuse bad input alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Response, request

from ...conversation import DEVICES, Conversation, TurnRecord
from ...envelope import EnvelopeError
from ...skill_id import VerificationFailed
from ..edge import Refused, is_json_content, json_response, read_body

MAX_UTTERANCE_CHARS = 300  # a spoken question is a sentence; Alexa's own limit on typed test input is similar
MAX_TURN_BYTES = 64 * 1024  # the page's JSON: utterance, session attributes (a few hundred bytes in practice)
MAX_RECORDING_S = 15.0  # one question, held on a button
MAX_VOICE_BYTES = int(MAX_RECORDING_S * 48000 * 2 * 4 / 3) + MAX_TURN_BYTES  # 48 kHz 16-bit mono, base64, + JSON
_SESSION_ID = re.compile(r"amzn1\.echo-api\.session\.[A-Za-z0-9.-]{1,100}")
NO_VOICE = "speech needs the voice extra: pip install 'hamstring-cramp-helper[voice]'"

Pending = tuple[str, float]  # the question a check holds, and the confidence it was heard with


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
        """The page's session as a Conversation: the device, the session id and the attributes it sent back."""
        device = data.get("device", "speaker")
        if device not in DEVICES:
            raise BadTurn(400, "device must be speaker or screen")
        session = data.get("session") or {}
        if not isinstance(session, dict):
            raise BadTurn(400, "session must be an object")
        session_id, attributes = session.get("id"), session.get("attributes") or {}
        if session_id is not None and not (isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id)):
            raise BadTurn(400, "session id is not one this page made")
        if not isinstance(attributes, dict):
            raise BadTurn(400, "session attributes must be an object")
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


def handled(work: Callable[[dict], dict[str, Any]], limit: int = MAX_TURN_BYTES) -> Response:
    """One API call: a JSON object in (content type, size, syntax checked), `work`'s answer out, or a 4xx."""
    try:
        if not is_json_content(request.headers.get("Content-Type")):
            raise BadTurn(415, "content type must be application/json")
        try:
            body = read_body(request.environ, limit)
        except Refused as refused:
            raise BadTurn(refused.status, refused.reason) from None
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadTurn(400, "the request is not JSON") from None
        if not isinstance(data, dict):
            raise BadTurn(400, "the request must be a JSON object")
        return json_response(200, work(data), ascii_only=False)
    except BadTurn as bad:
        return json_response(bad.status, {"error": bad.reason}, ascii_only=False)
    except (EnvelopeError, VerificationFailed) as error:
        return json_response(400, {"error": str(error)}, ascii_only=False)


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
    if not isinstance(value, dict) or set(value) != {"utterance", "confidence"}:
        raise BadTurn(400, "pending must be null or an object with utterance and confidence")
    confidence = value["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise BadTurn(400, "pending confidence must be a number from 0 to 1")
    return utterance_of(value["utterance"]), float(confidence)
