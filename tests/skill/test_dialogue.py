"""Conversation as people hold it (issue 20, item 4): greetings, thanks and goodbyes, side questions during the
treatment steps, and elliptical follow-ups read against the last answer. Each case is a short conversation through
skill.conversation.Conversation (the real matcher and skill); each turn states what must hold after it."""

from __future__ import annotations

from typing import Any

import pytest

from intents.matcher import Match
from skill.content import load_content
from skill.conversation import Conversation, TurnRecord, intent_request
from skill.state import ConversationState
from skill.turn import state_limits
from tests.kit.project import counting_ids

GOODBYE = ["goodbye", "take care", "bye for now"]
WELCOME_BACK = ["you're welcome", "glad to help", "no problem"]
STEPS = "what do i do for a hamstring cramp"


def check(record: TurnRecord, expected: dict[str, Any], where: str) -> None:
    """`expected`: launch (the turn was a LaunchRequest), end (the session ended), step, answer, topic, intent,
    says (one of the phrasings, each entry), not_says."""
    if "launch" in expected:
        assert (record.request["request"]["type"] == "LaunchRequest") is expected["launch"], where
    for key in ("end", "step", "answer", "topic", "intent"):
        if key in expected:
            got = record.end_session if key == "end" else getattr(record, key)
            assert got == expected[key], f"{key} at {where}: heard {record.speech!r}"
    speech = record.speech.lower()
    for wanted in expected.get("says", []):
        options = [wanted] if isinstance(wanted, str) else wanted
        assert any(o in speech for o in options), f"missing {wanted!r} at {where}: heard {record.speech!r}"
    for unwanted in expected.get("not_says", []):
        assert unwanted not in speech, f"unexpected {unwanted!r} at {where}: heard {record.speech!r}"


def talk(name: str, turns: list[tuple[str, dict[str, Any]]]) -> list[TurnRecord]:
    chat = Conversation(new_id=counting_ids(name))
    records = []
    for number, (said, expected) in enumerate(turns, 1):
        record = chat.say(said)
        check(record, expected, f"turn {number} ({said!r})")
        records.append(record)
    return records


CONVERSATIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # -- greetings ---------------------------------------------------------------------------------------------------
    **{f"{hello!r} opens the session as a launch does": [
        (hello, {"launch": True, "end": False, "says": ["not a doctor", "what would you like to know"]}),
        ("what causes hamstring cramps", {"topic": "causes", "not_says": ["not a doctor"]}),
    ] for hello in ("hi", "hello there", "hey", "hi there", "good morning", "morning", "hiya")},
    "a greeting mid-way says hello back and keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("hello", {"launch": False, "end": False, "says": [["hello again", "hi there"], "step 3"]}),
        ("next", {"step": 3}),
    ],
    "a greeting in front of a question is read past": [
        ("hi there what do i do for a hamstring cramp", {"step": 1, "says": ["not a doctor"]}),
    ],
    # -- thanks and goodbyes -----------------------------------------------------------------------------------------
    **{f"{bye!r} ends the session politely": [
        ("what causes hamstring cramps", {"topic": "causes"}),
        (bye, {"end": True, "intent": "AMAZON.StopIntent", "says": [GOODBYE]}),
    ] for bye in ("thanks bye", "cheers that's all i needed", "ok great thank you goodbye", "that's all thanks",
                  "thanks so much bye", "ta bye", "lovely thanks goodbye", "right i'll ring them now thanks bye",
                  "thanks that's everything bye", "no thanks bye", "ok bye then", "nope that's it",
                  "thanks i'll give that a go", "i'll try that thanks")},
    "a plain thanks during the steps is acknowledged and keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("thanks", {"end": False, "intent": "ThanksIntent", "says": [WELCOME_BACK, "step 3"]}),
        ("next", {"step": 3}),
    ],
    "a plain thanks keeps what was offered": [
        ("what causes hamstring cramps", {"topic": "causes", "says": [["more", "detail"]]}),
        ("cheers", {"end": False, "says": [WELCOME_BACK]}),
        ("yes", {"topic": "causes", "says": ["cycling"]}),
        ("thank you", {"end": False, "says": [WELCOME_BACK]}),
        ("no", {"end": True}),
    ],
    # -- a side question during the steps keeps the place ------------------------------------------------------------
    **{f"a side question at step 2, then {go!r}, continues with step 3": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("would putting ice on it help", {"answer": "cold_pack", "says": ["step 3"], "not_says": ["step 7"]}),
        (go, {"step": 3}),
        ("next", {"step": 4}),
    ] for go in ("next", "yes", "go on", "ok carry on", "and then", "what now", "and after that", "ok what's next")},
    "what the source does not cover, asked during the steps, keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("does pickle juice help", {"answer": "not_covered", "says": ["step 3"]}),
        ("ok carry on", {"step": 3}),
    ],
    "a red flag during the steps keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("my leg is swollen", {"answer": "rf_swelling"}),
        ("next", {"step": 3}),
    ],
    "several side questions in a row keep the same place": [
        (STEPS, {"step": 1}),
        ("go to step five", {"step": 5}),
        ("can i take ibuprofen", {"answer": "pain_relievers", "says": ["step 6"]}),
        ("should i use ice", {"answer": "cold_pack", "says": ["step 6"]}),
        ("what about massage", {"answer": "massage", "says": ["step 6"]}),
        ("next", {"step": 6}),
    ],
    "outside the steps, an answer offers its own step": [
        ("can massage help", {"answer": "massage", "says": [["treatment steps"]]}),
        ("next", {"step": 4}),
    ],
    "after the last step, an answer offers the step after its own": [
        (STEPS, {"step": 1}),
        ("go to step 8", {"step": 8}),
        ("can massage help", {"answer": "massage", "says": ["step 4"]}),
        ("yes", {"step": 4}),
    ],
    # -- how long for ------------------------------------------------------------------------------------------------
    "how long for, after an answer that gives a time: only that time": [
        ("should i use ice", {"answer": "cold_pack", "says": ["still cramping"]}),
        ("how long for", {"answer": "cold_pack", "says": ["10 to 15 minutes"], "not_says": ["still cramping"]}),
    ],
    "how long for, after a side answer during the steps, keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("would putting ice on it help", {"answer": "cold_pack"}),
        ("how long for", {"answer": "cold_pack", "says": ["10 to 15 minutes", "step 3"]}),
        ("right go on", {"step": 3}),
    ],
    "how long for, on a step that gives a time: that step": [
        (STEPS, {"step": 1}),
        ("go to step 6", {"step": 6}),
        ("how long for", {"step": 6, "says": ["10 to 15 minutes"]}),
        ("next", {"step": 7}),
    ],
    "how long for, on a step without a time: how long a cramp lasts": [
        (STEPS, {"step": 1}),
        ("how long for", {"answer": "duration", "says": ["few minutes", "step 2"]}),
        ("next", {"step": 2}),
    ],
    "how long for, with nothing said before: how long a cramp lasts": [
        ("how long for", {"answer": "duration", "says": ["few minutes"]}),
    ],
    # -- is that why -------------------------------------------------------------------------------------------------
    "is that why, after a cause: that cause again": [
        ("can being dehydrated give you a hamstring cramp", {"answer": "cause_dehydration"}),
        ("is that why", {"answer": "cause_dehydration", "says": ["electrolyte"]}),
    ],
    "a cause told as a story, with could that be why, is that cause": [
        (STEPS, {"step": 1}),
        ("my legs are knackered from training every day this week could that be why", {"answer": "cause_fatigue"}),
        ("i'd hardly had any water all day is that why", {"answer": "cause_dehydration", "says": ["step 2"]}),
        ("next", {"step": 2}),
    ],
    "is that why, with no cause before: what the causes are": [
        ("should i use ice", {"answer": "cold_pack"}),
        ("could that be why", {"topic": "causes", "answer": None, "says": ["usual suspects"]}),
    ],
    # -- what else / tell me more ------------------------------------------------------------------------------------
    "tell me more after a cause answer: the rest of the causes": [
        ("can dehydration cause cramps", {"answer": "cause_dehydration"}),
        ("tell me more", {"topic": "causes", "says": ["cycling", "diabetes"]}),
    ],
    "tell me more after a side cause answer during the steps gives the causes, go on the next step": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("can dehydration cause cramps", {"answer": "cause_dehydration", "says": ["step 3"]}),
        ("tell me more", {"topic": "causes", "says": ["cycling", "step 3"]}),
        ("go on", {"step": 3}),
    ],
    "what else after a prevention answer: the rest of prevention": [
        ("do i really need to warm up before a run", {"answer": "warm_up"}),
        ("what else", {"topic": "prevention", "says": ["shoes"]}),
    ],
    # -- what else causes it -----------------------------------------------------------------------------------------
    "what else causes it right after the causes: the rest of them": [
        ("what causes hamstring cramps", {"topic": "causes", "answer": None}),
        ("what else causes it", {"topic": "causes", "says": ["cycling", "diabetes"]}),
    ],
    "what else causes it after a cause: the first cause not given yet": [
        ("i'm pregnant could that be why i'm getting them", {"answer": "cause_pregnancy"}),
        ("what else causes it", {"answer": "cause_dehydration", "topic": "causes"}),
        ("what else causes it", {"answer": "cause_electrolytes"}),
    ],
    "what else causes it during the steps keeps the place": [
        (STEPS, {"step": 1}),
        ("next", {"step": 2}),
        ("is it cramping because i didn't drink enough", {"answer": "cause_dehydration"}),
        ("what else causes it", {"topic": "causes", "answer": "cause_electrolytes", "says": ["step 3"]}),
        ("alright and the next step", {"step": 3}),
    ],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_conversation(name):
    talk(name, CONVERSATIONS[name])


