"""Three outcomes for a heard utterance: answer it, check it ("Did you ask ...?"), or say it was not caught.

The recognizer's confidence (acoustic: how well the words fit the audio) is combined with the matcher's (textual: how
the transcript became an intent). A transcript that is a sentence of our templates is strong evidence; a paraphrase
read by similarity is weak; text the matcher cannot place is none. Red flags are never dropped: a red-flag candidate
is confirmed, not rejected, however low its confidence, since a missed emergency costs more than one question.

A second opinion settles the middle ground between answering and checking. When the engine has one (pocketsphinx:
the same audio decoded with a looser n-gram model), a transcript that would be confirmed on its own is answered when
the second decoding asks for the same thing, and one that would be answered is checked when it asks for something
else. Where the two agree, the grammar's candidate is almost always right, and wrong candidates almost never agree
(the numbers: docs/voice-measurements.md).

Red flags said in words no template holds are listened for on their own. A turn that would not be answered and whose
reading is not a red flag is checked for the language's red-flag keywords (pocketsphinx keyword spotting); one
spotted turns the turn into a check of that red flag ("I think I heard "swollen". Is that right?"). Only unanswered
turns: on the dev sets (clean, babble and pink at 12 dB) the red flags it found were all on turns that were not
going to be answered, while on answered turns it only turned right answers into checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from intents.matcher import RED_FLAG_INTENT, RED_FLAG_LIST, Match
from intents.names import FALLBACK_INTENT
from intents.redflags import urgency

from .asr.base import Transcript

# Tuned on the synthesized dev sets only (`python -m benchmarks.voice --tune`); what was measured for each threshold:
# docs/voice-measurements.md.
ANSWER_AT = 0.5  # combined confidence at or above which we answer (engines without a second opinion)
CONFIRM_AT = 0.12  # ...at or above which we ask "did you ask ...?"; below, "sorry, I didn't catch that"
AGREED_ANSWER_AT = 0.12  # with a second opinion that asks for the same thing, answer from here
DISPUTED_ANSWER_AT = 0.9  # ...and from here when it asks for something else
# How much each way of matching text vouches for the transcript.
ANSWERS_TO_A_CHECK = ("AMAZON.YesIntent", "AMAZON.NoIntent")  # a free-form "yes" is no question to check
METHOD_WEIGHT = {"template": 1.0, "red_flag": 1.0, "open": 0.9, "spotted": 0.85, "similar": 0.7, "none": 0.0}


@dataclass(frozen=True)
class Thresholds:
    answer_at: float = ANSWER_AT
    confirm_at: float = CONFIRM_AT
    agreed_answer_at: float = AGREED_ANSWER_AT
    disputed_answer_at: float = DISPUTED_ANSWER_AT

    def answer_from(self, agreed: bool | None) -> float:
        """The answer threshold given the second opinion: None when there is none."""
        if agreed is None:
            return self.answer_at
        return self.agreed_answer_at if agreed else self.disputed_answer_at

    def needs_second_opinion(self, confidence: float) -> bool:
        """Whether the second opinion can change the outcome (it costs a decoding pass, so ask only then)."""
        return min(self.agreed_answer_at, self.disputed_answer_at) <= confidence < max(self.agreed_answer_at,
                                                                                        self.disputed_answer_at)


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
    second: str | None = None  # the second opinion's transcript, when it was consulted
    agreed: bool | None = None  # ...and whether it asks for the same thing
    spotted: str | None = None  # the red-flag keyphrase spotted in the audio, when `match` is its reading
    free_form: str | None = None  # the free-form pass's transcript, when the decision weighed it
    free_agreed: bool | None = None  # ...and whether it asks for the same thing as the grammar's transcript
    by_free_form: bool = False  # `match` is the free-form transcript's reading (a check of what it heard)

    @property
    def heard_as(self) -> str | None:
        """The words whose reading is the candidate, when they are not the grammar's transcript."""
        return self.spotted or (self.free_form if self.by_free_form else None)


def combined_confidence(transcript: Transcript, match: Match | None) -> float:
    if not transcript.text or match is None or match.is_fallback:
        return 0.0
    weight = METHOD_WEIGHT.get(match.method, 0.0)
    if match.method == "similar":
        weight *= min(1.0, match.score / 0.6)  # a near neighbour vouches more than a distant one
    return round(max(0.0, min(1.0, transcript.confidence * weight)), 3)


