"""skill/serializer.py: the fast serializer builds the same models as the SDK's own, and refuses what it refuses."""

from __future__ import annotations

import json

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.conversation import build_request, touch_request
from skill.serializer import Serializer
from tests.kit.project import DATA

SDK, FAST = DefaultSerializer(), Serializer()
FILES = sorted((DATA / "envelopes").glob("*.json"))
SLOTTED = {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": {
    "name": "RemedyIntent", "confirmationStatus": "NONE", "slots": {"remedy": {
        "name": "remedy", "value": "ibuprofen", "confirmationStatus": "NONE", "source": "USER",
        "resolutions": {"resolutionsPerAuthority": [{"authority": "amzn1.er-authority.echo-sdk.x.HamstringRemedy",
                                                     "status": {"code": "ER_SUCCESS_MATCH"},
                                                     "values": [{"value": {"name": "ibuprofen",
                                                                           "id": "pain_relievers"}}]}]}}}}}
BUILT = {
    "intent with a resolved slot, on a screen": build_request(SLOTTED, session_id="s", new=False,
                                                              attributes={"topic": "causes", "step": 2},
                                                              screen=True),
    "touch event": build_request(touch_request("next"), session_id="s", new=False, attributes={}, screen=True),
    "session ended with an error": build_request(
        {"type": "SessionEndedRequest", "reason": "ERROR", "error": {"type": "INVALID_RESPONSE", "message": "m"}},
        session_id="s", new=False, attributes=None),
}
TEXTS = {path.stem: path.read_text() for path in FILES} | {name: json.dumps(body) for name, body in BUILT.items()}


def outcome(serializer: DefaultSerializer, text: str):
    """The model, serialized back to JSON data; or the refusal's message (a request type newer than the SDK)."""
    try:
        return serializer.serialize(serializer.deserialize(text, RequestEnvelope))
    except SerializationException as error:
        return str(error)


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_every_envelope_gives_the_sdks_model(text):
    assert outcome(FAST, text) == outcome(SDK, text)
    if not isinstance(outcome(SDK, text), str):
        assert FAST.deserialize(text, RequestEnvelope) == SDK.deserialize(text, RequestEnvelope)


@pytest.mark.parametrize("timestamp", [
    "2026-11-25T19:00:05Z", "2026-11-25T19:00:05.123Z", "2026-11-25T19:00:05+02:00", "2026-11-25T19:00:05",
    "2026-11-25", "Nov 25 2026 19:00:05",  # not ISO 8601: still dateutil's to read
])
def test_timestamps_read_as_the_sdk_reads_them(timestamp):
    text = (DATA / "envelopes" / "launch.json").read_text().replace('"timestamp": "', f'"timestamp": "{timestamp}",'
                                                                    ' "was": "', 1)
    ours, theirs = FAST.deserialize(text, RequestEnvelope), SDK.deserialize(text, RequestEnvelope)
    assert ours.request.timestamp == theirs.request.timestamp
    assert ours.request.timestamp.utcoffset() == theirs.request.timestamp.utcoffset()


@pytest.mark.parametrize("timestamp", ["not a time", "2026-13-45T99:00:00Z"])
def test_a_timestamp_the_sdk_refuses_is_refused(timestamp):
    text = (DATA / "envelopes" / "launch.json").read_text().replace('"timestamp": "', f'"timestamp": "{timestamp}",'
                                                                    ' "was": "', 1)
    with pytest.raises(SerializationException):
        SDK.deserialize(text, RequestEnvelope)
    with pytest.raises(SerializationException):
        FAST.deserialize(text, RequestEnvelope)