def test_what_else_causes_it_walks_through_every_cause_once():
    """Each "what else causes it" gives a cause not said yet (answers that name the same cause count once), then
    says there is no more, and the walk is bounded by the content's causes."""
    content = load_content()
    causes = content.cause_answers()
    distinct = {a.says[0] for a in causes}
    turns = [("can dehydration cause cramps", {"answer": "cause_dehydration"})]
    turns += [("what else causes it", {"topic": "causes"})] * (len(distinct) - 1)
    turns += [("what else causes it", {"topic": "causes", "answer": None, "says": [["everything", "all i have"]]})]
    records = talk("walk", turns)
    given = [r.answer for r in records[:-1]]
    assert len(set(given)) == len(given) == len(distinct)
    assert {content.answers[a].says[0] for a in given} == distinct
    assert len(records[-1].response["sessionAttributes"]["causes_given"]) <= len(causes)


def test_a_greeting_as_an_alexa_intent_in_a_new_session_opens_it_as_a_launch():
    """On a device, "ask hamstring helper hello" arrives as GreetingIntent in a new session."""
    record = Conversation(new_id=counting_ids("one-shot hello")).send(intent_request(Match("GreetingIntent")))
    check(record, {"end": False, "says": [["welcome", "hi,", "hello"], "not a doctor", "what would you like to know"]},
          "one-shot hello")


@pytest.mark.parametrize(
    "value,kept",
    [
        (["cause_dehydration", "cause_fatigue"], ("cause_dehydration", "cause_fatigue")),
        ([], ()),
        (["cause_dehydration", "cause_dehydration"], ()),  # a repeat: not a list this skill writes
        (["heat"], ()),  # an answer, but not a cause
        (["rf_injury"], ()),
        ([1], ()),
        ("cause_dehydration", ()),
        ({"cause_dehydration": True}, ()),
        (["cause_dehydration"] * 50, ()),
    ],
)
def test_causes_given_is_validated_like_every_attribute(value, kept):
    state = ConversationState.from_attributes({"causes_given": value}, state_limits())
    assert state.causes_given == kept


def test_tampered_causes_given_does_not_crash_a_turn():
    chat = Conversation()
    chat.say("can dehydration cause cramps")
    chat.attributes["causes_given"] = ["not a cause"] * 100
    record = chat.say("what else causes it")
    assert record.answer == "cause_dehydration"