def outcome_for(confidence: float, red_flag: bool, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                agreed: bool | None = None) -> Outcome:
    """The rule itself (benchmarks/voice.py --tune replays it on stored evidence)."""
    if confidence >= thresholds.answer_from(agreed):
        return Outcome.ANSWER
    if red_flag or confidence >= thresholds.confirm_at:
        return Outcome.CONFIRM
    return Outcome.REJECT


def same_request(a: Match, b: Match) -> bool:
    """Whether two readings ask for the same thing: the same intent with the same slot values."""
    return a.intent == b.intent and _slot_values(a) == _slot_values(b)


def _slot_values(match: Match) -> dict[str, str]:
    """Each slot's value id where its list has the value, else the words said."""
    return {slot: match.resolved.get(slot, said) for slot, said in match.slots.items()}


def decide(transcript: Transcript, match: Match | None, thresholds: Thresholds = DEFAULT_THRESHOLDS,
           read: Callable[[str], Match | None] | None = None) -> Decision:
    """`match` is the transcript's reading (None: nothing was heard). `read` turns the engine's other evidence (its
    second opinion, red-flag keyphrases) into requests with the same matcher; without it, or without a second
    opinion from the engine, the answer threshold is ANSWER_AT and nothing is spotted."""
    confidence = combined_confidence(transcript, match)
    second, agreed = None, None
    opinion = transcript.second_opinion
    if match is not None and opinion is not None and read is not None and thresholds.needs_second_opinion(
            confidence):
        second, agreed = second_opinion(opinion, match, read)
    # Outside the band the outcome is the same whatever the second opinion says, so no pass is spent on it.
    rule = None if opinion is None or read is None else bool(agreed)
    red_flag = match is not None and match.intent == RED_FLAG_INTENT
    outcome = outcome_for(confidence, red_flag, thresholds, rule) if match is not None else Outcome.REJECT
    free = free_form_reading(transcript, read) if outcome is not Outcome.ANSWER else None
    if free is not None:
        text, reading = free
        if match is not None and same_request(match, reading):  # the same meaning, whatever the words: answer
            return Decision(Outcome.ANSWER, confidence, match, second, agreed, free_form=text, free_agreed=True)
        if not red_flag and prefers_free_form(reading, match, agreed):
            return Decision(Outcome.CONFIRM, confidence, reading, second, agreed, free_form=text, free_agreed=False,
                            by_free_form=True)
    free_text, free_agreed = (free[0], False) if free is not None else (None, None)
    if outcome is not Outcome.ANSWER and not red_flag and transcript.spot_red_flags is not None and read is not None:
        spotted = most_urgent(transcript.spot_red_flags(), read)
        if spotted is not None:
            return Decision(Outcome.CONFIRM, confidence, spotted[1], second, agreed, spotted[0], free_text,
                            free_agreed)
    return Decision(outcome, confidence, match or Match(FALLBACK_INTENT), second, agreed, None, free_text,
                    free_agreed)


def free_form_reading(transcript: Transcript, read: Callable[[str], Match | None] | None) -> tuple[str, Match] | None:
    """The free-form transcript and its reading, when it reads as a request of the domain."""
    text = transcript.free_form
    if not text or read is None:
        return None
    reading = read(text)
    if reading is None or reading.is_fallback or reading.intent in ANSWERS_TO_A_CHECK:
        return None
    return text, reading


def prefers_free_form(reading: Match, match: Match | None, agreed: bool | None) -> bool:
    """Whether a check should name the free-form reading rather than the grammar's, when they differ: a red flag
    always; otherwise unless the template trigram's second opinion backed the grammar's (tuned on the dev sets:
    `python -m benchmarks.voice --tune`)."""
    if reading.intent == RED_FLAG_INTENT:
        return True
    return match is None or match.is_fallback or not agreed


def second_opinion(opinion: Callable[[], str], match: Match, read: Callable[[str], Match | None]) -> tuple[str, bool]:
    """The engine's second transcript, and whether it asks for the same thing as `match`."""
    second = opinion()
    reading = read(second) if second else None
    return second, reading is not None and same_request(match, reading)


def most_urgent(phrases: list[str], read: Callable[[str], Match | None]) -> tuple[str, Match] | None:
    """The spotted keyphrase whose reading is the most urgent red flag, with that reading."""
    flags = [(phrase, reading) for phrase in phrases if (reading := read(phrase)) is not None
             and reading.intent == RED_FLAG_INTENT]
    return min(flags, key=lambda found: urgency(found[1].resolved.get(RED_FLAG_LIST, "")), default=None)
