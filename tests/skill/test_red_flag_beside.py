"""A red flag beside a question: a cue of everyday time words ("every morning", "a lot", "for an hour") inside a
sentence the exemplars read surely as one of our questions gets that question's answer with the flag's own guidance
in the safety line's place; a sentence that tells the flag, and any other flag, is answered as the red flag."""

from __future__ import annotations

import pytest

from intents.matcher import Match, default_matcher
from intents.names import HARM_SLOT, RED_FLAG_INTENT
from skill.content import load_content
from skill.conversation import Conversation, intent_request

CONTENT = load_content()
LINE = CONTENT.safety_line


def guidance(flag: str) -> str:
    return CONTENT.read(CONTENT.red_flags[flag].says)


BESIDE = [
    # (said, the answer, the flag beside it); from the dev sets, whose cue words alone made them red flags before
    ("i do yoga every morning would that help with cramps", "breathing_yoga", "rf_frequent"),
    ("how many times a week should i use the foam roller on my hamstrings", "massage", "rf_frequent"),
    ("is it fine to keep a heating pad on it for an hour", "heat", "rf_wont_ease"),
    ("should i try and stretch it while it's still cramping", "stretch_during", "rf_wont_ease"),
]

TOLD = [
    # (said, the flag): the flag is what is said, whatever else is asked
    ("my hamstring cramps every night what should i do", "rf_frequent"),
    ("i keep getting cramps in my hamstring", "rf_frequent"),
    ("the cramp has been going for an hour", "rf_wont_ease"),
    ("should i take ibuprofen the cramp has been going for an hour", "rf_wont_ease"),
    ("my leg is swollen every morning does yoga help", "rf_swelling"),
    ("it just won't stop", "rf_wont_ease"),  # "will" is a question word, but the cue's own: no question asked
]


@pytest.mark.parametrize(("said", "answer", "flag"), BESIDE, ids=[c[0] for c in BESIDE])
def test_the_question_is_answered_with_the_flag_beside(said: str, answer: str, flag: str) -> None:
    match = default_matcher().match(said)
    assert match.intent != RED_FLAG_INTENT and match.slots.get(HARM_SLOT), match
    record = Conversation().say(said)
    assert record.answer == answer, record
    assert guidance(flag) in record.speech and LINE not in record.speech, record.speech
    assert record.speech.rstrip().endswith("?")  # the note goes before the closing question


@pytest.mark.parametrize(("said", "flag"), TOLD, ids=[c[0] for c in TOLD])
def test_a_flag_told_is_the_answer(said: str, flag: str) -> None:
    record = Conversation().say(said)
    assert record.answer == flag, record.speech


def test_only_the_flags_of_time_words_go_beside_a_question() -> None:
    """A request that says an urgent flag in the `harm` slot (forged, or a matcher gone wrong) gets the red flag."""
    urgent = intent_request(Match("RemedyIntent", {"remedy": "yoga", HARM_SLOT: "my leg is swollen"},
                                  {"remedy": "breathing_yoga"}))
    assert Conversation().send(urgent).answer == "rf_swelling"
    noted = intent_request(Match("RemedyIntent", {"remedy": "yoga", HARM_SLOT: "every morning"},
                                 {"remedy": "breathing_yoga"}))
    record = Conversation().send(noted)
    assert record.answer == "breathing_yoga" and guidance("rf_frequent") in record.speech


def test_on_a_device_a_time_cue_in_a_question_slot_is_still_the_red_flag() -> None:
    """Alexa has no `harm` slot: a cue in the words of another slot stays the answer, as before."""
    request = intent_request(Match("RemedyIntent", {"remedy": "bananas every night"}, {}))
    assert Conversation().send(request).answer == "rf_frequent"


ELSEWHERE = [
    # (said, the answer): time words about a cramp elsewhere in the body are someone else's question, with the
    # safety net; an urgent sign stays a red flag wherever the cramp is
    ("my calf cramps every single night", None),
    ("my wrist has been cramping for an hour from typing", None),
    ("my stomach cramps a lot after i eat", None),
    ("my foot cramped and now my leg is cold and blue", "rf_emergency"),
    ("my arm cramps and i have chest pain", "rf_emergency"),
    ("my foot cramps every night and my hamstring does too", "rf_frequent"),
]


@pytest.mark.parametrize(("said", "answer"), ELSEWHERE, ids=[c[0] for c in ELSEWHERE])
def test_time_words_about_a_cramp_elsewhere(said: str, answer: str | None) -> None:
    record = Conversation().say(said)
    assert record.answer == answer, record.speech
    if answer is None:
        assert record.intent == "AMAZON.FallbackIntent" and LINE in record.speech, record.speech
