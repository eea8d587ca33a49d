"""Where audio frames come from: the microphone (sounddevice), or WAV audio standing in for it (tests, and
`hamstring voice --mic-file`).

Frames are `AudioChunk`s of 30 ms, 16 kHz mono 16-bit PCM. `muted()` is used while the assistant speaks: frames
captured then are dropped, so the assistant never hears itself.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .audio import SAMPLE_RATE, SAMPLE_WIDTH, AudioChunk, read_wav

FRAME_SAMPLES = 480  # 30 ms, a frame size the VAD accepts
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH


class SourceError(Exception):
    """No usable audio input; the message says what to do."""


class Source(Protocol):
    """What the microphone loop reads: 30 ms frames, and a mute for while the assistant speaks."""

    def frames(self) -> Iterator[AudioChunk]: ...

    def muted(self) -> AbstractContextManager[None]: ...

    def behind_s(self) -> float:
        """How far the frames handed out so far lag behind what the microphone has heard: audio waiting because the
        loop was busy (the first utterance's catch-up decode), which the user waits for as well."""
        ...


class _Mutable:
    """`muted()`: while the assistant speaks, what the input captures is dropped."""

    _muted = False

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self._muted = True
        try:
            yield
        finally:
            self._after_mute()
            self._muted = False

    def _after_mute(self) -> None:
        pass

    def behind_s(self) -> float:
        return 0.0  # not a live input: nothing is heard while the loop is busy


class MicrophoneSource(_Mutable):
    def __init__(self, device: int | str | None = None) -> None:
        try:
            import sounddevice
        except OSError as error:  # the Python package is there but the PortAudio library is not
            raise SourceError(f"PortAudio is missing ({error}): install it (Debian/Ubuntu: apt-get install "
                              "libportaudio2; macOS: brew install portaudio)") from None
        self._sd = sounddevice
        try:
            info = sounddevice.query_devices(device, "input")
        except (ValueError, sounddevice.PortAudioError) as error:
            raise SourceError(f"no microphone found ({error})") from None
        self.description = info["name"]
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._device = device

    def _callback(self, data, frames, time_info, status) -> None:
        if not self._muted:
            self._queue.put(bytes(data))

    def frames(self) -> Iterator[AudioChunk]:
        try:
            stream = self._sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, dtype="int16",
                                             channels=1, callback=self._callback, device=self._device)
        except self._sd.PortAudioError as error:
            raise SourceError(f"cannot open the microphone ({error})") from None
        with stream:
            while True:
                yield AudioChunk(self._queue.get())

    def behind_s(self) -> float:
        return self._queue.qsize() * FRAME_SAMPLES / SAMPLE_RATE

    def _after_mute(self) -> None:
        with self._queue.mutex:  # anything captured while speaking is stale
            self._queue.queue.clear()


@dataclass
class ScriptedSource(_Mutable):
    """Frames from PCM clips, as a microphone would deliver them: silence, a clip, silence, the next clip...

    `play(pcm)` is sound from the laptop's own speaker: unless the assistant muted the input, the microphone hears
    it next, which is how self-hearing is tested."""

    clips: list[bytes | AudioChunk]
    gap_s: float = 1.0
    description: str = "scripted audio"
    interrupt_after_clips: int | None = None  # raise KeyboardInterrupt once this many clips were delivered
    heard_echo_frames: int = field(default=0, init=False)
    _echo: list[bytes] = field(default_factory=list, init=False)

    def frames(self) -> Iterator[AudioChunk]:
        silence = AudioChunk.silence(self.gap_s).audio
        for index, clip in enumerate(self.clips):
            if self.interrupt_after_clips is not None and index >= self.interrupt_after_clips:
                raise KeyboardInterrupt
            pcm = clip.audio if isinstance(clip, AudioChunk) else clip
            yield from self._split(silence + pcm + silence)
        yield from self._split(silence)

    def _split(self, pcm: bytes) -> Iterator[AudioChunk]:
        for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
            while self._echo:
                self.heard_echo_frames += 1
                yield AudioChunk(self._echo.pop(0))
            yield AudioChunk(pcm[start : start + FRAME_BYTES])

    def play(self, pcm: bytes | AudioChunk) -> None:
        if isinstance(pcm, AudioChunk):
            pcm = pcm.audio
        if not self._muted:
            padded = pcm + AudioChunk.silence(0.8).audio
            self._echo += [padded[i : i + FRAME_BYTES] for i in range(0, len(padded) - FRAME_BYTES + 1, FRAME_BYTES)]


class FileMicrophone(_Mutable):
    """A WAV file heard as a microphone hears it: frame after frame in real time, then `tail_s` of quiet (so the
    utterance ends), and nothing captured while the assistant speaks. Trying or timing the live loop on a machine
    without a microphone (`hamstring voice --mic-file`); raises AudioError for a file that is not usable audio."""

    def __init__(self, path: Path, tail_s: float = 1.0) -> None:
        self._pcm = (read_wav(path) + AudioChunk.silence(tail_s)).audio
        self.description = f"{path.name} (a WAV file played as the microphone)"
        self._mutes: list[tuple[float, float]] = []
        self._mute_started = 0.0
        self._captured = 0.0  # when the last frame handed out was heard

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self._mute_started = time.monotonic()
        with super().muted():
            yield

    def _after_mute(self) -> None:
        self._mutes.append((self._mute_started, time.monotonic()))

    def behind_s(self) -> float:
        return max(0.0, time.monotonic() - self._captured) if self._captured else 0.0

    def frames(self) -> Iterator[AudioChunk]:
        started = time.monotonic()
        for index, begin in enumerate(range(0, len(self._pcm) - FRAME_BYTES + 1, FRAME_BYTES)):
            captured = started + (index + 1) * FRAME_SAMPLES / SAMPLE_RATE  # a frame exists once it was heard
            wait = captured - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._captured = captured
            if not any(a <= captured <= b for a, b in self._mutes):  # a microphone drops what it hears meanwhile
                yield AudioChunk(self._pcm[begin : begin + FRAME_BYTES])
