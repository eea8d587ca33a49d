"""Issue 23 items 11-13: forged session attributes and slot values never crash the skill, and every reply's speech is
well-formed SSML (Alexa refuses any that is not). The reproductions go through the real CLI (`hamstring simulate`)
and through the web app's real endpoint (Flask's test client), with the real skill."""

from __future__ import annotations

import copy
import json
import logging
import xml.etree.ElementTree as ET

import pytest
import yaml

from intents.language import load_language
from skill.reply import MAX_SPEECH_CHARS
from skill.state import ConversationState
from skill.turn import state_limits
from skill.web.app import create_app
from tests.kit.project import DATA, ROOT, run_cli

BASE = json.loads((DATA / "envelopes" / "launch.json").read_text())
APOLOGIES = yaml.safe_load((ROOT / "skill" / "content" / "dialog.yaml").read_text(encoding="utf-8"))["error"]
APP = create_app(None).test_client()


def intent_envelope(intent: str, attributes: dict, slots: dict[str, str] | None = None) -> dict:
    body = copy.deepcopy(BASE)
    body["session"].update(new=False, attributes=attributes)
    body["request"] = {"type": "IntentRequest", "requestId": "amzn1.echo-api.request.forged",
                       "timestamp": "2026-11-25T19:00:05Z", "locale": "en-US", "dialogState": "COMPLETED",
                       "intent": {"name": intent, "confirmationStatus": "NONE", "slots": {
                           name: {"name": name, "value": value, "confirmationStatus": "NONE"}
                           for name, value in (slots or {}).items()}}}
    return body


class SkillErrors(logging.Handler):
    """ERROR records of the skill's catch-all and the server's: a 200 that went through either is an apology."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors():
    handler = SkillErrors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.records
    finally:
        logging.getLogger().removeHandler(handler)


def answered(envelope: dict, errors: list) -> dict:
    response = APP.post("/", data=json.dumps(envelope), content_type="application/json")
    assert response.status_code == 200, response.data[:300]
    assert not errors, [r.getMessage() for r in errors]
    speech = response.get_json()["response"]["outputSpeech"]["ssml"]
    assert not any(apology in speech for apology in APOLOGIES), speech
    return response.get_json()


# -- item 11: forged offers ----------------------------------------------------------------------------------------
FORGED_OFFERS = [
    ({"offer": "next_step"}, "AMAZON.YesIntent"),
    ({"offer": "resume"}, "MoreIntent"),
    ({"offer": "resume", "position": 99}, "AMAZON.YesIntent"),
]


@pytest.mark.parametrize("attributes,intent", FORGED_OFFERS, ids=[f"{a} + {i}" for a, i in FORGED_OFFERS])
def test_a_forged_offer_through_simulate_is_answered_not_crashed(attributes, intent):
    result = run_cli("simulate", stdin=json.dumps(intent_envelope(intent, attributes)))
    err = result.stderr.decode()
    assert result.returncode == 0 and "Traceback" not in err and "skill error" not in err, err
    speech = json.loads(result.stdout)["response"]["outputSpeech"]["ssml"]
    assert not any(apology in speech for apology in APOLOGIES), speech


@pytest.mark.parametrize("attributes,kept", [
    ({"offer": "next_step"}, None),
    ({"offer": "resume", "position": 99}, None),  # the position is out of range, so the offer has nothing to go on
    ({"offer": "next_step", "position": 3}, "next_step"),
    ({"offer": "resume", "position": 2}, "resume"),
    ({"offer": "treatment"}, None),  # a section with nothing more to say: a yes to it would give nothing
    ({"offer": "causes"}, "causes"),
    ({"offer": "steps"}, "steps"),
])
def test_an_offer_is_kept_only_with_what_it_needs(attributes, kept):
    assert ConversationState.from_attributes(attributes, state_limits()).offer == kept


# -- item 12: digits of other scripts in the step slot --------------------------------------------------------------
@pytest.mark.parametrize("said,step", [("²", None), ("③", None), ("٣", None), ("3", 3), (" 4 ", 4), ("0003", None),
                                        ("-1", None), ("three", None)])
def test_a_step_slot_of_any_digits_is_answered(said, step, errors):
    answer = answered(intent_envelope("GoToStepIntent", {}, {"step": said}), errors)
    assert answer["sessionAttributes"]["step"] == step


# -- item 13: speech cut to Alexa's limit stays well-formed --------------------------------------------------------
def well_formed(ssml: str) -> None:
    assert len(ssml) <= MAX_SPEECH_CHARS
    ET.fromstring(ssml)  # raises on a torn entity or tag


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("text", ["a & b ", "x<y ", "tom & jerry > cats "])
def test_repeat_of_a_long_last_speech_is_cut_on_whole_entities(text, offset, errors):
    # The cut lands at every place in the entity, depending on the offset.
    last = ("z" * offset + text * 8000)[:8000]
    answer = answered(intent_envelope("AMAZON.RepeatIntent", {"last_speech": last, "last_reprompt": last}), errors)
    well_formed(answer["response"]["outputSpeech"]["ssml"])
    well_formed(answer["response"]["reprompt"]["outputSpeech"]["ssml"])


STATES = [{}, {"topic": "treatment", "step": 3, "position": 3}, {"offer": "causes", "topic": "causes"},
          {"offer": "steps"}, {"offer": "next_step", "position": 8}, {"offer": "resume", "position": 2},
          {"last_speech": "fish & chips <3", "topic": "overview"}]
INTENTS = sorted(set(load_language().intents) | {"AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.RepeatIntent",
                                                  "AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.HelpIntent",
                                                  "AMAZON.StopIntent", "AMAZON.FallbackIntent"})


@pytest.mark.parametrize("intent", INTENTS)
def test_every_reply_is_well_formed_ssml(intent, errors):
    for attributes in STATES:
        answer = answered(intent_envelope(intent, attributes), errors)
        well_formed(answer["response"]["outputSpeech"]["ssml"])
        reprompt = (answer["response"].get("reprompt") or {}).get("outputSpeech")
        if reprompt:
            well_formed(reprompt["ssml"])
