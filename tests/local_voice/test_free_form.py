"""The free-form pass, with real audio: flite speech through the real pocketsphinx engine, whose general English model
hears paraphrases our grammar cannot produce, and the assistant's decision over both readings. Nothing is mocked; the
sentences are dev-set questions (tests/data), none of them a template sentence."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from intents.matcher import default_matcher
from local_voice.asr import PocketsphinxEngine, Transcript
from local_voice.audio import AudioChunk
from local_voice.confidence import same_request
from local_voice.decision import Decider
from tests.kit.speech import synthesize

pytestmark = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is needed to make test speech")


@pytest.fixture(scope="module")
def heard() -> Callable[[str], Transcript]:
    """One engine, primed as the assistant is at start-up, hearing each sentence as a microphone hands it over."""
    engine = PocketsphinxEngine()
    cache: dict[str, Transcript] = {}

    def hear(text: str) -> Transcript:
        if text not in cache:
            stream = engine.stream()
            for frame in AudioChunk.from_samples(synthesize(text, "flite")).split(0.03):
                stream.accept(frame)
            cache[text] = stream.final()
        return cache[text]

    hear("when should i see a doctor")
    return hear


def reading(text: str):
    """What the skill reads in these words typed: the request a check must name."""
    return default_matcher().match(text)


def grammar_reading(transcript: Transcript) -> str | None:
    match = reading(transcript.text) if transcript.text else None
    return None if match is None or match.is_fallback else match.intent


def test_the_free_form_pass_hears_words_outside_the_grammar(heard):
    """The general model's words, not the nearest template sentence: most of a paraphrase comes out as said."""
    said = "do i stretch before or after exercise to stop my hamstrings cramping"
    transcript = heard(said)
    assert transcript.free_form is not None and transcript.free_form != transcript.text
    assert len(set(transcript.free_form.split()) & set(said.split())) >= len(said.split()) * 3 / 4, transcript


def test_a_paraphrase_is_answered_when_both_readings_ask_the_same(heard):
    """The grammar's words are off ("are water worth trying..."), the free-form pass's are near the question said;
    both read as the same request, so the assistant answers instead of saying it didn't catch that."""
    said = "water or a sports drink which one"
    transcript = heard(said)
    helper = Decider()
    turn = helper.hear(transcript)
    assert turn.outcome == "answer" and turn.record.intent == reading(said).intent, (transcript, turn.to_json())
    assert helper.last_decision is not None and same_request(helper.last_decision.match, reading(said))
    assert turn.free_agreed is True and turn.to_json()["free_form"] == {"transcript": transcript.free_form,
                                                                         "same_request": True}
    assert transcript.text != transcript.free_form and turn.record.request["session"]["new"] is True


@pytest.mark.parametrize("said", ["does a previous hamstring injury raise my risk of cramps",
                                  "is it normal to be tender afterwards"])
def test_a_check_names_the_question_the_free_form_pass_heard(heard, said):
    """Where the grammar heard another question, the check names the free-form reading, and "yes" answers it."""
    transcript = heard(said)
    intent = reading(said).intent
    assert grammar_reading(transcript) != intent, transcript  # the grammar alone would check (or drop) another
    helper = Decider()
    asked = helper.hear(transcript)
    assert asked.outcome == "confirm" and asked.confirm == intent, (transcript, asked.to_json())
    assert helper.last_decision is not None and same_request(helper.last_decision.match, reading(said))
    assert asked.to_json()["free_form"] == {"transcript": transcript.free_form, "same_request": False}
    assert asked.record.request == {}  # a check is the assistant's own turn: nothing reaches the skill yet
    answered = helper.hear(Transcript("yes", 1.0))
    assert answered.outcome == "answer" and answered.record.intent == intent
    assert answered.transcript == transcript.free_form


def test_a_red_flag_heard_only_by_the_free_form_pass_is_checked_never_dropped(heard):
    said = "the back of my thigh feels hot to the touch after the cramp"
    transcript = heard(said)
    assert grammar_reading(transcript) != "RedFlagIntent", transcript
    asked = Decider().hear(transcript)
    assert asked.outcome == "confirm" and asked.confirm == "RedFlagIntent", (transcript, asked.to_json())
    assert transcript.free_form is not None and asked.record.speech.count("?") >= 1
