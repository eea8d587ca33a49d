"""The Lambda entry point, invoked with the fixture events exactly as Lambda would."""

from __future__ import annotations

import importlib
import json

import pytest

from skill import lambda_function
from tests.kit.project import DATA

EVENTS = sorted((DATA / "envelopes").glob("*.json"))


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_lambda_answers_fixture_events(path):
    event = json.loads(path.read_text())
    response = lambda_function.handler(event, None)
    assert response["version"] == "1.0"
    json.dumps(response)  # what Lambda returns must be plain JSON data
    if event["request"]["type"] in ("LaunchRequest", "IntentRequest"):
        assert response["response"]["outputSpeech"]["ssml"].startswith("<speak>")


def test_lambda_rejects_what_is_not_an_envelope():
    with pytest.raises(ValueError, match="not an Alexa request envelope"):
        lambda_function.handler({"hello": "world"}, None)


def test_lambda_checks_the_skill_id_when_configured(monkeypatch):
    monkeypatch.setenv("ALEXA_SKILL_ID", "amzn1.ask.skill.mine, amzn1.ask.skill.also-mine")
    module = importlib.reload(lambda_function)
    try:
        event = json.loads((DATA / "envelopes" / "launch.json").read_text())
        with pytest.raises(ValueError, match="another skill"):
            module.handler(event, None)
        for holder in (event["session"]["application"], event["context"]["System"]["application"]):
            holder["applicationId"] = "amzn1.ask.skill.also-mine"
        assert module.handler(event, None)["response"]["outputSpeech"]
    finally:
        monkeypatch.delenv("ALEXA_SKILL_ID")
        importlib.reload(lambda_function)


def _deep(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("change,fragment", [
    (lambda e: e["session"].update(user="someone"), "session.user"),
    (lambda e: e.update(context=[1]), "context"),
    (lambda e: e["request"].update(requestId="r\ud800"), "surrogate"),
    (lambda e: e.update(extra=_deep(500)), "nested"),
    (lambda e: e.update(extra=10**40), "digits"),
    (lambda e: e.pop("session"), "session"),
], ids=["session.user not an object", "context a list", "lone surrogate", "deep nesting", "huge integer",
        "no session"])
def test_lambda_refuses_malformed_events_with_the_same_checks_as_the_server(change, fragment):
    """Issue 9: the Lambda handler, the web service and `hamstring simulate` share skill/envelope.py."""
    event = json.loads((DATA / "envelopes" / "intent_one_shot_treatment.json").read_text())
    change(event)
    with pytest.raises(ValueError, match=fragment):
        lambda_function.handler(event, None)
