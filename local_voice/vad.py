"""Voice activity detection, a pipeline stage of its own: microphone frames in, utterance events out.

`VoiceActivity` finds where an utterance starts and ends (pocketsphinx's endpointer) and hands its audio on while it
is spoken, so the recognizer decodes as the user talks and only finishes after the end; at the end it also says
whether the segment held speech at all (`has_speech`).

Is there speech in this audio at all? A cheap check before the recognizer, which, constrained by a grammar, maps
any sound to the nearest phrase (a 440 Hz beep became "no" and ended the session).

Principle: voiced speech is harmonic. Its energy is spread over many harmonics of the voice's pitch and shaped by
formants, and unvoiced speech is broadband; a tone, a beep or a whistle puts almost all of its energy in one narrow
peak. So a frame counts as speech-like when it is loud enough and its spectrum is not dominated by a single peak,
and audio has speech when it holds at least MIN_SPEECH_S of such frames. Noise is left to the recognizer (and its
grammar's unknown-word token): judging noisy speech is the larger confidence redesign, not this check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE, AudioChunk, from_pcm16

# An utterance starts when RATIO of a WINDOW_S window is speech, and ends likewise on silence.
WINDOW_S = 0.3
RATIO = 0.9
PREROLL_FRAMES = 10  # quiet frames handed over before the speech: decoders want a little silence first

FRAME_S = 0.032  # 512 samples: 31 Hz bins, fine enough to see harmonics of a voice at 80 Hz and up
MIN_RMS = 0.003  # about -50 dBFS: below that a frame is silence, whatever its spectrum
PEAK_HALF_WIDTH_HZ = 100.0  # a tone's main lobe (Hann window) and some vibrato; narrower than two voice harmonics
TONAL_RATIO = 0.8  # a frame with more than this share of its energy in one peak is a tone, not a voice
MIN_SPEECH_S = 0.15  # shorter than any word
BAND_HZ = (80.0, 5000.0)


def speech_seconds(pcm: bytes, rate: int = SAMPLE_RATE) -> float:
    """Seconds of speech-like frames in 16-bit mono PCM."""
    samples = from_pcm16(pcm)
    size = int(FRAME_S * rate)
    count = samples.size // size
    if count == 0:
        return 0.0
    frames = samples[: count * size].reshape(count, size)
    loud = np.sqrt(np.mean(frames**2, axis=1)) >= MIN_RMS
    if not loud.any():
        return 0.0
    spectra = np.abs(np.fft.rfft(frames[loud] * np.hanning(size), axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1 / rate)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    power = spectra[:, band]
    total = power.sum(axis=1) + 1e-12
    peak = power.argmax(axis=1)
    half = max(1, int(round(PEAK_HALF_WIDTH_HZ / (rate / size))))
    # Energy within +-half bins of each frame's strongest bin.
    cumulative = np.concatenate([np.zeros((power.shape[0], 1)), np.cumsum(power, axis=1)], axis=1)
    rows = np.arange(power.shape[0])
    low = np.clip(peak - half, 0, power.shape[1])
    high = np.clip(peak + half + 1, 0, power.shape[1])
    in_peak = cumulative[rows, high] - cumulative[rows, low]
    speech_like = (in_peak / total) < TONAL_RATIO
    return float(speech_like.sum() * FRAME_S)


def has_speech(audio: bytes | AudioChunk, rate: int = SAMPLE_RATE) -> bool:
    pcm, rate = (audio.audio, audio.rate) if isinstance(audio, AudioChunk) else (audio, rate)
    return speech_seconds(pcm, rate) >= MIN_SPEECH_S


# -- the stage --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeechStarted:
    """An utterance began; `preroll` is the quiet just before it."""

    preroll: AudioChunk


@dataclass(frozen=True)
class SpeechAudio:
    chunk: AudioChunk


@dataclass(frozen=True)
class SpeechEnded:
    """The utterance ended: `closing` is the quiet that ended it, `segment` its speech, `spoken` whether that is a
    voice at all (a beep or a door is not a turn)."""

    closing: AudioChunk
    segment: AudioChunk
    spoken: bool


VadEvent = SpeechStarted | SpeechAudio | SpeechEnded


class VoiceActivity:
    """Frames (30 ms, 16 kHz mono 16-bit) in, `VadEvent`s out. One instance per listening loop."""

    def __init__(self, window_s: float = WINDOW_S, ratio: float = RATIO) -> None:
        import pocketsphinx

        self._endpointer: Any = pocketsphinx.Endpointer(window=window_s, ratio=ratio, sample_rate=SAMPLE_RATE)
        # The endpointer hands out speech a window late; the recognizer also wants the quiet just before it.
        self._window = round(window_s / self._endpointer.frame_length)
        self._recent: deque[AudioChunk] = deque(maxlen=self._window + PREROLL_FRAMES)
        self._segment: list[bytes] = []
        self.in_utterance = False

    def process(self, frame: AudioChunk) -> list[VadEvent]:
        frame.check_pipeline_format()
        events: list[VadEvent] = []
        self._recent.append(frame)
        speech = self._endpointer.process(frame.audio)
        if speech is not None:
            if not self.in_utterance:
                self.in_utterance = True
                quiet = list(self._recent)[: max(0, len(self._recent) - self._window - 1)]
                events.append(SpeechStarted(AudioChunk(b"".join(q.audio for q in quiet))))
            events.append(SpeechAudio(frame.with_audio(speech)))
            self._segment.append(speech)
        if self.in_utterance and not self._endpointer.in_speech:
            closing = AudioChunk(b"".join(q.audio for q in list(self._recent)[-self._window :]))
            segment = AudioChunk(b"".join(self._segment))
            events.append(SpeechEnded(closing, segment, has_speech(segment)))
            self._segment, self.in_utterance = [], False
        return events

    def segment(self, frames: Iterable[AudioChunk]) -> Iterator[VadEvent]:
        for frame in frames:
            yield from self.process(frame)
