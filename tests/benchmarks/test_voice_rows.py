"""The voice benchmark's rows, which `--tune` and offline replays of the decision read instead of decoding again:
real espeak-ng speech through the benchmark's own worker with the real pocketsphinx engine."""

from __future__ import annotations

import pytest

from local_voice.confidence import same_request
from local_voice.decision import Decider
from tests.kit import speech, voice_rows
from tests.kit.speech import espeak_available

pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")

REPLAYED = {"heard", "confidence", "lr", "phone_errors", "outcome", "expected", "given", "right", "agreed", "spotted"}


@pytest.mark.parametrize("all_evidence", [False, True])
def test_a_row_carries_what_a_replay_needs(tmp_path, monkeypatch, all_evidence):
    monkeypatch.setattr(speech, "CACHE", tmp_path)
    for name in ("_engine", "_noise_on", "_all_evidence", "_first_turns"):  # the worker's globals, put back after
        monkeypatch.setattr(voice_rows, name, getattr(voice_rows, name))
    voice_rows.init_worker("pocketsphinx", False, all_evidence)
    text, intent = "what causes hamstring cramps", "CausesIntent"
    task = (("espeak", "clean", "template", 0), speech.synthesize(text, "espeak"), {"text": text, "intent": intent})
    voice_rows.run_item(task)  # the first utterance after start-up: the recognizer settles on the voice
    row = voice_rows.run_item(task)
    assert REPLAYED <= row.keys() and row["kind"] == "template" and row["heard"]
    evidence = {"second_all", "agreed_all", "spotted_all"}
    if not all_evidence:
        assert not evidence & row.keys()  # the passes the decision skipped are not spent
        return
    assert evidence <= row.keys()
    # Every turn's second transcript is recorded, and its verdict is the one a replay would read from it.
    assert isinstance(row["second_all"], str) and row["second_all"]
    read = Decider().conversation.interpret
    heard, second = read(row["heard"])[1], read(row["second_all"])[1]
    assert heard is not None
    assert row["agreed_all"] == (second is not None and same_request(heard, second))
