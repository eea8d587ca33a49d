"""A heard or typed turn, decided: answered by the skill, checked ("did you ask ...?") or not caught, as a value.

`Decider` holds what a decision needs between turns: the `Conversation` (the session, sent through the same Alexa
request envelopes as `hamstring chat`) and the question a check is holding. It prints, speaks and records nothing:
`hear(transcript)` and `respond(text)` return a `VoiceTurn`, and the pipeline (local_voice/pipeline.py) shows and
speaks it; the simulator page uses it with no engine, speaker or output at all.

Turns the assistant is unsure of never reach the skill (the rule is local_voice/confidence.py): it asks "did you ask
...?" or says it did not catch them, and the session, with its treatment step, stays as it was.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from intents.matcher import Match
from skill.content import Dialog
from skill.conversation import Conversation, TurnRecord

from .asr.base import Transcript
from .confidence import DEFAULT_THRESHOLDS, Decision, Outcome, Thresholds, combined_confidence, decide

DIALOG = Path(__file__).with_name("dialog.yaml")
YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"


@lru_cache(maxsize=1)
def dialog() -> Dialog:
    """The assistant's own phrasing, picked as the skill picks its own (skill.content.Dialog, a seeded choice)."""
    return Dialog(yaml.safe_load(DIALOG.read_text(encoding="utf-8")))


@dataclass
class Timings:
    audio_s: float = 0.0
    behind_ms: float = 0.0  # how far the loop lagged behind a live input when the end of speech was heard
    stt_ms: float = 0.0  # from the end of the audio to the transcript
    nlu_ms: float = 0.0
    skill_ms: float = 0.0
    tts_ms: float = 0.0


@dataclass
class VoiceTurn:
    record: TurnRecord
    transcript: str
    engine: str
    timings: Timings
    confidence: float = 1.0  # 0-1; typed text is taken as said
    confirm: str | None = None  # the candidate intent we asked about, when this turn is a "did you ask ...?"
    outcome: str = Outcome.ANSWER.value  # answer (the skill replied), confirm, reject (not caught) or ask_again
    second_opinion: str | None = None  # the engine's second transcript, when the decision weighed one
    agreed: bool | None = None  # ...and whether it asked for the same thing
    spotted: str | None = None  # the red-flag keyphrase spotted in the audio, when this turn checks it
    free_form: str | None = None  # the free-form pass's transcript, when the decision weighed it
    free_agreed: bool | None = None  # ...and whether it asked for the same thing as the grammar's transcript

    def to_json(self) -> dict:
        return self.record.to_json() | {"transcript": self.transcript, "engine": self.engine,
                                        "confidence": round(self.confidence, 3), "confirm": self.confirm,
                                        "outcome": self.outcome,
                                        "second_opinion": None if self.agreed is None else {
                                            "transcript": self.second_opinion, "same_request": self.agreed},
                                        "red_flag_spotted": self.spotted,
                                        "free_form": None if self.free_agreed is None else {
                                            "transcript": self.free_form, "same_request": self.free_agreed},
                                        "timings": {k: round(v, 3) for k, v in asdict(self.timings).items()}}


def _evidence(decision: Decision | None) -> tuple[str | None, bool | None, str | None, str | None, bool | None]:
    """What the decision weighed besides the transcript: the second opinion, a spotted red flag, the free-form
    pass."""
    if decision is None:
        return None, None, None, None, None
    return decision.second, decision.agreed, decision.spotted, decision.free_form, decision.free_agreed


@dataclass(frozen=True)
class Pending:
    """A request held back while we ask whether we heard it right."""

    request: dict[str, Any]
    transcript: str
    match: Match
    confidence: float


WARM_UP_TEXT = "what should i do for a hamstring cramp"  # any sentence of the domain: it only warms caches


