"""Knowing when it didn't understand, with real audio: espeak-ng speech (and noise) through the real pocketsphinx
engine, its grammar-vs-phone-loop confidence, and the assistant's three outcomes. Nothing here is mocked; where a test
needs an utterance to fall between the thresholds, it measures the real confidence first and places the thresholds
around it (synthesized speech is too clean to land there on cue)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from intents.language import default_sentences_path, load_language
from intents.matcher import default_matcher
from local_voice.asr import EngineError, PocketsphinxEngine, Transcript, transcribe
from local_voice.audio import AudioChunk
from local_voice.confidence import DEFAULT_THRESHOLDS, Thresholds
from local_voice.decision import Decider
from local_voice.noise import NoiseFrontEnd
from local_voice.pipeline import Assistant
from local_voice.sources import ScriptedSource
from tests.kit.project import run_cli
from tests.kit.speech import espeak_available, mix, pink_noise, speak_pcm, speak_to_wav

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Callable[[str], AudioChunk]:
    """Synthesized once per text for the whole module."""
    folder = tmp_path_factory.mktemp("confidence-speech")
    cache: dict[str, AudioChunk] = {}

    def say(text: str) -> AudioChunk:
        if text not in cache:
            cache[text] = AudioChunk(speak_pcm(text, folder))
        return cache[text]

    return say


@pytest.fixture(scope="module")
def sphinx(speech) -> PocketsphinxEngine:
    """A few turns into a conversation: the live cepstral mean starts from generic values and settles over the first
    utterances (only the user's own turns move it, not the engine's extra passes over them)."""
    engine = PocketsphinxEngine()
    for text in ("when should i see a doctor", "what causes hamstring cramps"):
        transcribe(engine, AudioChunk.silence(0.3) + speech(text) + AudioChunk.silence(0.3))
    return engine


def _ear(engine: PocketsphinxEngine, speech) -> Callable[[str], Transcript]:
    cache: dict[str, Transcript] = {}

    def hear(text: str) -> Transcript:
        if text not in cache:
            cache[text] = transcribe(engine, AudioChunk.silence(0.3) + speech(text) + AudioChunk.silence(0.3))
        return cache[text]

    return hear


@pytest.fixture(scope="module")
def heard(sphinx, speech) -> Callable[[str], Transcript]:
    return _ear(sphinx, speech)


@pytest.fixture(scope="module")
def heard_fresh(speech) -> Callable[[str], Transcript]:
    """Its own engine, a few turns into a conversation as `sphinx` is, for tests whose utterances should not depend on
    what the rest of the module said before them (the live cepstral mean carries over)."""
    engine = PocketsphinxEngine()
    hear = _ear(engine, speech)
    for text in ("when should i see a doctor", "what causes hamstring cramps"):
        hear(text)
    return hear


# For a reply to "did you ask ...?": judged on its own confidence, never answered as a question of its own.
NEVER_ANSWER = Thresholds(answer_at=1.01, confirm_at=0.0, agreed_answer_at=1.01, disputed_answer_at=1.01)


def decider(thresholds: Thresholds | None = None) -> Decider:
    """The assistant's decision alone: no engine, no speaker, no output."""
    return Decider(**({"thresholds": thresholds} if thresholds else {}))


def test_a_sentence_of_ours_is_answered(heard):
    transcript = heard("how can i prevent hamstring cramps")
    helper = decider()
    turn = helper.hear(transcript)
    assert turn.outcome == "answer" and turn.record.intent == "PreventionIntent", transcript
    assert turn.confirm is None and turn.to_json()["confidence"] == round(turn.confidence, 3)
    # Sure enough on its own, or in the middle band with a second opinion that heard the same request.
    assert turn.confidence >= DEFAULT_THRESHOLDS.disputed_answer_at or turn.to_json()["second_opinion"] == {
        "transcript": turn.second_opinion, "same_request": True}


def test_the_second_opinion_is_a_real_decoding_of_the_same_audio(heard):
    """The looser n-gram decoding hears a plain sentence of ours as (nearly) the same words, and nothing of a
    sentence that is not there: it is a transcript of this audio, not the grammar's output again."""
    transcript = heard("how can i prevent hamstring cramps")
    assert transcript.second_opinion is not None
    said = "how can i prevent hamstring cramps".split()
    loose = transcript.second_opinion().split()
    assert len(set(said) & set(loose)) >= len(said) / 2 and "hamstring" in loose, loose
    weather = heard("what is the weather like tomorrow in paris")
    assert weather.second_opinion is not None and weather.second_opinion() != weather.text


