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
    turns typed first in the same session. Where the engine has a free-form pass, the decision is also taken without
    it on the same evidence (`*_before`): the before and after of that pass from one decoding."""
    from dataclasses import replace

    from tests.kit.scoring import expected_label, kind_of

    key, samples, item = task
    if _first_turns and hasattr(_engine, "restart"):
        _engine.restart()  # each item is the first thing said after start-up
    heard, decode_s, final_ms = _decode(samples)
    expected = f"intent:{item['intent']}" if key[2] == "template" else expected_label(item)
    kind = "template" if key[2] == "template" else kind_of(expected)
    if heard.free_form is not None:
        before, _, right_before, given_before = _decided(item, kind, expected, replace(heard, free_form=None))
        evidence: dict[str, Any] = {"outcome_before": before.outcome, "right_before": right_before,
                                    "given_before": given_before}
    else:
        evidence = {}
    turn, decider, right, given = _decided(item, kind, expected, heard)
    nlu_ms = turn.timings.nlu_ms
    if _all_evidence:
        evidence |= all_evidence(decider, heard)
    decision = decider.last_decision  # None when nothing was heard
    detail = heard.detail
    evidence |= free_form_evidence(item, kind, heard, decider)
    return {**evidence, "key": key, "text": item["text"], "heard": heard.text, "confidence": turn.confidence,
            "agreed": decision.agreed if decision is not None else None,
            "spotted": decision.spotted if decision is not None else None,
            "acoustic": heard.confidence, "lr": detail.get("lr_per_frame"), "phone_errors": detail.get("phone_errors"),
            "factor": turn.confidence / heard.confidence if heard.confidence > 0 else 0.0,
            "outcome": turn.outcome, "kind": kind, "expected": expected, "given": given, "right": right,
            "red_flag": given.startswith("rf_"), "audio_s": len(samples) / 16000, "decode_s": decode_s,
            "final_ms": final_ms, "nlu_ms": nlu_ms}


def _decided(item: dict, kind: str, expected: str, heard: Transcript) -> tuple[Any, Decider, bool, str]:
    """The turn the assistant makes of `heard` in the item's place, and its candidate scored: what the skill answers
    when we answer, and would answer when we check (on "yes") or reject (so that --tune can move the thresholds
    without decoding again)."""
    from local_voice.decision import Decider
    from tests.kit.scoring import given_label, is_correct

    decider = Decider()
    for earlier in item.get("context", []):
        decider.respond(earlier)
    turn = decider.hear(heard)
    record = turn.record
    decision = decider.last_decision
    candidate = (decision.heard_as if decision is not None else None) or heard.text
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
    return turn, decider, right, given


def score_candidate(item: dict, kind: str, text: str) -> tuple[str, bool, Any]:
    """What the skill answers to `text` said in the item's place (after its context turns), scored: the label given,
    whether it is right, and the matcher's reading."""
    from local_voice.decision import Decider
    from tests.kit.scoring import expected_label, given_label, is_correct

    decider = Decider()
    for earlier in item.get("context", []):
        decider.respond(earlier)
    request, match = decider.conversation.interpret(text)
    record = decider.conversation.send(request, text)
    given = given_label(record)
    if kind == "template":
        return given, record.intent == item["intent"], match
    expected = expected_label(item)
    right = given == expected if kind == "out_of_domain" else bool(is_correct(kind, expected, given, record))
    return given, right, match


def free_form_evidence(item: dict, kind: str, heard: Transcript, decider: Decider) -> dict[str, Any]:
    """The free-form pass's transcript, its reading, and whether that reading is right and the grammar's: for --tune
    to replay rules that weigh it differently."""
    from local_voice.confidence import same_request

    text = heard.free_form or ""
    if not text:
        return {"free_text": text, "free_intent": None, "free_method": None, "free_right": False, "free_same": False}
    given, right, match = score_candidate(item, kind, text)
    grammar = score_candidate(item, kind, heard.text)[2] if heard.text else None  # read in the item's place
    return {"free_text": text, "free_intent": None if match is None or match.is_fallback else match.intent,
            "free_method": match.method if match is not None else None, "free_score": match.score if match else 0.0,
            "free_given": given, "free_right": right,
            "free_same": grammar is not None and match is not None and same_request(grammar, match),
            "grammar_method": grammar.method if grammar is not None else None}


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
