"""The offline assistant: audio -> (noise front end) -> VAD -> recognizer -> matcher -> confidence -> the same Alexa
skill -> speech.

`Assistant` wires the stages: an engine (local_voice/asr), an optional noise front end, a `Decider`
(local_voice/decision.py: answered, checked or not caught, and the skill's reply) and a `TurnOutput` (each turn shown
as text or printed as a JSON line, and spoken). Its loops are the front ends: audio files, typed lines and the
microphone. A caller that wants only the decision uses `Decider` and none of this.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from skill.conversation import Conversation

from .asr import NOTHING, Engine, Transcript, transcribe
from .audio import AudioChunk, read_wav
from .confidence import DEFAULT_THRESHOLDS, Thresholds
from .decision import Decider, Timings, VoiceTurn
from .noise import NoiseFrontEnd
from .sources import Source
from .tts import Speaker
from .vad import SpeechAudio, SpeechEnded, SpeechStarted, VoiceActivity, has_speech

log = logging.getLogger(__name__)


@dataclass
class TurnOutput:
    """Where a decided turn goes: "you> ... helper> ..." text or one JSON line per turn on `out`, and its speech
    through `speaker` (saved to numbered files from `tts_out` instead, when given). While it speaks, the microphone
    `source` it was heard on is muted: the assistant never listens to itself."""

    speaker: Speaker | None
    as_json: bool = False
    out: TextIO = sys.stdout
    tts_out: Path | None = None

    def emit(self, turn: VoiceTurn, number: int, source: Source | None = None) -> None:
        """Shows, speaks (timing it into the turn) and prints turn `number` (1, 2, ...)."""
        if not self.as_json:
            self.out.write(f"you> {turn.transcript or '(nothing recognized)'}\nhelper> {turn.record.speech}\n")
            self.out.flush()
        turn.timings.tts_ms = self._speak(turn.record.speech, number, source)
        if self.as_json:
            self.out.write(json.dumps(turn.to_json(), ensure_ascii=False) + "\n")
            self.out.flush()

    def _speak(self, text: str, number: int, source: Source | None) -> float:
        if not text:
            return 0.0
        started = time.perf_counter()
        if self.tts_out is not None and self.speaker is not None:
            self.speaker.save(text, self._numbered(self.tts_out, number))
        elif self.speaker is not None:
            if source is not None:
                with source.muted():  # never listen to ourselves
                    self.speaker.say(text)
            else:
                self.speaker.say(text)
        return (time.perf_counter() - started) * 1000

    @staticmethod
    def _numbered(path: Path, number: int) -> Path:
        """--tts-out with several turns: answer.wav, answer-2.wav, ..."""
        return path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")


class Assistant:
    """The pipeline's owner: each turn is decided by `decider` and handed to `output`; `turns` are those so far."""

    def __init__(self, engine: Engine | None, speaker: Speaker | None, *, as_json: bool = False,
                 out: TextIO = sys.stdout, tts_out: Path | None = None, conversation: Conversation | None = None,
                 noise: NoiseFrontEnd | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.engine = engine
        self.noise = noise
        self.decider = Decider(conversation, thresholds, engine.name if engine else "text")
        self.output = TurnOutput(speaker, as_json, out, tts_out)
        self.turns: list[VoiceTurn] = []
        self._preparing: threading.Thread | None = None

    def prepare_while_listening(self) -> None:
        """Starts `Decider.prepare` beside the listening loop: the first question takes the user a second or more to
        say, and the decoder meanwhile needs a fraction of the CPU. The first turn waits for it to finish, so the two
        never run the matcher at once."""
        self._preparing = threading.Thread(target=self._prepare, name="prepare", daemon=True)
        self._preparing.start()

    def _prepare(self) -> None:
        try:
            self.decider.prepare()
        except Exception:  # noqa: BLE001 - only a head start: the first turn builds whatever this could not
            log.debug("preparing beside the listening loop failed", exc_info=True)

    def _prepared(self) -> None:
        if self._preparing is not None:
            self._preparing.join()
            self._preparing = None

    # -- one turn -------------------------------------------------------------------------------------------------
    def respond(self, text: str, timings: Timings | None = None, source: Source | None = None) -> VoiceTurn:
        """Typed text, decided (`Decider.respond`), shown and spoken."""
        return self._finish(self.decider.respond(text, timings), source)

    def hear(self, heard: Transcript, timings: Timings | None = None, source: Source | None = None) -> VoiceTurn:
        """A recognized utterance, decided (`Decider.hear`), shown and spoken (muting `source` meanwhile)."""
        self._prepared()
        return self._finish(self.decider.hear(heard, timings), source)

    def _finish(self, turn: VoiceTurn, source: Source | None) -> VoiceTurn:
        self.output.emit(turn, len(self.turns) + 1, source)
        self.turns.append(turn)
        return turn

    def clean(self, audio: AudioChunk) -> AudioChunk:
        """The noise front end, when on."""
        return self.noise.clip(audio) if self.noise is not None else audio

    def _engine(self) -> Engine:
        if self.engine is None:
            raise ValueError("this assistant has no speech recognizer (text mode)")
        return self.engine

    # -- front ends -----------------------------------------------------------------------------------------------
    def run_files(self, paths: Iterable[Path]) -> None:
        """Each file is one utterance in a new session, like `hamstring ask`; except that a file answering a
        "did you ask ...?" continues the session that asked it."""
        conversation = self.decider.conversation
        for path in paths:
            audio = self.clean(read_wav(path))
            started = time.perf_counter()
            # No speech (a beep, silence): nothing recognized, rather than the grammar's nearest phrase.
            heard = transcribe(self._engine(), audio) if has_speech(audio) else NOTHING
            timings = Timings(audio_s=audio.seconds, stt_ms=(time.perf_counter() - started) * 1000)
            if self.decider.pending is None:
                conversation.close()
            self.hear(heard, timings)
            if self.decider.pending is None:
                conversation.close()

    def run_text(self, lines: Iterable[str]) -> None:
        """Typed questions, spoken answers; one session until it ends."""
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if self.respond(text, Timings()).record.end_session:
                return

    def listen(self, source: Source, push_to_talk: bool = False, wait_for_enter: Callable[[], object] = input) -> None:
        """Microphone loop: until the session ends (stop, cancel, goodbye) or the frames run out.

        Stages: source frames -> noise front end -> VAD events -> the recognizer, fed while the user speaks -> one
        turn per utterance that held speech."""
        vad = VoiceActivity()
        stream = None
        self.prepare_while_listening()
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
                        behind_ms = source.behind_s() * 1000
                        stream.accept(event.closing)  # decoders want a closing silence
                        started = time.perf_counter()
                        heard = stream.final()
                        stream = None
                        timings = Timings(audio_s=event.segment.seconds, behind_ms=behind_ms,
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
