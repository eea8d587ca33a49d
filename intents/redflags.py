"""Red-flag detection on text: any cue phrase of the `red_flag` slot list, found anywhere in an utterance.

A cue is a word sequence (after `text.words`: lowercase, contractions expanded). Matching is a scan of the
utterance's n-grams against a set, so it costs microseconds and needs no hassil: the skill runs it on every slot
value it receives (from the compiled cue table), and the offline matcher runs it before anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import words

# When one utterance holds cues of several red flags, the most urgent wins.
SEVERITY = ("rf_emergency", "rf_injury", "rf_cant_walk", "rf_swelling", "rf_numb_weak", "rf_wont_ease", "rf_frequent")


@dataclass(frozen=True)
class RedFlagHit:
    id: str
    cue: str  # the words that matched, as said


class RedFlagDetector:
    def __init__(self, cues: dict[str, list[tuple[str, ...]]]) -> None:
        self._cue_to_id: dict[tuple[str, ...], str] = {}
        for flag, sequences in cues.items():
            for sequence in sequences:
                self._cue_to_id.setdefault(tuple(sequence), flag)
        self._longest = max((len(c) for c in self._cue_to_id), default=0)

    def detect(self, text: str) -> RedFlagHit | None:
        said = words(text)
        hits: list[RedFlagHit] = []
        for start in range(len(said)):
            for length in range(1, min(self._longest, len(said) - start) + 1):
                flag = self._cue_to_id.get(tuple(said[start : start + length]))
                if flag is not None:
                    hits.append(RedFlagHit(flag, " ".join(said[start : start + length])))
        if not hits:
            return None
        return min(hits, key=lambda hit: SEVERITY.index(hit.id) if hit.id in SEVERITY else len(SEVERITY))

    @property
    def cue_count(self) -> int:
        return len(self._cue_to_id)
