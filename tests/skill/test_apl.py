"""Echo Show display: every APL document (alone, with its sample datasource, and as built for every treatment step
and every illustration) passes Amazon's apl-suggester static validator; the directive goes only to APL devices;
touch events map to intents and nothing else does."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import IntentRequest, RequestEnvelope
from ask_sdk_model.interfaces.alexa.presentation.apl import UserEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content import TREATMENT, load_content
from skill.display import (
    ANSWER_TOKEN,
    EVENT_INTENTS,
    STEP_TOKEN,
    answer_datasources,
    answer_directive,
    intent_for_user_event,
    load_document,
    load_illustrations,
    load_step_illustrations,
    step_datasources,
    step_directive,
    supports_apl,
)
from tests.kit import tools
from tests.kit.envelopes import envelope, envelope_json
from tests.kit.project import ROOT

APL_DIR = ROOT / "skill" / "content" / "apl"
VALIDATOR = ROOT / "tests" / "kit" / "apl_validate.js"
SUGGESTER = Path(os.environ.get("APL_SUGGESTER_DIR", ROOT / ".cache" / "npm" / "node_modules" / "apl-suggester"))
_serializer = DefaultSerializer()


def _documents() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(APL_DIR.glob("*.json"))
            if json.loads(p.read_text(encoding="utf-8")).get("type") == "APL"}


_BINDING = re.compile(r"\$\{payload\.([A-Za-z0-9_.]+)\}")


def merged(document: dict, datasources: dict) -> dict:
    """The document with `${payload.a.b}` bindings replaced by the datasource's values, so the validator also sees
    the types and values a device would render. Other expressions (arithmetic, viewport) are left to the device."""

    def lookup(path: str) -> Any:
        value: Any = datasources
        for part in path.split("."):
            value = value[part]
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        if isinstance(node, str):
            whole = _BINDING.fullmatch(node)
            if whole:
                return lookup(whole.group(1))
            return _BINDING.sub(lambda m: str(lookup(m.group(1))), node)
        return node

    return walk(copy.deepcopy(document))


def _cases() -> dict[str, dict]:
    """Every document the skill can send, by name."""
    cases: dict[str, dict] = {}
    for name, document in _documents().items():
        cases[f"file:{name}"] = document
        sample = json.loads((APL_DIR / f"{name}.datasources.json").read_text(encoding="utf-8"))
        if name == "step":
            document = {**document, "graphics": {k: v["graphic"] for k, v in load_illustrations().items()}}
        cases[f"sample:{name}"] = merged(document, sample)
    section = load_content().sections[TREATMENT]
    total = len(section.steps)
    for number in range(1, total + 1):
        directive = step_directive(number, total, section.step_text(number), title=section.title)
        cases[f"step:{number}"] = merged(directive.document, directive.datasources)
    for name in load_illustrations():
        directive = step_directive(2, total, "Text.", illustration=name)
        cases[f"illustration:{name}"] = merged(directive.document, directive.datasources)
    for topic, section in load_content().sections.items():
        directive = answer_directive(section.title, section.card_text())
        cases[f"answer:{topic}"] = merged(directive.document, directive.datasources)
    return cases


CASES = _cases()
BROKEN = {  # negative control: proves the validator runs and reports
    "type": "APL", "version": "1.8",
    "mainTemplate": {"items": [{"type": "Text", "text": "x", "fontSize": True,
                                "onPress": "not a command"}]},
}


@pytest.fixture(scope="module")
def findings() -> dict[str, list[dict]]:
    if shutil.which("node") is None:
        tools.require_program("node")
    assert (SUGGESTER / "package.json").is_file(), f"apl-suggester is missing at {SUGGESTER}: run scripts/setup.sh"
    done = subprocess.run(["node", str(VALIDATOR)], input=json.dumps({**CASES, "broken": BROKEN}),
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "APL_SUGGESTER_DIR": str(SUGGESTER)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(CASES))
def test_document_passes_apl_suggester(name: str, findings: dict[str, list[dict]]) -> None:
    assert findings[name] == []


def test_validator_reports_a_broken_document(findings: dict[str, list[dict]]) -> None:
    assert any("fontSize" in f["path"] for f in findings["broken"])


# -- the data is consistent -------------------------------------------------------------------------------------------
def test_every_step_has_an_illustration_that_exists() -> None:
    steps = len(load_content().sections[TREATMENT].steps)
    table = load_step_illustrations()
    assert sorted(table) == list(range(1, steps + 1)), "step_illustrations.json must list every treatment step"
    assert set(table.values()) <= set(load_illustrations())
    assert set(load_illustrations()) == set(table.values()), "an illustration no step shows"
    for name, entry in load_illustrations().items():
        assert entry["label"].strip() and entry["graphic"]["type"] == "AVG", name


def test_built_datasources_have_the_sample_shape() -> None:
    def shape(value: Any) -> Any:
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value).__name__

    for name, built in (("step", step_datasources(3, 8, "x", title="t")), ("answer", answer_datasources("t", "x"))):
        sample = json.loads((APL_DIR / f"{name}.datasources.json").read_text(encoding="utf-8"))
        assert shape(built) == shape(sample), name


def test_buttons_send_exactly_the_words_we_map() -> None:
    document = _documents()["step"]
    sent = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "StepButton":
                sent.add(node["event"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["mainTemplate"])
    assert sent == set(EVENT_INTENTS)
    layout = document["layouts"]["StepButton"]["item"]
    assert layout["onPress"] == [{"type": "SendEvent", "arguments": ["${event}"]}]


def test_directives() -> None:
    directive = step_directive(1, 8, "Stop & rest.\nDon't <push> on.")
    body = _serializer.serialize(directive)
    assert body["type"] == "Alexa.Presentation.APL.RenderDocument" and body["token"] == STEP_TOKEN
    step = body["datasources"]["step"]
    assert step["number"] == 1 and step["total"] == 8 and step["illustration"] == "generic"
    assert step["text"] == "Stop &amp; rest.<br>Don't &lt;push&gt; on."
    assert list(body["document"]["graphics"]) == ["generic"]  # only the graphic shown
    assert len(json.dumps(body)) < 24_000  # far within a response's size limit
    assert step_directive(2, 8, "x").datasources["step"]["illustration"] == "stretch"
    assert answer_directive("Title", "Text").token == ANSWER_TOKEN
    for bad in ((0, 8), (9, 8)):
        with pytest.raises(ValueError):
            step_directive(*bad, "x")
    with pytest.raises(ValueError):
        step_directive(1, 8, "x", illustration="kitten")
    # A directive adds its graphic to a copy: the cached document stays as the file has it.
    step_directive(2, 8, "x")
    assert "graphics" not in load_document("step")


# -- which devices get a screen ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "interfaces, expected",
    [
        ({}, False),
        ({"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}}, True),
        ({"Alexa.Presentation.APL": {}}, True),
        ({"Alexa.Presentation.APLT": {"runtime": {"maxVersion": "1.0"}}}, False),  # character displays
        ({"Display": {"templateVersion": "1.0"}, "AudioPlayer": {}}, False),
    ],
)
def test_supports_apl(interfaces: dict, expected: bool) -> None:
    device = {"deviceId": "amzn1.ask.device.X", "supportedInterfaces": interfaces}
    assert supports_apl(envelope(device=device)) is expected


def test_supports_apl_without_device_or_context() -> None:
    body = envelope_json()
    del body["context"]["System"]["device"]
    assert supports_apl(_serializer.deserialize(json.dumps(body), RequestEnvelope)) is False
    del body["context"]
    assert supports_apl(_serializer.deserialize(json.dumps(body), RequestEnvelope)) is False
    assert supports_apl(None) is False


# -- touch events ------------------------------------------------------------------------------------------------------
def user_event(arguments: Any, token: str | None = STEP_TOKEN) -> Any:
    """A UserEvent request as Alexa sends it, parsed by ask-sdk's deserializer."""
    body = envelope_json()
    body["request"] = {"type": "Alexa.Presentation.APL.UserEvent", "requestId": "amzn1.echo-api.request.touch",
                       "timestamp": "2026-11-25T19:00:00Z", "locale": "en-US", "arguments": arguments,
                       "source": {"type": "TouchWrapper", "handler": "Press", "id": None, "value": None}}
    if token is not None:
        body["request"]["token"] = token
    try:
        return _serializer.deserialize(json.dumps(body), RequestEnvelope).request
    except SerializationException:
        # The SDK refuses some shapes (arguments: 7) before any handler runs; our function must still hold if
        # another deserializer lets them through.
        return UserEvent(request_id="r", token=token, arguments=arguments)


