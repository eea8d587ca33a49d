"""Red-flag detection on text: any cue phrase of the `red_flag` slot list, found anywhere in an utterance.

Cues and text are compared word by word, plurals folded (not a full stem: "damage my hamstring" is a question,
"damaged my hamstring" a red flag), in order, allowing a couple of filler words between a cue's words ("my
leg is really quite swollen", "can't really walk"). Recall matters more than precision: a false alarm costs a
sentence of advice, a miss can cost a leg. Matching is a scan over the utterance's words with the cues in a trie
and each sign's phrases indexed by their first word, so it costs microseconds and needs no hassil: the skill runs
it on every slot value it receives (from the compiled cue table), and the offline matcher runs it before anything
else.
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
        self._signs: list[tuple[str, list[_Group], int | None]] = []
        for flag in sorted(signs or {}, key=urgency):
            for sign in (signs or {})[flag]:
                groups, within = (sign["groups"], sign["within"]) if isinstance(sign, dict) else (sign, None)
                phrases = [_Group([tuple(fold(w) for w in words(p)) for p in group]) for group in groups]
                self._signs.append((flag, phrases, within))
        self._cues = _Cues()
        seen: set[tuple[str, ...]] = set()
        for flag in sorted(cues, key=urgency):
            for sequence in cues[flag]:
                stemmed = tuple(sequence) if folded else tuple(fold(w) for w in sequence)
                if stemmed and stemmed not in seen:
                    seen.add(stemmed)
                    self._cues.add(stemmed, flag)

    def detect(self, text: str) -> RedFlagHit | None:
        said = words(text)
        stems = [fold(w) for w in said]
        best: RedFlagHit | None = None
        at = positions(stems)
        for flag, groups, within in self._signs:
            if best is not None and urgency(flag) >= urgency(best.id):
                break
            present = []
            for group in groups:  # a sign holds only if every group has a phrase whose first word was said
                phrases = group.present(at)
                if not phrases:
                    break
                present.append(phrases)
            else:
                found = _find_sign(stems, present, within, at)
                if found is not None:
                    best = RedFlagHit(flag, " ... ".join(" ".join(said[a:b]) for a, b in found))
        for start in range(len(stems)):
            match = self._cues.first_match(stems, start)
            if match is not None and (best is None or urgency(match[0]) < urgency(best.id)):
                best = RedFlagHit(match[0], " ".join(said[start:match[1]]))
        return best

    @property
    def cue_count(self) -> int:
        return self._cues.count


class _Cue:
    """A node of the cue trie: the cues that start with the words on the way here continue with `next`; `order`
    and `flag` when a cue ends here (`order`: its place among all cues, most urgent first)."""

    __slots__ = ("flag", "next", "order")

    def __init__(self) -> None:
        self.next: dict[str, _Cue] = {}
        self.order: int | None = None
        self.flag = ""


class _Cues:
    """The cues as a trie over their words. A cue occurs from a start when each next word of it is found among the
    MAX_GAP + 1 words after the previous one, at its first occurrence there (no backtracking). Matching follows
    only the branches the text's words take, instead of trying every cue that shares the first word: "leg" starts
    a thousand cues."""

    def __init__(self) -> None:
        self._roots: dict[str, _Cue] = {}
        self.count = 0

    def add(self, cue: tuple[str, ...], flag: str) -> None:
        level, node = self._roots, None
        for word in cue:  # not setdefault(word, _Cue()): that makes a node per word even where one exists
            found = level.get(word)
            if found is None:
                found = level[word] = _Cue()
            node, level = found, found.next
        if node is None:  # no words: a cue that occurs nowhere
            return
        node.order, node.flag = self.count, flag
        self.count += 1

    def first_match(self, stems: list[str], start: int) -> tuple[str, int] | None:
        """(flag, end) of the first cue (most urgent first, then in the cue list's order) that occurs from `start`."""
        root = self._roots.get(stems[start])
        if root is None:
            return None
        found: tuple[int, str, int] | None = None
        pending = [(root, start + 1)]
        while pending:
            node, position = pending.pop()
            if node.order is not None and (found is None or node.order < found[0]):
                found = (node.order, node.flag, position)
            taken: set[str] = set()
            for index in range(position, min(position + MAX_GAP + 1, len(stems))):
                word = stems[index]
                if word not in taken and word in node.next:
                    taken.add(word)  # a later occurrence of the same word is never where the cue goes on
                    pending.append((node.next[word], index + 1))
        return None if found is None else (found[1], found[2])


class _Group:
    """One group of a sign: its phrases in order, and where each first word starts some of them. Most texts say
    none of a group's first words: the sign is then settled by a few look-ups, not a pass over every phrase."""

    def __init__(self, phrases: list[tuple[str, ...]]) -> None:
        self.phrases = phrases
        self._by_first: dict[str, list[int]] = defaultdict(list)
        for index, phrase in enumerate(phrases):
            if phrase:  # an empty phrase occurs nowhere
                self._by_first[phrase[0]].append(index)
        self._firsts = frozenset(self._by_first)

    def present(self, at: dict[str, list[int]]) -> list[tuple[str, ...]]:
        """The phrases whose first word occurs in the text (`at`: its `positions`), in the group's order: the only
        ones `_occurrences` can find."""
        if self._firsts.isdisjoint(at):  # the usual case, settled in C
            return []
        firsts = self._by_first
        hits = [index for word in (at if len(at) < len(firsts) else firsts)
                if word in at and word in firsts for index in firsts[word]]
        return [self.phrases[index] for index in sorted(hits)]


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


class PhraseFinder:
    """The first of some phrases (contiguous words, plurals folded) that occurs in a text: the `harm` words."""

    def __init__(self, phrases: list[str]) -> None:
        self._phrases = sorted({tuple(fold(w) for w in words(p)) for p in phrases if words(p)}, key=len, reverse=True)
        # Where each first word starts phrases: a text is compared only with the phrases it has the first word of.
        self._by_first: dict[str, list[int]] = defaultdict(list)
        for rank, phrase in enumerate(self._phrases):
            self._by_first[phrase[0]].append(rank)

    def find(self, text: str) -> str | None:
        said = words(text)
        stems = [fold(w) for w in said]
        ranks = sorted(rank for word in set(stems) for rank in self._by_first.get(word, ()))
        for phrase in (self._phrases[rank] for rank in ranks):  # longest first
            size = len(phrase)
            for start in range(len(stems) - size + 1):
                if tuple(stems[start : start + size]) == phrase:
                    return " ".join(said[start : start + size])
        return None
