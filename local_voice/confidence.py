"""Three outcomes for a heard utterance: answer it, check it ("Did you ask ...?"), or say it was not caught.

The recognizer's confidence (acoustic: how well the words fit the audio) is combined with the matcher's (textual: how
the transcript became an intent). A transcript that is a sentence of our templates is strong evidence; a paraphrase
read by similarity is weak; text the matcher cannot place is none. Red flags are never dropped: a red-flag candidate
is confirmed, not rejected, however low its confidence, since a missed emergency costs more than one question.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from intents.matcher import RED_FLAG_INTENT, Match

from .engines import Transcript

# Tuned on the synthesized dev sets only (dev_utterances + dev_answers, every 3rd item, both synthesizer families,
# clean and 8 noise conditions; `python -m benchmarks.voice --tune` replays the decision over a grid). The chosen point
# keeps answered-wrong under 5% clean and noisy and rejects 91% of clean out-of-domain speech. A higher CONFIRM_AT
# (0.3) rejected more noisy out-of-domain speech (80% against 65%) but also five more in-grammar sentences in a hundred
# (81.7% -> 76.7% kept clean), and espeak-ng's voice loses most: sentences of ours said plainly were "not caught".
ANSWER_AT = 0.5  # combined confidence at or above which we answer
CONFIRM_AT = 0.12  # ...at or above which we ask "did you ask ...?"; below, "sorry, I didn't catch that"
# How much each way of matching text vouches for the transcript.
METHOD_WEIGHT = {"template": 1.0, "red_flag": 1.0, "open": 0.9, "spotted": 0.85, "similar": 0.7, "none": 0.0}


@dataclass(frozen=True)
class Thresholds:
    answer_at: float = ANSWER_AT
    confirm_at: float = CONFIRM_AT


DEFAULT_THRESHOLDS = Thresholds()


class Outcome(str, Enum):
    ANSWER = "answer"
    CONFIRM = "confirm"
    REJECT = "reject"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    confidence: float  # 0-1, the combined confidence
    match: Match


def combined_confidence(transcript: Transcript, match: Match) -> float:
    if not transcript.text or match.is_fallback:
        return 0.0
    weight = METHOD_WEIGHT.get(match.method, 0.0)
    if match.method == "similar":
        weight *= min(1.0, match.score / 0.6)  # a near neighbour vouches more than a distant one
    return round(max(0.0, min(1.0, transcript.confidence * weight)), 3)


def outcome_for(confidence: float, red_flag: bool, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Outcome:
    """The rule itself (benchmarks/voice.py --tune replays it on stored evidence)."""
    if confidence >= thresholds.answer_at:
        return Outcome.ANSWER
    if red_flag or confidence >= thresholds.confirm_at:
        return Outcome.CONFIRM
    return Outcome.REJECT


def decide(transcript: Transcript, match: Match, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Decision:
    confidence = combined_confidence(transcript, match)
    return Decision(outcome_for(confidence, match.intent == RED_FLAG_INTENT, thresholds), confidence, match)
