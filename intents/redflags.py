"""Red-flag detection on text: any cue phrase of the `red_flag` slot list, found anywhere in an utterance.

Cues and text are compared word by word, plurals folded (not a full stem: "damage my hamstring" is a question,
"damaged my hamstring" a red flag), in order, allowing a couple of filler words between a cue's words ("my
leg is really quite swollen", "can't really walk"). Recall matters more than precision: a false alarm costs a
sentence of advice, a miss can cost a leg. Matching is a scan over the utterance's words with the cues indexed by
their first stem, so it costs microseconds and needs no hassil: the skill runs it on every slot value it receives
(from the compiled cue table), and the offline matcher runs it before anything else.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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
        at = positions(stems)
        for flag, groups, within in self._signs:
            if best is not None and urgency(flag) >= urgency(best.id):
                break
            found = _find_sign(stems, groups, within, at)
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


@dataclass(frozen=True)
class _Occurrences:
    """Where one phrase of a group occurs: its length and its start positions, left to right."""

    size: int
    starts: list[int]

    def span(self, index: int) -> tuple[int, int]:
        return self.starts[index], self.starts[index] + self.size


def positions(stems: list[str]) -> dict[str, list[int]]:
    """Where each word stands in the text, left to right: a phrase is looked for only where its first word is."""
    found: dict[str, list[int]] = defaultdict(list)
    for index, word in enumerate(stems):
        found[word].append(index)
    return found


def _occurrences(stems: list[str], phrases: list[tuple[str, ...]],
                 at: dict[str, list[int]]) -> list[_Occurrences]:
    """Every place each of `phrases` (contiguous words) occurs in the text, phrase by phrase; phrases that do not
    occur are left out. `at`: the text's `positions`."""
    found = []
    for phrase in phrases:
        size = len(phrase)
        candidates = at.get(phrase[0], ()) if phrase else ()
        starts = [start for start in candidates if tuple(stems[start : start + size]) == phrase]
        if starts:
            found.append(_Occurrences(size, starts))
    return found


def _find_sign(
    stems: list[str], groups: list[list[tuple[str, ...]]], within: int | None,
    at: dict[str, list[int]] | None = None,
) -> list[tuple[int, int]] | None:
    """One occurrence per group, all within `within` words of the first group's (None: anywhere). `at`: the text's
    `positions`, when the caller has them."""
    at = positions(stems) if at is None else at
    occurrences = [_occurrences(stems, group, at) for group in groups]
    if not all(occurrences):
        return None
    if within is None:
        return [group[0].span(0) for group in occurrences]
    # counted[i]: how many words before position i count towards a distance
    counted = [0]
    for word in stems:
        counted.append(counted[-1] + (word not in FILLERS))
    for anchor in (phrase.span(i) for phrase in occurrences[0] for i in range(len(phrase.starts))):
        picked = [anchor]
        for group in occurrences[1:]:
            near = _first_near(group, anchor, counted, within)
            if near is None:
                break
            picked.append(near)
        else:
            return picked
    return None


def _first_near(group: list[_Occurrences], anchor: tuple[int, int], counted: list[int],
                within: int) -> tuple[int, int] | None:
    """The group's first occurrence (phrase by phrase, left to right) that overlaps the anchor or stands at most
    `within` counted words from it. Found by bisection, not by a scan: a long text with many occurrences of two
    groups far apart would otherwise cost the product of their counts.

    Counted positions never decrease, so the starts that qualify form one range: up to `last` (after the anchor,
    at most `within` counted words past its end), and from the first whose end is at least `first_end` (before it,
    ending at most `within` counted words ahead of its start)."""
    last = bisect_right(counted, counted[anchor[1]] + within) - 1
    first_end = bisect_left(counted, counted[anchor[0]] - within)
    for phrase in group:
        index = bisect_left(phrase.starts, first_end - phrase.size)
        if index < len(phrase.starts) and phrase.starts[index] <= last:
            return phrase.span(index)
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
        for phrase in self._phrases:  # longest first
            size = len(phrase)
            for start in range(len(stems) - size + 1):
                if tuple(stems[start : start + size]) == phrase:
                    return " ".join(said[start : start + size])
        return None
