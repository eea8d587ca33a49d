"""A conversation with the skill as Alexa would hold it: real request envelopes, one session, attributes carried over.

The CLI (`hamstring ask/chat`) and the offline voice assistant both talk to the skill only through this class.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from intents.matcher import Match, MatchContext, Matcher, default_matcher
from intents.names import FALLBACK_INTENT, GREETING_INTENT

from .invoke import invoke, to_request_envelope
from .reply import ssml_to_text
from .store import FailSoftAdapter

# Alexa sends the skill's own id; local front ends use this one (and `hamstring serve` accepts it on loopback).
LOCAL_APPLICATION_ID = "amzn1.ask.skill.00000000-0000-0000-0000-hamstringlocal"
LOCAL_USER_ID = "amzn1.ask.account.LOCAL"
LOCAL_DEVICE_ID = "amzn1.ask.device.LOCAL"

# What an Echo Show (5, 2nd gen) declares: APL support and a rectangular landscape viewport. `--device screen`.
SCREEN_INTERFACES: dict[str, Any] = {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}
SCREEN_VIEWPORT: dict[str, Any] = {
    "experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144, "canRotate": False, "canResize": False}],
    "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 960, "pixelHeight": 480, "dpi": 160,
    "currentPixelWidth": 960, "currentPixelHeight": 480, "touch": ["SINGLE"], "keyboard": [],
}
DEVICES = ("speaker", "screen")
DEFAULT_LOCALE = "en-US"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(kind: str) -> str:
    return f"amzn1.echo-api.{kind}.{uuid.uuid4()}"


def build_request(
    request: dict[str, Any],
    *,
    session_id: str,
    new: bool,
    attributes: dict[str, Any] | None,
    application_id: str = LOCAL_APPLICATION_ID,
    request_id: str | None = None,
    screen: bool = False,
    locale: str = DEFAULT_LOCALE,
) -> dict[str, Any]:
    """A complete Alexa request envelope around a `request` body (type, intent...); `screen`: from a device that
    declares APL (an Echo Show), else from a speaker with no interfaces."""
    body = {
        "requestId": request_id or new_id("request"),
        "timestamp": _now(),
        "locale": locale,
        **request,
    }
    application = {"applicationId": application_id}
    user = {"userId": LOCAL_USER_ID}
    system: dict[str, Any] = {
        "application": application,
        "user": user,
        "device": {"deviceId": LOCAL_DEVICE_ID, "supportedInterfaces": dict(SCREEN_INTERFACES) if screen else {}},
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    context: dict[str, Any] = {"System": system}
    if screen:
        context["Viewport"] = dict(SCREEN_VIEWPORT)
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": application,
            "attributes": attributes or {},
            "user": user,
        },
        "context": context,
        "request": body,
    }


def intent_request(match: Match, slot_types: dict[str, str] | None = None) -> dict[str, Any]:
    """The IntentRequest Alexa sends for a match: each custom slot with its entity resolution, as Alexa gives it
    (ER_SUCCESS_MATCH with the value id, or ER_SUCCESS_NO_MATCH for words outside the list)."""
    slots: dict[str, Any] = {}
    for name, value in match.slots.items():
        slot: dict[str, Any] = {"name": name, "value": value, "confirmationStatus": "NONE", "source": "USER"}
        kind = (slot_types or {}).get(name, "")
        if kind and not kind.startswith("AMAZON."):
            authority: dict[str, Any] = {"authority": f"amzn1.er-authority.echo-sdk.{LOCAL_APPLICATION_ID}.{kind}"}
            if name in match.resolved:
                authority.update(status={"code": "ER_SUCCESS_MATCH"},
                                 values=[{"value": {"name": value, "id": match.resolved[name]}}])
            else:
                authority.update(status={"code": "ER_SUCCESS_NO_MATCH"})
            slot["resolutions"] = {"resolutionsPerAuthority": [authority]}
        slots[name] = slot
    return {
        "type": "IntentRequest",
        "dialogState": "COMPLETED",
        "intent": {"name": match.intent, "confirmationStatus": "NONE", "slots": slots},
    }


@dataclass
class TurnRecord:
    """One turn, in the shape of the `--json` contract."""

    utterance: str | None
    intent: str | None
    slots: dict[str, str]
    topic: str | None
    step: int | None
    answer: str | None  # the specific answer, red flag (rf_...) or not_covered given, else null
    speech: str
    ssml: str
    reprompt: str | None
    end_session: bool
    request: dict[str, Any]
    response: dict[str, Any]
    persisted: dict[str, Any] | None = None  # the user's saved place after the turn; null when state is off
    directives: list[dict[str, Any]] = field(default_factory=list)  # the response's directives (APL on screens)
    skill_ms: float = field(default=0.0, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("skill_ms")
        return data


def record_from(utterance: str | None, request: dict, response: dict, skill_ms: float = 0.0,
                persisted: dict[str, Any] | None = None) -> TurnRecord:
    body = response.get("response") or {}
    ssml = (body.get("outputSpeech") or {}).get("ssml") or (body.get("outputSpeech") or {}).get("text") or ""
    reprompt_speech = ((body.get("reprompt") or {}).get("outputSpeech") or {})
    reprompt = reprompt_speech.get("ssml") or reprompt_speech.get("text")
    attributes = response.get("sessionAttributes") or {}
    intent = (request["request"].get("intent") or {})
    return TurnRecord(
        utterance=utterance,
        intent=intent.get("name"),
        slots={k: v.get("value") for k, v in (intent.get("slots") or {}).items()},
        topic=attributes.get("topic"),
        step=attributes.get("step"),
        answer=attributes.get("answer"),
        speech=ssml_to_text(ssml),
        ssml=ssml,
        reprompt=ssml_to_text(reprompt) if reprompt else None,
        end_session=bool(body.get("shouldEndSession")),
        request=request,
        response=response,
        persisted=persisted,
        directives=list(body.get("directives") or []),
        skill_ms=skill_ms,
    )


def read_persisted(store: AbstractPersistenceAdapter | None, envelope: dict[str, Any]) -> dict[str, Any] | None:
    """What the store holds for this envelope's user, for the --json report; None when there is no store or it
    cannot be read. Reads past the fail-soft wrapper: the turn itself already logged the store's one warning."""
    if store is None:
        return None
    inner = store.inner if isinstance(store, FailSoftAdapter) else store
    try:
        attributes = inner.get_attributes(to_request_envelope(envelope))
    except Exception:  # noqa: BLE001 - a report of the store, never a reason to fail the turn
        return None
    return attributes if isinstance(attributes, dict) else None