class Decider:
    """The assistant's decisions over one `Conversation`, turn by turn. `engine` names the recognizer in the turns
    it returns ("text" for typed input); `last_decision` is the last heard turn's evidence, for benchmarks and
    tests; `pending` is the question a check holds until the next turn."""

    def __init__(self, conversation: Conversation | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                 engine: str = "text") -> None:
        self.conversation = conversation or Conversation()
        self.thresholds = thresholds
        self.engine = engine
        self.pending: Pending | None = None
        self.last_decision: Decision | None = None
        self.decided = 0  # turns returned so far (with the session id, the seed of the assistant's phrasing)

    def prepare(self) -> None:
        """Builds what the first turn would otherwise build on the user's time: the semantic stage (~0.3 s: its
        model's vectors and tokenizer) and the template matcher's first-use caches (hassil compiles its patterns as
        it meets them). Pure preparation: no session, no state."""
        matcher = self.conversation.matcher
        if matcher.semantic is not None:
            matcher.semantic.answer(WARM_UP_TEXT)
        matcher.match(WARM_UP_TEXT)

    def respond(self, text: str, timings: Timings | None = None) -> VoiceTurn:
        """Typed text: taken as said, and sent to the skill (a typed yes or no answers a check of a spoken turn)."""
        timings = timings if timings is not None else Timings()
        started = time.perf_counter()
        # Nothing typed: as on Alexa, a launch in a new session, the fallback in an open one.
        request, match = self.conversation.interpret(text)
        timings.nlu_ms = (time.perf_counter() - started) * 1000
        if self.pending is not None:
            replied = self._reply_to_check(match, True, Transcript(text, 1.0), timings)
            if replied is not None:
                return replied
        return self._send(request, text, timings, 1.0)

    def hear(self, heard: Transcript, timings: Timings | None = None) -> VoiceTurn:
        """A recognized utterance: answered, checked ("did you ask ...?"), or not caught."""
        timings = timings if timings is not None else Timings()
        started = time.perf_counter()
        self.last_decision = None
        request, match = self._interpret(heard)
        timings.nlu_ms = (time.perf_counter() - started) * 1000
        if self.pending is not None:
            sure = match is not None and combined_confidence(heard, match) >= self.thresholds.confirm_at
            replied = self._reply_to_check(match, sure, heard, timings)
            if replied is not None:
                return replied
        if match is None and heard.text and heard.confidence >= self.thresholds.confirm_at:  # a launch phrase
            return self._send(request, heard.text, timings, heard.confidence)
        decision = decide(heard, match, self.thresholds, self.read)
        if decision.outcome is not Outcome.ANSWER and heard.again is not None:
            # An unsure first utterance, decoded while the mean was settled only on its opening: decoded again now,
            # since the turn would otherwise be a check or not caught (local_voice/asr/pocketsphinx.py).
            heard = replace(heard.again(), free_form=heard.free_form)
            request, match = self._interpret(heard)
            decision = decide(heard, match, self.thresholds, self.read)
        timings.nlu_ms = (time.perf_counter() - started) * 1000  # the passes a decision asks for included
        self.last_decision = decision
        if decision.outcome is Outcome.ANSWER:
            return self._send(request, heard.text, timings, decision.confidence, decision)
        if decision.outcome is Outcome.CONFIRM:
            asked = decision.heard_as or heard.text
            if decision.heard_as:
                request = self.conversation.interpret(decision.heard_as)[0]
            self.pending = Pending(request, asked, decision.match, decision.confidence)
            return self._local("confirm_spotted" if decision.spotted else "confirm", heard, timings,
                               Outcome.CONFIRM, confirm=decision.match, decision=decision)
        return self._local("not_caught", heard, timings, Outcome.REJECT, decision=decision)

    # -- a check held by a front end between turns (the simulator page keeps no process of ours) ------------------
    def hold(self, utterance: str, confidence: float) -> bool:
        """Holds `utterance` as the question being checked, as a confirm turn left it; False if it reads as no
        request at all."""
        request, match = self.conversation.interpret(utterance)
        if match is None or match.is_fallback:
            return False
        self.pending = Pending(request, utterance, match, confidence)
        return True

    def held(self) -> tuple[str, float] | None:
        """The question being checked, for a front end to keep until the next turn."""
        return (self.pending.transcript, self.pending.confidence) if self.pending is not None else None

    def _interpret(self, heard: Transcript) -> tuple[dict[str, Any], Match | None]:
        return self.conversation.interpret(heard.text) if heard.text else ({}, None)

    def read(self, text: str) -> Match | None:
        """Another transcript of the same utterance (the engine's second opinion, a spotted keyphrase), read by the
        same matcher."""
        return self.conversation.interpret(text)[1]

    # -- the turn's value ---------------------------------------------------------------------------------------
    def _reply_to_check(self, match: Match | None, sure: bool, heard: Transcript, timings: Timings) -> VoiceTurn | None:
        """The turn after "did you ask ...?": yes sends the held request, no asks again; anything else (None) is a new
        question, judged on its own. The check is over either way."""
        pending, self.pending = self.pending, None
        if pending is None or match is None or not sure:
            return None
        if match.intent == YES:
            return self._send(pending.request, pending.transcript, timings, pending.confidence)
        if match.intent == NO:
            return self._local("ask_again", heard, timings, Outcome.REJECT, "ask_again")
        return None

    def _heard_as(self, transcript: str, match: Match) -> str:
        """How to name the candidate back: the words heard when they are a sentence of ours, else the intent's own
        sample phrasing (a paraphrase's transcript may not read well)."""
        spec = self.conversation.matcher.language.intents.get(match.intent)
        if match.method in ("template", "red_flag") or spec is None or not spec.canonical:
            return transcript
        return spec.canonical[0]

    def _local(self, key: str, heard: Transcript, timings: Timings, outcome: Outcome, label: str | None = None,
               confirm: Match | None = None, decision: Decision | None = None) -> VoiceTurn:
        """A turn the assistant answers itself; nothing is sent to the skill, so the session is untouched."""
        values: dict[str, str] = {}
        if confirm is not None:
            other = decision.heard_as if decision is not None else None
            values["heard"] = self._heard_as(other or heard.text, confirm)
        # Seeded by the session and the turn, as the skill seeds by the request id: varied, and reproducible.
        text = dialog().pick(key, random.Random(f"{self.conversation.session_id}:{self.decided}"), **values)
        attributes = self.conversation.attributes
        record = TurnRecord(utterance=heard.text, intent=None, slots={}, topic=attributes.get("topic"),
                            step=attributes.get("step"), answer=None, speech=text, ssml=f"<speak>{text}</speak>",
                            reprompt=None, end_session=False, request={}, response={})
        value = heard.confidence if decision is None else decision.confidence
        return self._turn(VoiceTurn(record, heard.text, self.engine, timings, value,
                                    confirm.intent if confirm is not None else None, label or outcome.value,
                                    *_evidence(decision)))

    def _send(self, request: dict[str, Any], transcript: str, timings: Timings, confidence: float,
              decision: Decision | None = None) -> VoiceTurn:
        started = time.perf_counter()
        record = self.conversation.send(request, transcript)
        timings.skill_ms = (time.perf_counter() - started) * 1000
        return self._turn(VoiceTurn(record, transcript, self.engine, timings, confidence, None, Outcome.ANSWER.value,
                                    *_evidence(decision)))

    def _turn(self, turn: VoiceTurn) -> VoiceTurn:
        self.decided += 1
        return turn