@pytest.mark.parametrize("confidence,second,outcome", [
    (0.95, "what is the weather like", "answer"),  # sure on its own: the second opinion is not asked
    (0.3, "how can i prevent hamstring cramps", "answer"),  # middle band, same request: answered
    (0.3, "what causes hamstring cramps", "confirm"),  # middle band, another request: checked
    (0.3, "", "confirm"),  # the second decoding heard nothing
    (0.05, "how can i prevent hamstring cramps", "reject"),  # too unsure to check, agreement or not
])
def test_the_second_opinion_decides_the_middle_band(confidence, second, outcome):
    asked = []

    def second_opinion() -> str:
        asked.append(second)
        return second

    heard = Transcript("how can i prevent hamstring cramps", confidence, second_opinion=second_opinion)
    helper = decider()
    turn = helper.hear(heard)
    assert turn.outcome == outcome
    assert bool(asked) == DEFAULT_THRESHOLDS.needs_second_opinion(confidence)  # a decoding pass only when it counts
    assert (turn.to_json()["second_opinion"] is not None) == bool(asked)


def _between(confidence: float) -> Thresholds:
    """Thresholds that put this real confidence in the confirmation band, whatever the second opinion says."""
    above = min(1.0, confidence + 0.01)
    return Thresholds(answer_at=above, confirm_at=max(0.0, confidence - 0.5) / 2, agreed_answer_at=above,
                      disputed_answer_at=above)


def test_unsure_is_confirmed_then_answered_on_yes(heard):
    question = heard("who gets hamstring cramps")
    helper = decider(_between(question.confidence))
    asked = helper.hear(question)
    assert asked.outcome == "confirm" and asked.confirm == "RiskFactorsIntent", question
    assert asked.record.request == {} and not helper.conversation.open  # nothing went to the skill
    assert "who gets hamstring cramps" in asked.record.speech
    helper.thresholds = NEVER_ANSWER  # "yes" is judged on its own confidence
    answered = helper.hear(heard("yes"))
    assert answered.outcome == "answer" and answered.record.intent == "RiskFactorsIntent"
    assert answered.transcript == question.text  # the question that was confirmed, not "yes"


def test_no_asks_again_and_keeps_the_session_and_step(heard):
    helper = decider(Thresholds(answer_at=0.0, confirm_at=0.0, agreed_answer_at=0.0, disputed_answer_at=0.0))
    first = helper.hear(heard("what do i do for a hamstring cramp"))  # answered, whatever the confidence
    assert first.outcome == "answer" and first.record.step == 1
    attributes = dict(helper.conversation.attributes)
    question = heard("how can i prevent hamstring cramps")
    helper.thresholds = _between(question.confidence)
    assert helper.hear(question).outcome == "confirm"
    helper.thresholds = NEVER_ANSWER
    again = helper.hear(heard("no"))
    assert again.outcome == "ask_again" and again.record.request == {}
    assert helper.conversation.attributes == attributes and helper.pending is None
    assert again.record.step == 1  # the treatment position is where it was


def test_a_red_flag_is_confirmed_never_rejected(heard):
    transcript = heard("my leg is swollen and red")
    unsure = Transcript(transcript.text, 0.01, transcript.detail)  # the real words, at the lowest confidence
    turn = decider().hear(unsure)
    assert turn.outcome == "confirm" and turn.confirm == "RedFlagIntent", turn.transcript


# Stories the grammar still misses (each checked by the test's first assertion): "tingling in my hamstring for a week
# now" was one until the phone loop got a decoder of its own; the grammar now hears it as the red flag "tingling".
@pytest.mark.parametrize("said", ["there is a massive bruise on the back of my leg"])
def test_a_red_flag_in_words_no_template_holds_is_spotted_and_checked(heard, heard_fresh, said):
    """The grammar hears these as something else (or nothing); the red-flag keyword is spotted in the audio on its
    own, checked, and on "yes" the skill gets the red flag. (Spotting alone: the free-form pass, which may read the
    same red flag first, is left out here and tested on its own.)"""
    transcript = replace(heard_fresh(said), free_form=None)
    helper = decider()
    reading = helper.conversation.interpret(transcript.text)[1] if transcript.text else None
    assert reading is None or reading.intent != "RedFlagIntent", transcript  # the grammar alone misses it
    asked = helper.hear(transcript)
    assert asked.outcome == "confirm" and asked.confirm == "RedFlagIntent", (transcript, asked.spotted)
    assert asked.spotted is not None and asked.spotted in said and f'"{asked.spotted}"' in asked.record.speech
    assert asked.to_json()["red_flag_spotted"] == asked.spotted and asked.record.request == {}
    helper.thresholds = NEVER_ANSWER
    answered = helper.hear(heard("yes"))
    assert answered.outcome == "answer" and answered.record.intent == "RedFlagIntent"
    assert answered.transcript == asked.spotted


def test_every_red_flag_keyword_is_a_red_flag_on_its_own():
    """What is spotted is checked as the red flag the matcher reads in it: each keyphrase must be one by itself."""
    matcher = default_matcher()
    keywords = matcher.language.raw["red_flag_keywords"]
    assert keywords and all(matcher.match(phrase).intent == "RedFlagIntent" for phrase in keywords)