def touch_request(word: str, token: str = "hamstring.step") -> dict[str, Any]:
    """The UserEvent an APL button sends (content/apl/step.json: SendEvent with arguments [word])."""
    return {"type": "Alexa.Presentation.APL.UserEvent", "token": token, "arguments": [word],
            "source": {"type": "TouchWrapper", "handler": "Press", "id": f"{word}Button"}, "components": {}}


class Conversation:
    """Holds one Alexa session at a time; after a turn that ends it, the next utterance opens a new one."""

    def __init__(
        self,
        matcher: Matcher | None = None,
        skill: Callable[[dict], dict] = invoke,
        application_id: str = LOCAL_APPLICATION_ID,
        new_id: Callable[[str], str] = new_id,
        *,
        store: AbstractPersistenceAdapter | None = None,
        screen: bool = False,
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        """`store`: the adapter `skill` persists through, read back after each turn for `persisted` (None: off).
        `screen`: pretend an Echo Show (APL) instead of a speaker. `locale`: the request's locale (an ASK CLI replay
        file names one)."""
        self.matcher = matcher or default_matcher()
        self.store = store
        self.screen = screen
        self.locale = locale
        self.new_id = new_id  # tests pass a counter, making the (request-id seeded) phrasing reproducible
        self.skill = skill
        self.application_id = application_id
        self.session_id: str | None = None
        self.attributes: dict[str, Any] = {}

    @property
    def open(self) -> bool:
        return self.session_id is not None

    def understand(self, utterance: str) -> dict[str, Any]:
        """The request body Alexa would send for this utterance in the current session state."""
        return self.interpret(utterance)[0]

    def interpret(self, utterance: str) -> tuple[dict[str, Any], Match | None]:
        """The request body, and the match behind it (None for a launch: the voice assistant weighs how sure the
        match is before sending anything)."""
        if self.matcher.is_launch(utterance):
            if not self.open:
                return {"type": "LaunchRequest"}, None
            return intent_request(Match("AMAZON.NavigateHomeIntent")), None
        text = self.matcher.strip_invocation(utterance) if not self.open else utterance
        if not text:
            return ({"type": "LaunchRequest"}, None) if not self.open else (intent_request(Match(FALLBACK_INTENT)),
                                                                           Match(FALLBACK_INTENT))
        topic = self.attributes.get("topic")  # the skill's own attribute, but read as input all the same
        context = MatchContext(in_session=self.open, topic=topic if isinstance(topic, str) else None)
        match = self.matcher.match(text, context)
        if match.intent == GREETING_INTENT and not self.open:
            # "hi" as the first words opens the skill, as the launch phrases do (on Alexa the user says "open ...").
            return {"type": "LaunchRequest"}, None
        return intent_request(match, self.matcher.language.intents[match.intent].slot_types
                              if match.intent in self.matcher.language.intents else None), match

    def say(self, utterance: str) -> TurnRecord:
        return self.send(self.understand(utterance), utterance)

    def touch(self, word: str) -> TurnRecord:
        """A touch on the screen's Previous / Next / Repeat button: an APL UserEvent in the open session."""
        return self.send(touch_request(word))

    def send(self, request: dict[str, Any], utterance: str | None = None) -> TurnRecord:
        new = not self.open
        if new:
            self.session_id = self.new_id("session")
            self.attributes = {}
        envelope = build_request(
            request,
            session_id=self.session_id or "",
            new=new,
            attributes=self.attributes,
            application_id=self.application_id,
            request_id=self.new_id("request"),
            screen=self.screen,
            locale=self.locale,
        )
        started = time.perf_counter()
        response = self.skill(envelope)
        skill_ms = (time.perf_counter() - started) * 1000
        record = record_from(utterance, envelope, response, skill_ms, read_persisted(self.store, envelope))
        if record.end_session or request["type"] == "SessionEndedRequest":
            self.session_id, self.attributes = None, {}
        else:
            self.attributes = response.get("sessionAttributes") or {}
        return record

    def close(self, reason: str = "USER_INITIATED") -> TurnRecord | None:
        """End an open session the way Alexa does when the user walks away."""
        if not self.open:
            return None
        return self.send({"type": "SessionEndedRequest", "reason": reason})
