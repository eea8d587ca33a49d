"""Raw Alexa JSON in, raw Alexa JSON out: the single entry every front end uses (Flask, Lambda, CLI, voice).

Input checks live in `skill.envelope`; they are re-exported here for the callers that already import them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from ask_sdk_core.skill import CustomSkill
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.request import Request

from .builder import build_skill
from .envelope import EnvelopeError, check_envelope, parse_envelope
from .serializer import Serializer

_serializer = Serializer()  # the SDK's, with its slow steps made fast


def to_request_envelope(body: dict, raw: bytes | str | None = None) -> RequestEnvelope:
    """`raw`, when the caller still has the text `body` was parsed from, spares a re-encoding."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    try:
        return _serializer.deserialize(text if text is not None else json.dumps(body), RequestEnvelope)
    except Exception:  # the SDK raises bare SerializationException/ValueError for wrong field types
        # Its messages quote the payload: the reason stays ours (check_envelope catches the usual cases first).
        raise EnvelopeError("not an Alexa request envelope: a field has a value the Alexa model does not allow") \
            from None


__all__ = ["EnvelopeError", "check_envelope", "invoke", "invoke_checked", "parse_envelope", "to_request_envelope"]

# What a skill answers to a request it has nothing to say to: valid, silent, session left as Alexa keeps it.
EMPTY_RESPONSE = {"version": "1.0", "response": {}}


def invoke(body: dict, raw: bytes | str | None = None, skill: CustomSkill | None = None) -> dict:
    """Run one request envelope through the skill; returns the response envelope as JSON data.

    `raw` is the exact text `body` was parsed from, when the caller has it (the web service does). `skill` defaults
    to the skill without a store (session attributes only)."""
    return invoke_checked(check_envelope(body), raw, skill)


def invoke_checked(body: dict, raw: bytes | str | None = None, skill: CustomSkill | None = None) -> dict:
    """`invoke` for a body that already passed `check_envelope` (the web service's edge): checked once, not twice."""
    if body["request"]["type"] not in Request.discriminator_value_class_map:
        # A request type newer than the SDK's model: Alexa still expects a valid answer, not an error.
        return dict(EMPTY_RESPONSE)
    envelope = to_request_envelope(body, raw)
    response = (skill or build_skill()).invoke(request_envelope=envelope, context=None)
    answer: Any = _serializer.serialize(response)
    return answer


def invoker(skill: CustomSkill) -> Callable[..., dict]:
    """`invoke` bound to one skill (one store), in the shape front ends take: (body, raw=None) -> response."""
    return partial(invoke, skill=skill)
