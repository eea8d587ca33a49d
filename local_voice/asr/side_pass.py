"""A search in a pocketsphinx decoder of its own, fed each utterance as it arrives beside the grammar's decoder.

One decoder runs one search at a time, so a search over the same utterance in the grammar's decoder can only start
after the grammar's has ended, at the end of speech, and the user waits for a whole pass (~135 ms for the phone loop
on a 3 s question). A decoder of its own costs ~6 MB and ~10 ms to load (the acoustic model is small; a general
language model is memory-mapped) and takes the frames as they come: pocketsphinx holds the GIL in `process_raw`, so
the decoders take turns on one thread, but each keeps up with speech several times over, and at the end of speech
only the search's end is left. Each utterance starts from the grammar decoder's cepstral mean, so every pass hears
the audio through the same front end (docs/voice-measurements.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PassResult:
    """What one pass heard: its words, its best path's log score (None if it underflowed) and its segments' words
    (or phones), fillers and pronunciation variants as the decoder names them."""

    text: str = ""
    log_score: float | None = None
    words: tuple[str, ...] = ()


@dataclass
class SidePass:
    """`start` an utterance, `feed` its audio as it comes, `finish` for what the pass heard."""

    decoder: Any
    started: bool = False

    def start(self, cepstral_mean: str | None = None) -> None:
        """A new utterance; `cepstral_mean`: the grammar decoder's, as it stands before this utterance."""
        if self.started:  # an utterance abandoned half way (the pipeline stopped listening, or decoded again): dropped
            self.decoder.end_utt()
        if cepstral_mean is not None:
            self.decoder.set_cmn(cepstral_mean)
        self.decoder.start_utt()
        self.started = True

    def feed(self, audio: bytes) -> None:
        if not self.started:
            self.start()
        self.decoder.process_raw(audio, False, False)

    def finish(self) -> PassResult:
        """What was heard in the utterance fed since `start` (an empty result for none)."""
        if not self.started:
            return PassResult()
        self.decoder.end_utt()
        self.started = False
        hypothesis = self.decoder.hyp()
        if hypothesis is None:
            return PassResult()
        return PassResult(hypothesis.hypstr, log_score(self.decoder, hypothesis.best_score),
                          tuple(segment.word for segment in self.decoder.seg()))


def log_score(decoder: Any, score: float) -> float | None:
    """pocketsphinx hands scores out exponentiated in its own log base; a path so unlikely it underflowed is None."""
    return float(decoder.get_logmath().log(score)) if score > 0 else None
