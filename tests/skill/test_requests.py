"""Simulated Alexa JSON requests (tests/data/requests.yaml) for every request type and every intent of the model."""

from __future__ import annotations

import copy
import json

import pytest

from intents.alexa_model import build_model
from intents.language import load_language
from skill.conversation import SCREEN_INTERFACES, SCREEN_VIEWPORT, record_from
from skill.invoke import invoke
from skill.reply import MAX_RESPONSE_BYTES
from tests.kit.project import DATA, load_data

CASES = load_data("requests.yaml")
BASE = json.loads((DATA / "envelopes" / "launch.json").read_text())


def envelope(case: dict) -> dict:
    if "file" in case:
        return json.loads((DATA / "envelopes" / case["file"]).read_text())
    body = copy.deepcopy(BASE)
    body["session"]["new"] = not case.get("attributes")
    body["session"]["attributes"] = case.get("attributes", {})
    slots = {k: {"name": k, "value": v, "confirmationStatus": "NONE"} for k, v in case.get("slots", {}).items()}
    # Alexa's entity resolution: `resolved` gives the id a custom slot's words matched; `unresolved` slots arrive
    # with ER_SUCCESS_NO_MATCH (words outside the list).
    for name, value_id in case.get("resolved", {}).items():
        slots[name]["resolutions"] = {"resolutionsPerAuthority": [{
            "authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.test.Type",
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": slots[name]["value"], "id": value_id}}],
        }]}
    for name in case.get("unresolved", []):
        slots[name]["resolutions"] = {"resolutionsPerAuthority": [{
            "authority": "amzn1.er-authority.echo-sdk.amzn1.ask.skill.test.Type",
            "status": {"code": "ER_SUCCESS_NO_MATCH"},
        }]}
    body["request"] = {
        "type": "IntentRequest",
        "requestId": f"amzn1.echo-api.request.{case['name'].replace(' ', '-')}",
        "timestamp": "2026-11-25T19:00:05Z",
        "locale": "en-US",
        "dialogState": "COMPLETED",
        "intent": {"name": case.get("intent"), "confirmationStatus": "NONE", "slots": slots},
    }
    if "request" in case:  # any other request body, e.g. an APL UserEvent
        body["request"] = {"requestId": f"amzn1.echo-api.request.{case['name'].replace(' ', '-')}",
                           "timestamp": "2026-11-25T19:00:05Z", "locale": "en-US", **case["request"]}
    if case.get("screen"):  # an Echo Show: the device declares APL
        body["context"]["System"]["device"]["supportedInterfaces"] = dict(SCREEN_INTERFACES)
        body["context"]["Viewport"] = dict(SCREEN_VIEWPORT)
    return body


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_request(case):
    request = envelope(case)
    response = invoke(request)
    assert response["version"] == "1.0"
    assert len(json.dumps(response).encode()) <= MAX_RESPONSE_BYTES
    record = record_from(None, request, response)
    expect = case["expect"]
    if expect.get("empty"):
        assert "outputSpeech" not in response["response"]
        return
    speech = record.speech.lower()
    for s in expect.get("says", []):
        assert s.lower() in speech, f"{s!r} not in {record.speech!r}"
    for s in expect.get("not_says", []):
        assert s.lower() not in speech
    for key in ("topic", "step", "end_session", "answer"):
        if key in expect:
            assert getattr(record, key) == expect[key], key
    directives = response["response"].get("directives", [])
    if not case.get("screen") and "file" not in case:
        assert directives == [], "a directive to a device without APL"
    if "screen_document" in expect:  # step, answer, or null: the APL document sent
        wanted = [f"hamstring.{expect['screen_document']}"] if expect["screen_document"] else []
        assert [d.get("token") for d in directives] == wanted
        assert all(d["type"] == "Alexa.Presentation.APL.RenderDocument" for d in directives)
    if expect.get("card"):
        assert "not medical advice" in response["response"]["card"]["content"]
    if expect.get("reprompt") or not record.end_session:
        assert record.reprompt


def test_every_intent_and_request_type_is_covered():
    model_intents = {i["name"] for i in build_model(load_language())["interactionModel"]["languageModel"]["intents"]}
    covered = {c["intent"] for c in CASES if "intent" in c}
    assert model_intents <= covered, f"no request case for {sorted(model_intents - covered)}"
    types = {envelope(c)["request"]["type"] for c in CASES}
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest"} <= types
