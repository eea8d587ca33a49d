"""Issue 23 item 14: the matcher's work grows linearly with its input. The red-flag signs' nearness search, made
fast by bisection, must find exactly what its definition (a scan over every pair of occurrences) finds."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intents.matcher import default_matcher
from intents.redflags import FILLERS, _find_sign

VOCABULARY = ["cramp", "night", "every", "the", "in", "my", "x", "y"]  # with fillers, which do not count


def by_definition(stems: list[str], groups: list[list[tuple[str, ...]]], within: int | None):
    """The spec: every occurrence of each phrase, phrase by phrase; for each anchor of the first group, the first
    occurrence of every other group within `within` counted words of it (overlapping counts as 0)."""
    spans = [[(s, s + len(p)) for p in group for s in range(len(stems) - len(p) + 1)
              if tuple(stems[s:s + len(p)]) == p] for group in groups]
    if not all(spans):
        return None
    if within is None:
        return [s[0] for s in spans]
    counted = [0]
    for word in stems:
        counted.append(counted[-1] + (word not in FILLERS))

    def gap(a, b):
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


phrases = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3).map(tuple)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), max_size=16),
       st.lists(st.lists(phrases, min_size=1, max_size=3), min_size=1, max_size=3),
       st.none() | st.integers(0, 4))
def test_the_nearness_search_finds_what_its_definition_finds(stems, groups, within):
    assert _find_sign(stems, groups, within) == by_definition(stems, groups, within)


# 60 KB each, the most a chat line may hold: words the slot search tried at every span (cubic), and two red-flag
# groups with thousands of occurrences far apart (their product). Each took from seconds to hours.
LONG_TEXTS = {"one word repeated": "what " * 12000,
              "a sign's groups far apart": "cramp " * 5000 + "every night " * 2500}
LINEAR_WITHIN_S = 3.0  # about half a second here


@pytest.mark.parametrize("text", list(LONG_TEXTS.values()), ids=list(LONG_TEXTS))
def test_a_long_text_is_matched_in_bounded_time(text):
    matcher = default_matcher()
    started = time.perf_counter()
    matcher.match(text)
    assert time.perf_counter() - started < LINEAR_WITHIN_S
