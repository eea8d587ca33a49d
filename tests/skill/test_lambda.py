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


# What a Lambda cold start must not import to answer a launch: the work its first answer does not need (the
# language's templates and detectors, the follow-ups, the store's other adapters), and boto3 above all.
NEVER_ON_A_LAUNCH = ("boto3", "botocore", "ask_sdk_dynamodb", "yaml", "hassil", "sqlite3", "intents.redflags",
                     "intents.runtime", "skill.follow_ups", "skill.slots")
WITHOUT_A_STORE = ("http.client", "hashlib", "skill.store.dynamodb", "skill.store.settings", "skill.store.place",
                   "skill.store.dynamodb_store")


def _launch_in_a_fresh_interpreter(environ: dict[str, str]) -> set[str]:
    import os
    import subprocess
    import sys

    from tests.kit.project import ROOT

    script = (
        "import json, sys; from skill.lambda_function import handler, _SKILL\n"
        f"event = json.load(open({str(DATA / 'envelopes' / 'launch.json')!r}))\n"
        "assert handler(event, None)['response']['outputSpeech']\n"
        "print(repr(_SKILL.persistence_adapter)); print(' '.join(sorted(sys.modules)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAMSTRING_", "AWS_"))} | environ
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    adapter, modules = done.stdout.splitlines()
    return {adapter, *modules.split()}


def test_a_cold_launch_without_a_store_loads_only_what_it_answers_with():
    loaded = _launch_in_a_fresh_interpreter({})
    assert "None" in loaded
    assert loaded.isdisjoint(NEVER_ON_A_LAUNCH + WITHOUT_A_STORE), loaded & set(NEVER_ON_A_LAUNCH + WITHOUT_A_STORE)


def test_a_cold_launch_with_dynamodb_never_imports_boto3():
    """Lambda's credentials are in the environment: our adapter serves the table (an endpoint that refuses, here:
    the launch is answered without the saved place, as any store failure)."""
    from tests.kit.dynamodb import FAKE_CREDENTIALS, closed_port

    loaded = _launch_in_a_fresh_interpreter({
        **FAKE_CREDENTIALS, "HAMSTRING_DYNAMODB_TABLE": "cramps", "HAMSTRING_DYNAMODB_REGION": "eu-west-1",
        "HAMSTRING_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HAMSTRING_DYNAMODB_MAX_ATTEMPTS": "1"})
    assert "FailSoftAdapter(DynamoDB table cramps at http://127.0.0.1" in " ".join(loaded)
    assert "skill.store.dynamodb_store" in loaded
    assert loaded.isdisjoint(NEVER_ON_A_LAUNCH), loaded & set(NEVER_ON_A_LAUNCH)
