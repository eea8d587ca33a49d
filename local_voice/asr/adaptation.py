"""The live cepstral mean a run on this machine ended with, kept for the next run's first utterance.

Live cepstral mean normalization starts every run from the acoustic model's generic mean, far from this microphone's
and voice's, so the first utterance after start-up is held and the mean settled on its opening before it is decoded
(local_voice/asr/pocketsphinx.py): the decode then catches up while the user speaks, and the first answer waits
for what it has not caught up. A run that starts from the mean the last one ended with starts as a later turn does
(Julius keeps it the same way, `-cmnsave` / `-cmnload`); live normalization goes on adapting from there, so another
microphone is followed within a few turns, as within a run.

Kept only for the microphone's runs (the CLI asks for it): a file of audio is no microphone, and tests and
benchmarks start as a first run does unless they ask. It lives in the derived-data cache folder
(intents/derived_cache.py), keyed by the model and the audio front end before the engine: losing it costs one
first utterance's settling, nothing else. What is read back is checked like any input from outside.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from intents.derived_cache import input_key, keep, recall

KIND = "cepstral-mean"
FORMAT = "cepstral mean 1"
MAX_TERM = 200.0  # a mean term this far out is no speech front end's (the model's own start: 40, 3, -1, 0...)
log = logging.getLogger(__name__)


@dataclass
class KeptMean:
    """The kept mean for one model and front end (`setting`); `keep` after each utterance, `recall` at start."""

    setting: str
    terms: int  # the decoder's mean has this many terms; a kept one of another size is not this model's
    failed: bool = False  # a mean that could not be kept is said once, not after every turn

    @property
    def key(self) -> str:
        return input_key([], [FORMAT, self.setting])

    def recall(self) -> str | None:
        """The kept mean in the decoder's own form ("40,3,-1,..."), or None: none kept, or not a valid one."""
        data = recall(KIND, self.key)
        mean = parse_mean(data, self.terms)
        if data is not None and mean is None:
            log.info("the kept cepstral mean is not valid: starting from the model's own")
        return mean

    def keep(self, mean: str) -> None:
        """`mean` in the decoder's form, kept for the next run (where it is a valid one)."""
        values = [float(term) for term in mean.split(",")]
        if self.failed or not _valid(values, self.terms):
            return
        error = keep(KIND, self.key, {"format": FORMAT, "mean": values})
        if error is not None:
            self.failed = True
            log.warning("cannot keep the cepstral mean for the next run (%s): its first turn settles again",
                        error.strerror or error)


def parse_mean(data: object, terms: int) -> str | None:
    """`data` as kept (`{"format": FORMAT, "mean": [numbers]}`) in the decoder's form ("40,3,-1,..."), or None if
    it is not that: another format, another number of terms, anything not a finite number within MAX_TERM."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    mean = data.get("mean")
    if not isinstance(mean, list) or not all(isinstance(term, (int, float)) and not isinstance(term, bool)
                                             for term in mean):
        return None
    values = [float(term) for term in mean]
    return ",".join(f"{value:g}" for value in values) if _valid(values, terms) else None


def _valid(values: list[float], terms: int) -> bool:
    return len(values) == terms and all(math.isfinite(value) and abs(value) <= MAX_TERM for value in values)
