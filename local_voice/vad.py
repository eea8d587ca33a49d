"""Is there speech in this audio at all? A cheap check before the recognizer, which, constrained by a grammar, maps
any sound to the nearest phrase (a 440 Hz beep became "no" and ended the session).

Principle: voiced speech is harmonic. Its energy is spread over many harmonics of the voice's pitch and shaped by
formants, and unvoiced speech is broadband; a tone, a beep or a whistle puts almost all of its energy in one narrow
peak. So a frame counts as speech-like when it is loud enough and its spectrum is not dominated by a single peak,
and audio has speech when it holds at least MIN_SPEECH_S of such frames. Noise is left to the recognizer (and its
grammar's unknown-word token): judging noisy speech is the larger confidence redesign, not this check.
"""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE, from_pcm16

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


def has_speech(pcm: bytes, rate: int = SAMPLE_RATE) -> bool:
    return speech_seconds(pcm, rate) >= MIN_SPEECH_S
