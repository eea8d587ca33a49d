"""How sure pocketsphinx is: its evidence for a transcript, as a confidence in 0-1.

A grammar-bound decoder maps any sound onto the nearest sentence of the grammar, so the text alone cannot say "I did
not understand". The evidence is a likelihood ratio: the grammar's best path against a free phone loop decoded on the
same audio, per 10 ms frame, in the decoder's log units (base 1.0001). Speech that is one of our sentences scores
nearly as well constrained as free; anything else loses much more per frame. Less PHONE_ERROR_WEIGHT x the share of
the hypothesis' phones that the phone loop did not hear (its phone error rate): a few well-fitting words can carry an
average ratio, disagreeing phones show the rest did not fit. What was measured: docs/voice-measurements.md.
"""

from __future__ import annotations

import math

SPHINX_LR_CENTER = -18.0  # the evidence at which the confidence is 0.5 (docs/voice-measurements.md)
SPHINX_LR_SCALE = 3.0  # log units of evidence per step of the logistic (docs/voice-measurements.md)
PHONE_ERROR_WEIGHT = 5.0  # what each phone the loop did not hear costs, per phone said (docs/voice-measurements.md)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def sphinx_confidence(ratio: float, phone_errors: float, phone_error_weight: float = PHONE_ERROR_WEIGHT) -> float:
    """0-1 from the evidence: the likelihood ratio per frame less the weighted phone error rate."""
    return logistic((ratio - phone_error_weight * phone_errors - SPHINX_LR_CENTER) / SPHINX_LR_SCALE)


def phone_error_rate(said: list[str], heard: list[str]) -> float:
    """The share of the hypothesis' phones `said` that the phone loop did not hear (its phones `heard`, no SIL)."""
    return edit_distance(said, heard) / max(1, len(said))


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two phone sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
