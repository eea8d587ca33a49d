"""Issue 21: the red-flag detector and the harm-word finder run on every slot value the skill receives, so their
indexes (the cue trie, the first-word indexes) must find exactly what their definitions find. The detector's: every
sign tried in urgency order, then every cue tried at every start, in urgency order, each next word at its first
occurrence within MAX_GAP words. The finder's: its phrases tried longest first, each at every start."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intents.redflags import (
    FILLERS,
    MAX_GAP,
    SEVERITY,
    PhraseFinder,
    RedFlagDetector,
    RedFlagHit,
    _find_sign,
    fold,
    urgency,
)
from intents.runtime import load_runtime
from intents.text import words
from tests.kit.scoring import load_set


def cue_end(stems: list[str], start: int, cue: tuple[str, ...]) -> int | None:
    """Where `cue` ends if it occurs from `start`: each next word the first of it within MAX_GAP words."""
    if stems[start] != cue[0]:
        return None
    position = start + 1
    for word in cue[1:]:
        window = stems[position:position + MAX_GAP + 1]
        if word not in window:
            return None
        position += window.index(word) + 1
    return position


def by_definition(cues: dict[str, list[tuple[str, ...]]], signs: dict[str, list], text: str,
                  folded: bool) -> RedFlagHit | None:
    said = words(text)
    stems = [fold(w) for w in said]
    best: RedFlagHit | None = None
    for flag in sorted(signs, key=urgency):
        for sign in signs[flag]:
            groups, within = (sign["groups"], sign["within"]) if isinstance(sign, dict) else (sign, None)
            found = _find_sign(stems, [[tuple(fold(w) for w in words(p)) for p in g] for g in groups], within)
            if found is not None and (best is None or urgency(flag) < urgency(best.id)):
                best = RedFlagHit(flag, " ... ".join(" ".join(said[a:b]) for a, b in found))
    ordered, seen = [], set()
    for flag in sorted(cues, key=urgency):
        for sequence in cues[flag]:
            cue = tuple(sequence) if folded else tuple(fold(w) for w in sequence)
            if cue and cue not in seen:
                seen.add(cue)
                ordered.append((cue, flag))
    for start in range(len(stems)):
        for cue, flag in ordered:
            end = cue_end(stems, start, cue)
            if end is not None and (best is None or urgency(flag) < urgency(best.id)):
                best = RedFlagHit(flag, " ".join(said[start:end]))
    return best


# -- small detectors made up by Hypothesis: ties, shared prefixes, repeated words, cues in two flags -----------------
WORDS = ["leg", "swollen", "cramp", "night", "can", "not", "walk", "my", "is", "the"]  # "my", "is", "the": fillers
flags = st.sampled_from([*SEVERITY[:3], "rf_unknown"])
cue_lists = st.dictionaries(flags, st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(tuple),
                                            max_size=6), max_size=4)
phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(" ".join)
sign_lists = st.dictionaries(flags, st.lists(st.one_of(
    st.lists(st.lists(phrase, min_size=1, max_size=3), min_size=1, max_size=2),
    st.fixed_dictionaries({"groups": st.lists(st.lists(phrase, min_size=1, max_size=3), min_size=1, max_size=2),
                           "within": st.integers(0, 3)})), max_size=2), max_size=2)
texts = st.lists(st.sampled_from([*WORDS, "really", "x"]), max_size=14).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(cue_lists, sign_lists, texts)
def test_any_detector_finds_what_its_definition_finds(cues, signs, text):
    assert RedFlagDetector(cues, signs).detect(text) == by_definition(cues, signs, text, folded=False)


# -- the skill's own detector (the compiled cue table), on texts built around its cues -------------------------------
RUNTIME = load_runtime()
RUNTIME_CUES = {flag: [tuple(c.split()) for c in phrases] for flag, phrases in RUNTIME.red_flag_cues.items()}
ALL_CUES = sorted({cue for cues in RUNTIME_CUES.values() for cue in cues})
VOCABULARY = sorted({w for cue in ALL_CUES for w in cue} | FILLERS | {"really", "quite", "4", "step"})


@st.composite
def around_a_cue(draw) -> str:
    """A real cue with words put in, before, between and after its own."""
    said = list(draw(st.sampled_from(ALL_CUES)))
    for _ in range(draw(st.integers(0, 5))):
        said.insert(draw(st.integers(0, len(said))), draw(st.sampled_from(VOCABULARY)))
    return " ".join(said)


@settings(max_examples=300, deadline=None)
@given(st.one_of(around_a_cue(), st.lists(st.sampled_from(VOCABULARY), max_size=12).map(" ".join)))
def test_the_skill_detector_finds_what_its_definition_finds(text):
    assert RUNTIME.red_flags.detect(text) == by_definition(RUNTIME_CUES, RUNTIME.red_flag_signs, text, folded=True)


def test_the_skill_detector_on_the_dev_sets():
    for name in ("dev_answers", "dev_redflags", "dev_redflags3"):
        for item in load_set(name):
            text = item["text"]
            assert RUNTIME.red_flags.detect(text) == by_definition(RUNTIME_CUES, RUNTIME.red_flag_signs, text,
                                                                   folded=True), text


def found_by_definition(finder: PhraseFinder, text: str) -> str | None:
    said = words(text)
    stems = [fold(w) for w in said]
    for phrase in finder._phrases:  # longest first (the finder's own order among phrases of one length)
        for start in range(len(stems) - len(phrase) + 1):
            if tuple(stems[start:start + len(phrase)]) == phrase:
                return " ".join(said[start:start + len(phrase)])
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(phrase, max_size=6), texts)
def test_any_phrase_finder_finds_what_its_definition_finds(phrases, text):
    finder = PhraseFinder(phrases)
    assert finder.find(text) == found_by_definition(finder, text)


HARM_WORDS = sorted({w for p in RUNTIME.harm_words for w in p.split()} | {"my", "leg", "really", "4"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HARM_WORDS), max_size=10).map(" ".join))
def test_the_skill_harm_finder_finds_what_its_definition_finds(text):
    assert RUNTIME.harm.find(text) == found_by_definition(RUNTIME.harm, text)
