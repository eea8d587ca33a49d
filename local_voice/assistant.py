"""The offline assistant: audio -> recognizer -> matcher -> the same Alexa skill -> speech.

Every turn is a real Alexa request envelope through `skill.conversation.Conversation`, exactly as `hamstring chat`
and Alexa itself would send it.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from skill.conversation import Conversation, TurnRecord

from .audio import SAMPLE_RATE, load_wav
from .engines import Engine, transcribe
from .tts import Speaker
from .vad import has_speech

# Voice activity: an utterance starts when 90% of a 0.3 s window is speech, and ends likewise on silence.
VAD_WINDOW_S = 0.3
VAD_RATIO = 0.9
PREROLL_FRAMES = 10


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

    def to_json(self) -> dict:
        return self.record.to_json() | {"transcript": self.transcript, "engine": self.engine,
                                        "timings": {k: round(v, 3) for k, v in asdict(self.timings).items()}}


class Assistant:
    def __init__(self, engine: Engine | None, speaker: Speaker | None, *, as_json: bool = False,
                 out: TextIO = sys.stdout, tts_out: Path | None = None, conversation: Conversation | None = None):
        self.engine = engine
        self.speaker = speaker
        self.as_json = as_json
        self.out = out
        self.tts_out = tts_out
        self.conversation = conversation or Conversation()
        self.turns: list[VoiceTurn] = []

    # -- one turn -------------------------------------------------------------------------------------------------
    def respond(self, transcript: str, timings: Timings, source=None) -> VoiceTurn:
        started = time.perf_counter()
        # Nothing recognized: as on Alexa, a launch in a new session, the fallback in an open one.
        request = self.conversation.understand(transcript)
        timings.nlu_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        record = self.conversation.send(request, transcript)
        timings.skill_ms = (time.perf_counter() - started) * 1000
        turn = VoiceTurn(record, transcript, self.engine.name if self.engine else "text", timings)
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
        """Each file is one utterance in a new session, like `hamstring ask`."""
        for path in paths:
            pcm = load_wav(path)
            started = time.perf_counter()
            # No speech (a beep, silence): nothing recognized, rather than the grammar's nearest phrase.
            transcript = transcribe(self._engine(), pcm) if has_speech(pcm) else ""
            timings = Timings(audio_s=len(pcm) / 2 / SAMPLE_RATE, stt_ms=(time.perf_counter() - started) * 1000)
            self.conversation.close()
            self.respond(transcript, timings)
            self.conversation.close()

    def run_text(self, lines: Iterable[str]) -> None:
        """Typed questions, spoken answers; one session until it ends."""
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if self.respond(text, Timings()).record.end_session:
                return

    def listen(self, source, push_to_talk: bool = False, wait_for_enter=input) -> None:
        """Microphone loop: until the session ends (stop, cancel, goodbye) or the frames run out."""
        import pocketsphinx

        endpointer = pocketsphinx.Endpointer(window=VAD_WINDOW_S, ratio=VAD_RATIO, sample_rate=SAMPLE_RATE)
        # The endpointer hands out speech a window late; the recognizer also wants the quiet just before it.
        window = round(VAD_WINDOW_S / endpointer.frame_length)
        recent: deque[bytes] = deque(maxlen=window + PREROLL_FRAMES)
        stream, heard = None, 0
        segment: list[bytes] = []  # this utterance's speech, for the is-it-speech check
        if push_to_talk:
            wait_for_enter()
        try:
            for frame in source.frames():
                recent.append(frame)
                speech = endpointer.process(frame)
                if speech is not None:
                    if stream is None:
                        stream = self._engine().stream()
                        for quiet in list(recent)[: max(0, len(recent) - window - 1)]:
                            stream.accept(quiet)
                    stream.accept(speech)
                    segment.append(speech)
                    heard += len(speech)
                if stream is not None and not endpointer.in_speech:
                    for quiet in list(recent)[-window:]:  # the quiet that ended it: decoders want a closing silence
                        stream.accept(quiet)
                    started = time.perf_counter()
                    transcript = stream.final()
                    timings = Timings(audio_s=heard / 2 / SAMPLE_RATE, stt_ms=(time.perf_counter() - started) * 1000)
                    stream, heard = None, 0
                    spoken, segment = has_speech(b"".join(segment)), []
                    if not spoken:  # a beep or a door: not a turn; keep listening
                        continue
                    turn = self.respond(transcript, timings, source)
                    if turn.record.end_session:
                        return
                    if push_to_talk:
                        wait_for_enter()
        finally:
            if stream is not None:  # input ended or was interrupted mid-utterance: close the recognizer's utterance
                stream.final()
