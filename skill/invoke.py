"""Raw Alexa JSON in, raw Alexa JSON out: the single entry every front end uses (Flask, Lambda, CLI, voice)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Callable

from ask_sdk_core.skill import CustomSkill

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.request import Request

from .handlers import build_skill

_serializer = DefaultSerializer()


class EnvelopeError(ValueError):
    """The input is not an Alexa request envelope. The message is one line, fit for a user or a 400 body."""


def check_envelope(body: Any) -> dict:
    """Structural checks the SDK does not make; it would otherwise fail deep inside a handler."""
    if not isinstance(body, dict):
        raise EnvelopeError("not an Alexa request envelope: expected a JSON object")
    request = body.get("request")
    if not isinstance(request, dict):
        raise EnvelopeError("not an Alexa request envelope: 'request' object missing")
    for key in ("type", "requestId"):
        if not isinstance(request.get(key), str) or not request[key]:
            raise EnvelopeError(f"not an Alexa request envelope: 'request.{key}' missing")
    if "session" in body and not isinstance(body["session"], dict):
        raise EnvelopeError("not an Alexa request envelope: 'session' must be an object")
    attributes = (body.get("session") or {}).get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise EnvelopeError("not an Alexa request envelope: 'session.attributes' must be an object")
    if request["type"] == "IntentRequest":
        intent = request.get("intent")
        if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
            raise EnvelopeError("not an Alexa request envelope: IntentRequest without 'intent.name'")
        slots = intent.get("slots")
        if slots is not None and (
            not isinstance(slots, dict) or not all(isinstance(v, dict) for v in slots.values())
        ):
            raise EnvelopeError("not an Alexa request envelope: 'intent.slots' must map names to objects")
    return body


def parse_envelope(raw: bytes | str) -> dict:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EnvelopeError(f"invalid JSON: {error}") from None
    return check_envelope(body)


def to_request_envelope(body: dict, raw: bytes | str | None = None) -> RequestEnvelope:
    """`raw`, when the caller still has the text `body` was parsed from, spares a re-encoding."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        return _serializer.deserialize(text if text is not None else json.dumps(body), RequestEnvelope)
    except Exception as error:  # the SDK raises bare SerializationException/ValueError for wrong field types
        raise EnvelopeError(f"not an Alexa request envelope: {str(error).splitlines()[0]}") from None


# What a skill answers to a request it has nothing to say to: valid, silent, session left as Alexa keeps it.
EMPTY_RESPONSE = {"version": "1.0", "response": {}}


def invoke(body: dict, raw: bytes | str | None = None, skill: CustomSkill | None = None) -> dict:
    """Run one request envelope through the skill; returns the response envelope as JSON data.

    `raw` is the exact text `body` was parsed from, when the caller has it (the web service does). `skill` defaults
    to the skill without a store (session attributes only)."""
    if check_envelope(body)["request"]["type"] not in Request.discriminator_value_class_map:
        # A request type newer than the SDK's model: Alexa still expects a valid answer, not an error.
        return dict(EMPTY_RESPONSE)
    envelope = to_request_envelope(body, raw)
    response = (skill or build_skill()).invoke(request_envelope=envelope, context=None)
    return _serializer.serialize(response)


def invoker(skill: CustomSkill) -> Callable[..., dict]:
    """`invoke` bound to one skill (one store), in the shape front ends take: (body, raw=None) -> response."""
    return partial(invoke, skill=skill)