@pytest.mark.parametrize("word, intent", sorted(EVENT_INTENTS.items()))
def test_user_event_maps_to_intent(word: str, intent: str) -> None:
    assert intent_for_user_event(user_event([word])) == intent
    assert intent_for_user_event(user_event([word], token=None)) == intent  # tokens are optional in requests


@pytest.mark.parametrize(
    "arguments",
    [[], ["NEXT"], ["next "], ["jump"], ["next", "previous"], [["next"]], [{"next": 1}], [1], [None], [True],
     ["next"] * 100_000, ["x" * 1_000_000], None, "next", {"0": "next"}, 7],
    ids=lambda a: repr(a)[:40],
)
def test_hostile_user_events_map_to_nothing(arguments: Any) -> None:
    assert intent_for_user_event(user_event(arguments)) is None


def test_other_requests_and_foreign_tokens_map_to_nothing() -> None:
    assert intent_for_user_event(user_event(["next"], token="someone.else")) is None
    assert intent_for_user_event(IntentRequest(request_id="r")) is None
    assert intent_for_user_event(None) is None
    assert intent_for_user_event({"type": "Alexa.Presentation.APL.UserEvent", "arguments": ["next"]}) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.floats()), max_size=5))
def test_only_exactly_one_known_word_maps(arguments: list) -> None:
    expected = EVENT_INTENTS.get(arguments[0]) if len(arguments) == 1 and isinstance(arguments[0], str) else None
    assert intent_for_user_event(user_event(arguments)) == expected
