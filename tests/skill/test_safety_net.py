"""The safety net: a miss, and any request that mentions pain, an injury, a fall, swelling or not moving, carries
the content's one short safety line; a red flag gets its own guidance instead, and never a plain apology."""

from __future__ import annotations

import pytest

from intents.matcher import Match
from intents.names import HARM_SLOT
from skill.content import load_content
from skill.conversation import Conversation, intent_request

LINE = load_content().safety_line

CASES = [
    # (utterance, carries the line, why)
    ("what's the weather like in paris", True, "a miss"),
    ("blah blah something", True, "a miss"),
    ("my hamstring really hurts should i put ice on it", True, "pain with a question"),
    ("ow ow ow the back of my thigh what do i do", True, "pain with the treatment"),
    ("i couldn't straighten my leg for a minute after the cramp is that normal", True, "not moving, said as past"),
    ("will i need surgery for this", True, "an operation asked about"),
    ("i fell over and now my leg is swollen", False, "a red flag: its own guidance"),
    ("what should i drink for a hamstring cramp", False, "no pain mentioned"),
    ("what causes hamstring cramps", False, "no pain mentioned"),
]


@pytest.mark.parametrize(("said", "carries", "why"), CASES, ids=[c[2] + ": " + c[0] for c in CASES])
def test_the_safety_line(said: str, carries: bool, why: str) -> None:
    record = Conversation().say(said)
    assert (LINE in record.speech) == carries, record.speech
    if record.answer and record.answer.startswith("rf_"):
        assert "doctor" in record.speech or "emergency" in record.speech


def test_a_miss_is_never_a_plain_apology() -> None:
    record = Conversation().say("my leg feels really weird and i'm scared")
    assert "doctor" in record.speech and "emergency" in record.speech


def test_the_line_comes_before_the_closing_question() -> None:
    record = Conversation().say("it hurts so much what should i drink")
    assert LINE in record.speech and record.speech.rstrip().endswith("?")


def test_alexa_words_in_any_slot_bring_the_line() -> None:
    """On a device there is no `harm` slot: the skill finds the pain words in whichever slot heard them."""
    talk = Conversation()
    request = intent_request(Match("RemedyIntent", {"remedy": "something for the pain"}, {"remedy": "pain_relievers"}))
    assert LINE in talk.send(request).speech
    quiet = Conversation().send(intent_request(Match("RemedyIntent", {"remedy": "ice"}, {"remedy": "cold_pack"})))
    assert LINE not in quiet.speech


def test_the_matcher_passes_the_words_of_harm() -> None:
    from intents.matcher import default_matcher

    assert default_matcher().match("my hamstring is killing me should i ice it").slots[HARM_SLOT] == "killing me"
    assert HARM_SLOT not in default_matcher().match("should i ice it").slots
