"""The edge: is this input an Alexa request envelope we can hand to the SDK? One module for every front end.

The web service, the Lambda handler and `hamstring simulate` all call `parse_envelope` (raw bytes) or
`check_envelope` (already-parsed JSON), so they accept and refuse exactly the same things. Dependency-free (no SDK,
no web stack): the Lambda path imports it for free.

What is refused, each with a short reason (EnvelopeError) that never quotes the input:
- bytes that are not UTF-8 (UTF-16, a byte-order mark, encoded surrogates), or not JSON;
- JSON nested deeper than MAX_DEPTH, integers longer than MAX_INT_DIGITS, NaN/Infinity, lone surrogates;
- every field the SDK deserializes and the skill reads, when it has the wrong JSON type or is missing.
Fields we do not read are left alone: Alexa adds fields over time, and an unknown one must never be refused.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

MAX_BODY_BYTES = 128 * 1024
# Real envelopes nest about 8 deep (context.Viewport.experiences[0]...); APL events a little more.
MAX_DEPTH = 32
# 64-bit integers and epoch milliseconds fit in 20 digits; int() of a long string is quadratic in CPython.
MAX_INT_DIGITS = 20
# Requests that always come inside a session; the skill's handlers read session attributes for all of them.
SESSION_REQUESTS = frozenset({"LaunchRequest", "IntentRequest", "SessionEndedRequest"})

_SURROGATE = re.compile("[\ud800-\udfff]")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")


class EnvelopeError(ValueError):
    """The input is not an Alexa request envelope. The message is one line, fit for a user or a 400 body, and never
    contains any part of the input."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise EnvelopeError(f"invalid JSON: a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or len(text) > 64:
        raise EnvelopeError("invalid JSON: a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise EnvelopeError("invalid JSON: NaN and Infinity are not JSON")


def decode_json(raw: bytes | str, limit: int = MAX_BODY_BYTES) -> Any:
    """Strict UTF-8 JSON with bounded numbers and depth, at most `limit` bytes. Raises EnvelopeError. The simulator's
    API reads its bodies through here too, with limits of its own."""
    if isinstance(raw, bytes):
        if len(raw) > limit:
            raise EnvelopeError(f"request body over {limit} bytes")
        try:
            # Not json.loads(bytes): that guesses UTF-16/32 and lets encoded surrogates through ("surrogatepass").
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError("invalid JSON: the body is not UTF-8") from None
    else:
        text = raw
    if text.startswith("\ufeff"):
        raise EnvelopeError("invalid JSON: the body starts with a byte-order mark")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as error:
        # error.msg is the parser's fixed wording; str(error) would be fine too, but the position is all we add.
        raise EnvelopeError(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise EnvelopeError(f"invalid JSON: nested more than {MAX_DEPTH} deep") from None
    check_json(value)
    return value


def check_json(value: Any) -> None:
    """Depth, number range and Unicode checks on already-parsed JSON (the Lambda runtime parses for us).
    Iterative, so a deep value cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise EnvelopeError("invalid JSON: a string holds a lone surrogate (not valid Unicode)")
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            if abs(item) >= 10**MAX_INT_DIGITS:
                raise EnvelopeError(f"invalid JSON: a number has more than {MAX_INT_DIGITS} digits")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise EnvelopeError("invalid JSON: a number is out of range")
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise EnvelopeError(f"invalid JSON: nested more than {MAX_DEPTH} deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str) or _SURROGATE.search(key):
                        raise EnvelopeError("invalid JSON: a key is not valid Unicode text")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        else:
            raise EnvelopeError("not an Alexa request envelope: a value is not JSON data")


# -- the envelope's shape ---------------------------------------------------------------------------------------------
def _fail(path: str, what: str) -> EnvelopeError:
    return EnvelopeError(f"not an Alexa request envelope: '{path}' {what}")


def _field(holder: dict, key: str, kind: type, path: str, required: bool = False) -> Any:
    """The value, or None when absent (or null and optional). `path` names the field in our own words."""
    value = holder.get(key)
    if value is None:
        if required:
            raise _fail(path, "missing")
        return None
    # bool is an int in Python; JSON keeps them apart, and so do we.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _fail(path, f"must be {_NAMES[kind]}")
    if kind is str and required and not value:
        raise _fail(path, "missing")
    return value


_NAMES = {dict: "an object", str: "a string", bool: "true or false", list: "a list"}


def _application(holder: dict, path: str) -> None:
    application = _field(holder, "application", dict, f"{path}.application")
    if application is not None:
        _field(application, "applicationId", str, f"{path}.application.applicationId")


def _user(holder: dict, path: str) -> None:
    user = _field(holder, "user", dict, f"{path}.user")
    if user is not None:
        _field(user, "userId", str, f"{path}.user.userId")
        _field(user, "accessToken", str, f"{path}.user.accessToken")
        _field(user, "permissions", dict, f"{path}.user.permissions")


def _request(body: dict) -> dict:
    request = _field(body, "request", dict, "request", required=True)
    kind = _field(request, "type", str, "request.type", required=True)
    _field(request, "requestId", str, "request.requestId", required=True)
    if kind == "IntentRequest":
        intent = request.get("intent")
        if not isinstance(intent, dict) or not isinstance(intent.get("name"), str) or not intent["name"]:
            raise EnvelopeError("not an Alexa request envelope: IntentRequest without 'intent.name'")
        _field(intent, "confirmationStatus", str, "request.intent.confirmationStatus")
        slots = _field(intent, "slots", dict, "request.intent.slots")
        for slot in (slots or {}).values():
            # Slot names are the caller's text: the reason names the field, never the slot.
            if not isinstance(slot, dict):
                raise EnvelopeError("not an Alexa request envelope: 'intent.slots' must map names to objects")
            for key in ("name", "value", "confirmationStatus", "source"):
                _field(slot, key, str, f"request.intent.slots.*.{key}")
            for key in ("resolutions", "slotValue"):
                _field(slot, key, dict, f"request.intent.slots.*.{key}")
    timestamp = _field(request, "timestamp", str, "request.timestamp", required=True)
    try:
        datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise _fail("request.timestamp", "must be an ISO 8601 time") from None
    locale = _field(request, "locale", str, "request.locale", required=kind in SESSION_REQUESTS)
    if locale is not None and not _LOCALE.fullmatch(locale):
        raise _fail("request.locale", "must be a locale such as en-US")
    for key in ("dialogState", "reason"):
        _field(request, key, str, f"request.{key}")
    _field(request, "error", dict, "request.error")
    return request


def check_envelope(body: Any) -> dict:
    """The structure the SDK and the skill rely on; everything else is the SDK's to ignore. Returns `body`."""
    check_json(body)
    if not isinstance(body, dict):
        raise EnvelopeError("not an Alexa request envelope: expected a JSON object")
    request = _request(body)
    _field(body, "version", str, "version", required=True)
    session = _field(body, "session", dict, "session", required=request["type"] in SESSION_REQUESTS)
    if session is not None:
        _field(session, "new", bool, "session.new")
        _field(session, "sessionId", str, "session.sessionId")
        _field(session, "attributes", dict, "session.attributes")
        _application(session, "session")
        _user(session, "session")
    context = _field(body, "context", dict, "context")
    if context is not None:
        system = _field(context, "System", dict, "context.System")
        if system is not None:
            _application(system, "context.System")
            _user(system, "context.System")
            device = _field(system, "device", dict, "context.System.device")
            if device is not None:
                _field(device, "deviceId", str, "context.System.device.deviceId")
                _field(device, "supportedInterfaces", dict, "context.System.device.supportedInterfaces")
            for key in ("apiEndpoint", "apiAccessToken"):
                _field(system, key, str, f"context.System.{key}")
    return body


def parse_envelope(raw: bytes | str) -> dict:
    """Raw request bytes (or text) to a checked envelope. Raises EnvelopeError."""
    return check_envelope(decode_json(raw))
