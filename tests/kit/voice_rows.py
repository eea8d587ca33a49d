"""One spoken item as the voice benchmark measures it: streamed through the recognizer as a microphone would, decided
by the assistant's own rules, sent to the skill, and scored. The benchmark's worker processes run it; its tests run
it on real speech."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from local_voice.asr import Transcript
    from local_voice.decision import Decider

_engine: Any = None
_noise_on = False
_all_evidence = False
_first_turns = False


def init_worker(engine_name: str, noise_on: bool, all_evidence: bool = False, first_turns: bool = False) -> None:
    global _engine, _noise_on, _all_evidence, _first_turns
    from local_voice.asr import choose_engine

    _engine = choose_engine(engine_name)
    _noise_on = noise_on
    _all_evidence = all_evidence
    _first_turns = first_turns
    _decode(np.zeros(16000, dtype=np.float32))  # first-utterance priming is start-up cost, not per-turn cost


def _decode(samples: np.ndarray) -> tuple[Any, float, float]:
    """Streams 30 ms frames as a microphone would; returns the Transcript, total decode s, and finalize ms."""
    from local_voice.audio import AudioChunk
    from local_voice.noise import NoiseFrontEnd

    audio = AudioChunk.from_samples(samples)
    assert _engine is not None, "init_worker was not called"
    stream = _engine.stream()
    front = NoiseFrontEnd() if _noise_on else None
    started = time.perf_counter()
    for frame in audio.split(0.03):
        stream.accept(front.process(frame) if front is not None else frame)
    finishing = time.perf_counter()
    heard = stream.final()
    done = time.perf_counter()
    return heard, done - started, (done - finishing) * 1000


def run_item(task: tuple) -> dict:
    """One spoken item through the recognizer, then the assistant's own decision and the skill, with any context
    turns typed first in the same session."""
    from local_voice.decision import Decider
    from tests.kit.scoring import expected_label, given_label, is_correct, kind_of

    key, samples, item = task
    if _first_turns and hasattr(_engine, "restart"):
        _engine.restart()  # each item is the first thing said after start-up
    heard, decode_s, final_ms = _decode(samples)
    decider = Decider()
    for earlier in item.get("context", []):
        decider.respond(earlier)
    started = time.perf_counter()
    turn = decider.hear(heard)
    nlu_ms = (time.perf_counter() - started) * 1000
    evidence = all_evidence(decider, heard) if _all_evidence else {}  # read in the state the decision read in
    expected = f"intent:{item['intent']}" if key[2] == "template" else expected_label(item)
    kind = "template" if key[2] == "template" else kind_of(expected)
    # The candidate: what the skill answers when we answer, and would answer when we confirm (on "yes") or reject
    # (so that --tune can move the thresholds without decoding again).
    record = turn.record
    decision = decider.last_decision  # None when nothing was heard
    candidate = (decision.spotted if decision is not None else None) or heard.text
    if turn.outcome != "answer" and candidate:
        request, _ = decider.conversation.interpret(candidate)
        record = decider.conversation.send(request, candidate)
    given = given_label(record)
    if kind == "template":
        right = record.intent == item["intent"]  # the intent heard is the one the sentence belongs to
    elif kind == "out_of_domain":
        right = given == expected  # not given a domain answer
    else:
        right = bool(is_correct(kind, expected, given, record))
    detail = heard.detail
    return {**evidence, "key": key, "text": item["text"], "heard": heard.text, "confidence": turn.confidence,
            "agreed": decision.agreed if decision is not None else None,
            "spotted": decision.spotted if decision is not None else None,
            "acoustic": heard.confidence, "lr": detail.get("lr_per_frame"), "phone_errors": detail.get("phone_errors"),
            "factor": turn.confidence / heard.confidence if heard.confidence > 0 else 0.0,
            "outcome": turn.outcome, "kind": kind, "expected": expected, "given": given, "right": right,
            "red_flag": given.startswith("rf_"), "audio_s": len(samples) / 16000, "decode_s": decode_s,
            "final_ms": final_ms, "nlu_ms": nlu_ms}


def all_evidence(decider: Decider, heard: Transcript) -> dict[str, Any]:
    """The second opinion's verdict and the spotted red flag for every turn, not only where the decision looked at
    them, so that --tune can replay rules that would look elsewhere. It costs the passes the decision skipped."""
    from local_voice.confidence import most_urgent, second_opinion

    decision = decider.last_decision
    match = decider.read(heard.text) if heard.text else None
    second, agreed = (decision.second, decision.agreed) if decision is not None else (None, None)
    if agreed is None and match is not None and heard.second_opinion is not None:
        second, agreed = second_opinion(heard.second_opinion, match, decider.read)
    spotted = decision.spotted if decision is not None else None
    if spotted is None and heard.spot_red_flags is not None:
        found = most_urgent(heard.spot_red_flags(), decider.read)
        spotted = found[0] if found is not None else None
    return {"second_all": second, "agreed_all": agreed, "spotted_all": spotted}
