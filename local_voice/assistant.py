"""The offline assistant: audio -> (noise front end) -> VAD -> recognizer -> matcher -> confidence -> the same Alexa
skill -> speech.

Every answered turn is a real Alexa request envelope through `skill.conversation.Conversation`, exactly as
`hamstring chat` and Alexa itself would send it. Turns the assistant is unsure of never reach the skill: it asks
"did you ask ...?" or says it did not catch them (local_voice/confidence.py), and the session, with its treatment
step, stays as it was.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

import yaml

from intents.matcher import Match
from skill.conversation import Conversation, TurnRecord

from .asr import NOTHING, Engine, Transcript, transcribe
from .audio import AudioChunk, read_wav
from .confidence import DEFAULT_THRESHOLDS, Decision, Outcome, Thresholds, combined_confidence, decide
from .noise import NoiseFrontEnd
from .tts import Speaker
from .vad import SpeechAudio, SpeechEnded, SpeechStarted, VoiceActivity, has_speech

DIALOG = Path(__file__).with_name("dialog.yaml")
YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"


@lru_cache(maxsize=1)
def dialog() -> dict[str, list[str]]:
    return yaml.safe_load(DIALOG.read_text(encoding="utf-8"))


@dataclass
class Timings:
    audio_s: float = 0.0
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

    def to_json(self) -> dict:
        return self.record.to_json() | {"transcript": self.transcript, "engine": self.engine,
                                        "confidence": round(self.confidence, 3), "confirm": self.confirm,
                                        "outcome": self.outcome,
                                        "second_opinion": None if self.agreed is None else {
                                            "transcript": self.second_opinion, "same_request": self.agreed},
                                        "red_flag_spotted": self.spotted,
                                        "timings": {k: round(v, 3) for k, v in asdict(self.timings).items()}}


def _evidence(decision: Decision | None) -> tuple[str | None, bool | None, str | None]:
    """What the decision weighed besides the transcript: the second opinion, and a spotted red flag."""
    return (decision.second, decision.agreed, decision.spotted) if decision is not None else (None, None, None)


@dataclass(frozen=True)
class _Pending:
    """A request held back while we ask whether we heard it right."""

    request: dict[str, Any]
    transcript: str
    match: Match
    confidence: float


class Assistant:
    def __init__(self, engine: Engine | None, speaker: Speaker | None, *, as_json: bool = False,
                 out: TextIO = sys.stdout, tts_out: Path | None = None, conversation: Conversation | None = None,
                 noise: NoiseFrontEnd | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS):
        self.engine = engine
        self.thresholds = thresholds
        self.noise = noise
        self.pending: _Pending | None = None
        self.speaker = speaker
        self.as_json = as_json
        self.out = out
        self.tts_out = tts_out
        self.conversation = conversation or Conversation()
        self.turns: list[VoiceTurn] = []
        self.last_decision: Decision | None = None  # the last heard turn's evidence, for benchmarks and tests

    # -- one turn -------------------------------------------------------------------------------------------------
    def respond(self, transcript: str, timings: Timings, source=None) -> VoiceTurn:
        """Typed text: taken as said, and sent to the skill (a typed yes or no answers a check of a spoken turn)."""
        started = time.perf_counter()
        # Nothing typed: as on Alexa, a launch in a new session, the fallback in an open one.
        request, match = self.conversation.interpret(transcript)
        timings.nlu_ms = (time.perf_counter() - started) * 1000
        if self.pending is not None:
            replied = self._reply_to_check(match, True, Transcript(transcript, 1.0), timings, source)
            if replied is not None:
                return replied
        return self._send(request, transcript, timings, source, 1.0)

    def hear(self, heard: Transcript, timings: Timings, source=None) -> VoiceTurn:
        """A recognized utterance: answered, checked ("did you ask ...?"), or not caught."""
        started = time.perf_counter()
        self.last_decision = None
        request, match = self.conversation.interpret(heard.text) if heard.text else ({}, None)
        timings.nlu_ms = (time.perf_counter() - started) * 1000
        if self.pending is not None:
            sure = match is not None and combined_confidence(heard, match) >= self.thresholds.confirm_at
            replied = self._reply_to_check(match, sure, heard, timings, source)
            if replied is not None:
                return replied
        if match is None and heard.text and heard.confidence >= self.thresholds.confirm_at:  # a launch phrase
            return self._send(request, heard.text, timings, source, heard.confidence)
        decision = decide(heard, match, self.thresholds, self._read)
        timings.nlu_ms = (time.perf_counter() - started) * 1000  # the second opinion's and spotting's passes included
        self.last_decision = decision
        if decision.outcome is Outcome.ANSWER:
            return self._send(request, heard.text, timings, source, decision.confidence, decision)
        if decision.outcome is Outcome.CONFIRM:
            asked = decision.spotted or heard.text
            if decision.spotted:
                request = self.conversation.interpret(decision.spotted)[0]
            self.pending = _Pending(request, asked, decision.match, decision.confidence)
            return self._local("confirm_spotted" if decision.spotted else "confirm", heard, timings, source,
                               Outcome.CONFIRM, confirm=decision.match, decision=decision)
        return self._local("not_caught", heard, timings, source, Outcome.REJECT, decision=decision)

    def _reply_to_check(self, match: Match | None, sure: bool, heard: Transcript, timings: Timings,
                        source) -> VoiceTurn | None:
        """The turn after "did you ask ...?": yes sends the held request, no asks again; anything else (None) is a new
        question, judged on its own. The check is over either way."""
        pending, self.pending = self.pending, None
        if pending is None or match is None or not sure:
            return None
        if match.intent == YES:
            return self._send(pending.request, pending.transcript, timings, source, pending.confidence)
        if match.intent == NO:
            return self._local("ask_again", heard, timings, source, Outcome.REJECT, "ask_again")
        return None

    # -- a check held by a front end between turns (the simulator page keeps no process of ours) ------------------
    def hold(self, transcript: str, confidence: float) -> bool:
        """Holds `transcript` as the question being checked, as a confirm turn left it; False if it reads as no
        request at all."""
        request, match = self.conversation.interpret(transcript)
        if match is None or match.is_fallback:
            return False
        self.pending = _Pending(request, transcript, match, confidence)
        return True

    def held(self) -> tuple[str, float] | None:
        """The question being checked, for a front end to keep until the next turn."""
        return (self.pending.transcript, self.pending.confidence) if self.pending is not None else None

    def _read(self, text: str) -> Match | None:
        """Another transcript of the same utterance (the engine's second opinion), read by the same matcher."""
        return self.conversation.interpret(text)[1]

    def _heard_as(self, transcript: str, match: Match) -> str:
        """How to name the candidate back: the words heard when they are a sentence of ours, else the intent's own
        sample phrasing (a paraphrase's transcript may not read well)."""
        spec = self.conversation.matcher.language.intents.get(match.intent)
        if match.method in ("template", "red_flag") or spec is None or not spec.canonical:
            return transcript
        return spec.canonical[0]

    def _local(self, key: str, heard: Transcript, timings: Timings, source, outcome: Outcome,
               label: str | None = None, confirm: Match | None = None, decision: Decision | None = None) -> VoiceTurn:
        """A turn the assistant answers itself; nothing is sent to the skill, so the session is untouched."""
        variants = dialog()[key]
        text = variants[len(self.turns) % len(variants)]
        if confirm is not None:
            spotted = decision.spotted if decision is not None else None
            text = text.format(heard=self._heard_as(spotted or heard.text, confirm))
        attributes = self.conversation.attributes
        record = TurnRecord(utterance=heard.text, intent=None, slots={}, topic=attributes.get("topic"),
                            step=attributes.get("step"), answer=None, speech=text, ssml=f"<speak>{text}</speak>",
                            reprompt=None, end_session=False, request={}, response={})
        value = heard.confidence if decision is None else decision.confidence
        turn = VoiceTurn(record, heard.text, self._engine_name(), timings, value,
                         confirm.intent if confirm is not None else None, label or outcome.value,
                         *_evidence(decision))
        return self._finish(turn, source)

    def _send(self, request: dict[str, Any], transcript: str, timings: Timings, source, confidence: float,
              decision: Decision | None = None) -> VoiceTurn:
        started = time.perf_counter()
        record = self.conversation.send(request, transcript)
        timings.skill_ms = (time.perf_counter() - started) * 1000
        turn = VoiceTurn(record, transcript, self._engine_name(), timings, confidence, None, Outcome.ANSWER.value,
                         *_evidence(decision))
        return self._finish(turn, source)

    def _engine_name(self) -> str:
        return self.engine.name if self.engine else "text"

    def _finish(self, turn: VoiceTurn, source) -> VoiceTurn:
        record, timings = turn.record, turn.timings
        self._show(turn)
        timings.tts_ms = self._speak(record.speech, source)
        if self.as_json:
            self.out.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
            self.out.flush()
        self.turns.append(turn)
        return turn

    def _show(self, turn: VoiceTurn) -> None:
        if not self.as_json:
            self.out.write(f"you> {turn.transcript or '(nothing recognized)'}\nhelper> {turn.record.speech}\n")
            self.out.flush()

    def _speak(self, text: str, source=None) -> float:
        if not text:
            return 0.0
        started = time.perf_counter()
        if self.tts_out is not None and self.speaker is not None:
            path = self._numbered(self.tts_out)
            self.speaker.save(text, path)
        elif self.speaker is not None:
            if source is not None:
                with source.muted():  # never listen to ourselves
                    self.speaker.say(text)
            else:
                self.speaker.say(text)
        return (time.perf_counter() - started) * 1000

    def _numbered(self, path: Path) -> Path:
        """--tts-out with several turns: answer.wav, answer-2.wav, ..."""
        count = len(self.turns) + 1
        return path if count == 1 else path.with_name(f"{path.stem}-{count}{path.suffix}")

    def _engine(self) -> Engine:
        if self.engine is None:
            raise ValueError("this assistant has no speech recognizer (text mode)")
        return self.engine

    # -- front ends -----------------------------------------------------------------------------------------------
    def run_files(self, paths: Iterable[Path]) -> None:
        """Each file is one utterance in a new session, like `hamstring ask`; except that a file answering a
        "did you ask ...?" continues the session that asked it."""
        for path in paths:
            audio = self.clean(read_wav(path))
            started = time.perf_counter()
            # No speech (a beep, silence): nothing recognized, rather than the grammar's nearest phrase.
            heard = transcribe(self._engine(), audio) if has_speech(audio) else NOTHING
            timings = Timings(audio_s=audio.seconds, stt_ms=(time.perf_counter() - started) * 1000)
            if self.pending is None:
                self.conversation.close()
            self.hear(heard, timings)
            if self.pending is None:
                self.conversation.close()

    def clean(self, audio: AudioChunk) -> AudioChunk:
        """The noise front end, when on."""
        return self.noise.clip(audio) if self.noise is not None else audio

    def run_text(self, lines: Iterable[str]) -> None:
        """Typed questions, spoken answers; one session until it ends."""
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if self.respond(text, Timings()).record.end_session:
                return

    def listen(self, source, push_to_talk: bool = False, wait_for_enter=input) -> None:
        """Microphone loop: until the session ends (stop, cancel, goodbye) or the frames run out.

        Stages: source frames -> noise front end -> VAD events -> the recognizer, fed while the user speaks -> one
        turn per utterance that held speech."""
        vad = VoiceActivity()
        stream = None
        if push_to_talk:
            wait_for_enter()
        try:
            for frame in source.frames():
                for event in vad.process(self.clean(frame)):
                    if isinstance(event, SpeechStarted):
                        stream = self._engine().stream()
                        stream.accept(event.preroll)
                    elif isinstance(event, SpeechAudio) and stream is not None:
                        stream.accept(event.chunk)
                    elif isinstance(event, SpeechEnded) and stream is not None:
                        stream.accept(event.closing)  # decoders want a closing silence
                        started = time.perf_counter()
                        heard = stream.final()
                        stream = None
                        timings = Timings(audio_s=event.segment.seconds,
                                          stt_ms=(time.perf_counter() - started) * 1000)
                        if not event.spoken:  # a beep or a door: not a turn; keep listening
                            continue
                        turn = self.hear(heard, timings, source)
                        if turn.record.end_session:
                            return
                        if push_to_talk:
                            wait_for_enter()
        finally:
            if stream is not None:  # input ended or was interrupted mid-utterance: close the recognizer's utterance
                stream.final()