@pytest.mark.parametrize("phrase,error", [("numb", "too short to spot"), ("swollen kneecap", "no template has")])
def test_a_keyword_the_engine_cannot_spot_is_refused(tmp_path: Path, phrase, error):
    source = default_sentences_path().read_text(encoding="utf-8")
    start = source.index("red_flag_keywords: [")
    changed = tmp_path / "en.yaml"
    changed.write_text(f"{source[:start]}red_flag_keywords: [swollen, {phrase}{source[source.index(']', start):]}",
                       encoding="utf-8")
    with pytest.raises(EngineError, match=error):
        PocketsphinxEngine(load_language(changed))


@pytest.mark.parametrize("text,confidence,spotted,outcome,confirm,listened", [
    ("how can i prevent hamstring cramps", 0.95, ["swollen"], "answer", None, False),  # answered: not listened for
    ("my leg is swollen", 0.01, ["chest pain"], "confirm", "my leg is swollen", False),  # already a red flag
    ("how can i prevent hamstring cramps", 0.05, ["swollen"], "confirm", "swollen", True),  # not caught, spotted
    ("how can i prevent hamstring cramps", 0.3, ["swollen"], "confirm", "swollen", True),  # a check: of the flag
    ("", 0.0, ["swollen", "chest pain", "every night"], "confirm", "chest pain", True),  # the most urgent one
    ("", 0.0, [], "reject", None, True),  # nothing spotted: not caught
])
def test_red_flag_spotting_runs_only_on_turns_not_answered(text, confidence, spotted, outcome, confirm, listened):
    calls = []

    def spot() -> list[str]:
        calls.append(1)
        return spotted

    turn = decider().hear(Transcript(text, confidence, spot_red_flags=spot))
    assert turn.outcome == outcome and bool(calls) == listened
    assert (turn.spotted or (turn.transcript if turn.outcome == "confirm" else None)) == confirm


def test_out_of_domain_speech_and_noise_are_rejected_and_the_session_stays(sphinx, speech):
    """In a session at step 1: a weather question and a burst of noise are not caught, and not sent to the skill;
    the session and its treatment step stay, so the next question continues it."""
    noise = AudioChunk.from_samples(pink_noise(16000 * 2, seed=3) * 0.3)
    clips = [speech("what is the weather like tomorrow in paris"), noise, speech("what is step two")]
    helper = Assistant(sphinx, None, out=io.StringIO())
    helper.respond("how do i treat a hamstring cramp")  # typed: the session is at step 1
    helper.listen(ScriptedSource(list(clips)))
    outcomes = [(t.outcome, t.record.intent, t.record.step) for t in helper.turns]
    assert outcomes[:3] == [("answer", "TreatmentIntent", 1), ("reject", None, 1), ("reject", None, 1)], outcomes
    assert all(t.record.request == {} and "didn't" in t.record.speech for t in helper.turns[1:3])
    last = helper.turns[3]
    if last.outcome == "answer":  # recognition of the last one is not what this test is about
        assert last.record.request["session"]["new"] is False
        assert last.record.request["session"]["sessionId"] == helper.turns[0].record.request["session"]["sessionId"]


def test_noise_suppression_stage_runs_and_keeps_speech(sphinx, speech):
    clean = AudioChunk.silence(0.3) + speech("when should i see a doctor") + AudioChunk.silence(0.3)
    noisy = AudioChunk.from_samples(mix(clean.samples(), pink_noise(clean.frames, seed=5), 18).astype(np.float32))
    front = NoiseFrontEnd()
    cleaned = front.clip(noisy)
    assert abs(cleaned.frames - noisy.frames) < 160 and cleaned.rate == noisy.rate
    # The quiet lead-in is quieter after suppression than before.
    lead = int(0.25 * 16000)
    assert np.abs(cleaned.samples()[:lead]).mean() < np.abs(noisy.samples()[:lead]).mean()
    helper = Assistant(sphinx, None, out=io.StringIO(), noise=NoiseFrontEnd())
    helper.listen(ScriptedSource([noisy]))
    turn = helper.turns[0]
    assert turn.outcome != "answer" or turn.record.intent == "SeeDoctorIntent", turn.transcript


def test_json_turns_carry_confidence_and_confirm(tmp_path: Path):
    # What the fields say is this test's; how often a first turn is right is the voice benchmark's (--first-turns).
    wav = speak_to_wav("what causes cramps in the back of my thigh", tmp_path / "q.wav")
    weather = speak_to_wav("what is the weather like tomorrow in paris", tmp_path / "w.wav")
    result = run_cli("voice", "--input", str(wav), str(weather), "--json", "--no-tts", "--engine", "pocketsphinx",
                     "--noise", "off", timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    first, second = [json.loads(line) for line in result.stdout.decode().splitlines()]
    # The first utterance after start-up is the least sure (cepstral means not yet adapted): answered or checked.
    assert (first["outcome"], first["intent"] or first["confirm"]) in (("answer", "CausesIntent"),
                                                                       ("confirm", "CausesIntent")), first
    assert 0 <= first["confidence"] <= 1 and (first["confirm"] is None) == (first["outcome"] == "answer")
    assert second["outcome"] == "reject" and second["intent"] is None and second["confidence"] < 0.5
    assert "didn't" in second["speech"]
