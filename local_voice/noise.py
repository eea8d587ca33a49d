"""Noise front end: WebRTC noise suppression and automatic gain (webrtc-noise-gain, as in Home Assistant's Assist
pipeline), a stage between the source and the VAD. Off by default: see DEFAULT_NOISE for what the benchmark measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .audio import AudioChunk

CHUNK_S = 0.01  # the WebRTC processor takes exactly 10 ms at a time
# Home Assistant's defaults: target level -31 dBFS for the gain, suppression level 2 of 0-4 (stronger levels cut
# consonants the recognizer needs).
AUTO_GAIN_DBFS = 31
# Whether `hamstring voice` runs the front end unless --noise says otherwise. Off: on the benchmark (every 6th dev
# item, espeak-ng and flite, clean / babble 12 dB / pink 12 and 6 dB, `--noise both`) it kept fewer clean in-grammar
# sentences (espeak-ng 60% -> 27%), and where it kept more (flite pink 12 dB, 6.7% -> 13.3%) it also answered more
# wrong (3.8% -> 9.0%).
DEFAULT_NOISE = False
SUPPRESSION_LEVEL = 2


class NoiseError(Exception):
    """The noise front end cannot run; the message says how to fix it."""


@dataclass
class NoiseFrontEnd:
    auto_gain: int = AUTO_GAIN_DBFS
    suppression: int = SUPPRESSION_LEVEL
    _pending: bytes = field(default=b"", init=False)

    def __post_init__(self) -> None:
        try:
            from webrtc_noise_gain import AudioProcessor
        except ImportError as error:
            raise NoiseError(f"webrtc-noise-gain is not installed ({error}); pip install '.[voice]'") from None
        self._processor: Any = AudioProcessor(self.auto_gain, self.suppression)

    def process(self, chunk: AudioChunk) -> AudioChunk:
        """The cleaned audio of whole 10 ms pieces; a remainder waits for the next chunk (so output may lag input by
        less than 10 ms, and its length is always a whole number of pieces)."""
        chunk.check_pipeline_format()
        step = int(CHUNK_S * chunk.rate) * chunk.width
        data = self._pending + chunk.audio
        whole = len(data) - len(data) % step
        self._pending = data[whole:]
        out = b"".join(self._processor.Process10ms(data[i : i + step]).audio for i in range(0, whole, step))
        return chunk.with_audio(out)

    def clip(self, audio: AudioChunk) -> AudioChunk:
        """A whole recording at once (files, the benchmark)."""
        return self.process(audio)
