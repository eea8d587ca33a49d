"""Audio in: any WAV (rate, channels, sample format) to the 16 kHz mono 16-bit PCM the recognizers take, and the
`AudioChunk` value every stage of the voice pipeline (source, noise front end, VAD, recognizer) passes on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
CHANNELS = 1
# One spoken question, not an audiobook; and rates a microphone or a file of speech really uses. Checked from the
# header before any sample is read: a 1 Hz file of 100,000 frames would otherwise "resample" to 12 GiB.
MAX_AUDIO_S = 60.0
MIN_RATE = 4000
MAX_RATE = 384000


class AudioError(Exception):
    """Audio that cannot be used; the message is one line."""


@dataclass(frozen=True)
class AudioChunk:
    """Little-endian signed PCM with its format, so no stage divides a byte count by a magic number.

    The pipeline's stages all take 16 kHz mono 16-bit audio (what the recognizers' models were trained on);
    `check_pipeline_format` says so in one line when a chunk is anything else."""

    audio: bytes
    rate: int = SAMPLE_RATE
    width: int = SAMPLE_WIDTH
    channels: int = CHANNELS

    @property
    def frames(self) -> int:
        return len(self.audio) // (self.width * self.channels)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def __add__(self, other: AudioChunk) -> AudioChunk:
        if (other.rate, other.width, other.channels) != (self.rate, self.width, self.channels):
            raise AudioError("cannot join audio of different formats")
        return AudioChunk(self.audio + other.audio, self.rate, self.width, self.channels)

    def samples(self) -> np.ndarray:
        """Float samples in [-1, 1)."""
        self.check_pipeline_format()
        return from_pcm16(self.audio)

    def split(self, seconds: float) -> list[AudioChunk]:
        """Consecutive chunks of `seconds` each (the last one may be shorter)."""
        step = max(1, int(round(seconds * self.rate))) * self.width * self.channels
        return [self.with_audio(self.audio[i : i + step]) for i in range(0, len(self.audio), step)]

    def with_audio(self, audio: bytes) -> AudioChunk:
        return AudioChunk(audio, self.rate, self.width, self.channels)

    def check_pipeline_format(self) -> None:
        if (self.rate, self.width, self.channels) != (SAMPLE_RATE, SAMPLE_WIDTH, CHANNELS):
            raise AudioError(f"the voice pipeline takes {SAMPLE_RATE} Hz mono 16-bit audio, not {self.rate} Hz, "
                             f"{self.channels} channel(s), {8 * self.width}-bit")

    @classmethod
    def silence(cls, seconds: float) -> AudioChunk:
        return cls(bytes(int(seconds * SAMPLE_RATE) * SAMPLE_WIDTH * CHANNELS))

    @classmethod
    def from_samples(cls, samples: np.ndarray) -> AudioChunk:
        return cls(to_pcm16(samples))


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling: a windowed-sinc low-pass below the lower Nyquist, then interpolation."""
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.float32)
    x = samples.astype(np.float32)
    if rate_out < rate_in:
        cutoff = 0.45 * rate_out / rate_in  # normalized to the input rate, a little below Nyquist
        taps = 63
        n = np.arange(taps) - (taps - 1) / 2
        kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
        x = np.convolve(x, kernel / kernel.sum(), mode="same")
    duration = x.size / rate_in
    t_out = np.arange(int(round(duration * rate_out))) / rate_out
    return np.interp(t_out, np.arange(x.size) / rate_in, x).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to little-endian 16-bit PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def from_pcm16(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def load_wav(path: str | Path) -> bytes:
    """The PCM bytes of `read_wav`."""
    return read_wav(path).audio


def read_wav(path: str | Path) -> AudioChunk:
    """Read, downmix and resample to the pipeline's format; raises AudioError with the reason."""
    import soundfile

    try:
        info = soundfile.info(str(path))
        check_format(path, info.samplerate, info.frames, info.channels)
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, soundfile.LibsndfileError) as error:
        raise AudioError(f"cannot read audio {path}: {str(error).splitlines()[0]}") from None
    if data.shape[0] == 0:
        raise AudioError(f"audio {path} is empty")
    mono = data.mean(axis=1)
    return AudioChunk.from_samples(resample(mono, rate, SAMPLE_RATE))


def check_format(path: str | Path, rate: int, frames: int, channels: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(f"audio {path}: sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")
    if not 1 <= channels <= 32:
        raise AudioError(f"audio {path}: {channels} channels is not a recording we can use")
    if frames > MAX_AUDIO_S * rate:
        raise AudioError(f"audio {path} is {frames / rate:.0f} s long; one question is at most {MAX_AUDIO_S:.0f} s")


def write_wav(path: str | Path, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    import soundfile

    soundfile.write(str(path), np.frombuffer(pcm, dtype="<i2"), rate, subtype="PCM_16")
