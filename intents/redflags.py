"""Red-flag detection on text: any cue phrase of the `red_flag` slot list, found anywhere in an utterance.

Cues and text are compared word by word, plurals folded (not a full stem: "damage my hamstring" is a question,
"damaged my hamstring" a red flag), in order, allowing a couple of filler words between a cue's words ("my
leg is really quite swollen", "can't really walk"). Recall matters more than precision: a false alarm costs a
sentence of advice, a miss can cost a leg. Matching is a scan over the utterance's words with the cues indexed by
their first stem, so it costs microseconds and needs no hassil: the skill runs it on every slot value it receives
(from the compiled cue table), and the offline matcher runs it before anything else.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .text import words

# Words that do not count in a sign's `within` distance: where the cramp is and the grammar around it ("cramps in
# the back of my thigh most days" is as close as "cramps most days").
FILLERS = frozenset(
    "in the back of my his her their your thigh thighs leg legs hamstring hamstrings hammy at a an up i have has had "
    "been be is are was were it and".split()
)
# When one utterance holds cues of several red flags, the most urgent wins.
SEVERITY = ("rf_emergency", "rf_injury", "rf_cant_walk", "rf_swelling", "rf_numb_weak", "rf_wont_ease", "rf_frequent")
# Filler words allowed between two consecutive words of a cue.
MAX_GAP = 2


@dataclass(frozen=True)
class RedFlagHit:
    id: str
    cue: str  # the words that matched, as said (fillers included)


# A sign: groups of phrases; it holds when each group has a phrase in the text. As a mapping {within: N, groups},
# the phrases must also stand within N words of each other ("cramps ... every night", not "yoga every morning ...
# does it help cramps").
Sign = list[list[str]] | dict


class RedFlagDetector:
    """`cues`: flag -> word sequences found in order (with fillers); `signs`: flag -> co-occurrence rules."""

    def __init__(
        self, cues: dict[str, list[tuple[str, ...]]], signs: dict[str, list[Sign]] | None = None, folded: bool = False
    ) -> None:
        self._signs: list[tuple[str, list[list[tuple[str, ...]]], int | None]] = []
        for flag in sorted(signs or {}, key=urgency):
            for sign in (signs or {})[flag]:
                groups, within = (sign["groups"], sign["within"]) if isinstance(sign, dict) else (sign, None)
                phrases = [[tuple(fold(w) for w in words(p)) for p in group] for group in groups]
                self._signs.append((flag, phrases, within))
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        seen: set[tuple[str, ...]] = set()
        for flag in sorted(cues, key=urgency):
            for sequence in cues[flag]:
                stemmed = tuple(sequence) if folded else tuple(fold(w) for w in sequence)
                if stemmed and stemmed not in seen:
                    seen.add(stemmed)
                    self._by_first[stemmed[0]].append((stemmed, flag))

    def detect(self, text: str) -> RedFlagHit | None:
        said = words(text)
        stems = [fold(w) for w in said]
        best: RedFlagHit | None = None
        for flag, groups, within in self._signs:
            if best is not None and urgency(flag) >= urgency(best.id):
                break
            found = _find_sign(stems, groups, within)
            if found is not None:
                best = RedFlagHit(flag, " ... ".join(" ".join(said[a:b]) for a, b in found))
        for start, first in enumerate(stems):
            for cue, flag in self._by_first.get(first, ()):
                end = _match_from(stems, start, cue)
                if end is not None and (best is None or urgency(flag) < urgency(best.id)):
                    best = RedFlagHit(flag, " ".join(said[start:end]))
        return best

    @property
    def cue_count(self) -> int:
        return sum(len(v) for v in self._by_first.values())


def _spans(stems: list[str], phrases: list[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Every place one of `phrases` (contiguous words) occurs in the text."""
    found = []
    for phrase in phrases:
        size = len(phrase)
        for start in range(len(stems) - size + 1):
            if tuple(stems[start : start + size]) == phrase:
                found.append((start, start + size))
    return found


def _find_sign(
    stems: list[str], groups: list[list[tuple[str, ...]]], within: int | None
) -> list[tuple[int, int]] | None:
    """One occurrence per group, all within `within` words of the first group's (None: anywhere)."""
    spans = [_spans(stems, group) for group in groups]
    if not all(spans):
        return None
    if within is None:
        return [s[0] for s in spans]
    # counted[i]: how many words before position i count towards a distance
    counted = [0]
    for word in stems:
        counted.append(counted[-1] + (word not in FILLERS))

    def gap(a: tuple[int, int], b: tuple[int, int]) -> int:
        first, second = (a, b) if a[0] <= b[0] else (b, a)
        return max(0, counted[second[0]] - counted[first[1]]) if second[0] >= first[1] else 0

    for anchor in spans[0]:
        picked = [anchor]
        for others in spans[1:]:
            near = [s for s in others if gap(anchor, s) <= within]
            if not near:
                break
            picked.append(near[0])
        else:
            return picked
    return None


def fold(word: str) -> str:
    """Singular of a plain plural: bruises -> bruise, toes -> toe; everything else unchanged."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def urgency(flag: str) -> int:
    """A red flag's place in SEVERITY: lower is more urgent (an unknown id comes last)."""
    return SEVERITY.index(flag) if flag in SEVERITY else len(SEVERITY)


def _match_from(stems: list[str], start: int, cue: tuple[str, ...]) -> int | None:
    """End index if `cue` occurs in order from `start` with at most MAX_GAP words between its words."""
    position = start + 1
    for word in cue[1:]:
        for offset in range(MAX_GAP + 1):
            if position + offset < len(stems) and stems[position + offset] == word:
                position += offset + 1
                break
        else:
            return None
    return position


class PhraseFinder:
    """The first of some phrases (contiguous words, plurals folded) that occurs in a text: the `harm` words."""

    def __init__(self, phrases: list[str]) -> None:
        self._phrases = sorted({tuple(fold(w) for w in words(p)) for p in phrases if words(p)}, key=len, reverse=True)

    def find(self, text: str) -> str | None:
        said = words(text)
        stems = [fold(w) for w in said]
        for phrase in self._phrases:
            spans = _spans(stems, [phrase])
            if spans:
                start, end = spans[0]
                return " ".join(said[start:end])
        return None
