"""What every speech recognition engine offers: one small interface, so the pipeline never knows which one it has.

An engine opens a `Stream` per utterance: feed `AudioChunk`s with `accept` (True once the engine itself hears the
utterance end), then `final()` gives the `Transcript`: the text and a confidence in 0-1. `transcribe` does both for
a whole clip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..audio import AudioChunk


@dataclass(frozen=True)
class Transcript:
    """What a recognizer heard, and how sure it is (0-1). `detail` is the raw evidence, for benchmarks and logs.
    `second_opinion`, when the engine has one, decodes the same audio again with a looser model; `spot_red_flags`
    lists the red-flag keyphrases (the language's `red_flag_keywords`) spotted anywhere in it. Both run only when
    asked: each costs a pass over the audio. `free_form` is the same audio decoded with a general English model as
    it was heard (local_voice/asr/free_form.py). `again`, offered only for an unsure first utterance after start-up,
    decodes it again against a cepstral mean settled on all of it (local_voice/asr/pocketsphinx.py): a decision calls
    it only where it would otherwise not answer."""

    text: str
    confidence: float
    detail: dict[str, float] = field(default_factory=dict)
    second_opinion: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    spot_red_flags: Callable[[], list[str]] | None = field(default=None, compare=False, repr=False)
    free_form: str | None = None  # what the free-form pass heard (the general English model), when the engine has one
    again: Callable[[], Transcript] | None = field(default=None, compare=False, repr=False)


NOTHING = Transcript("", 0.0)


class EngineError(Exception):
    """The engine cannot run; the message says how to fix it, in one line."""


class Stream(Protocol):
    def accept(self, chunk: AudioChunk) -> bool: ...

    def final(self) -> Transcript: ...


class Engine(Protocol):
    name: str
    description: str
    missing: list[str]

    def stream(self) -> Stream: ...


def transcribe(engine: Engine, audio: AudioChunk | bytes, chunk_s: float = 0.25) -> Transcript:
    clip = audio if isinstance(audio, AudioChunk) else AudioChunk(audio)
    stream = engine.stream()
    for chunk in clip.split(chunk_s):
        stream.accept(chunk)
    return stream.final()
