"""Offline intent matcher: typed or transcribed text -> Alexa intent name and slots.

Two stages, both built from the language source:
1. the hassil templates themselves (exact, with slots);
2. for paraphrases the templates do not list, a nearest-neighbour search over the templates' expansions, on
   IDF-weighted word and word-pair features. It accepts only text that either names the domain (a `domain_words`
   entry) or stays inside the templates' vocabulary, and only above a similarity threshold; everything else is
   AMAZON.FallbackIntent, as Alexa would route it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from hassil import recognize
from hassil.expression import Expression, Group, ListReference, RuleReference, TextChunk
from hassil.intents import RangeSlotList, TextSlotList

from .language import FALLBACK_INTENT, Language, load_language

# Cosine similarity under which a paraphrase is not trusted. Picked on the template expansions themselves (see
# benchmarks/understanding.py for how it performs on the independent dev set), not per dev utterance.
MIN_SIMILARITY = 0.42
# Conversational intents ("yes", "next") are short; a loose match on them is worse than asking again.
MIN_SIMILARITY_NO_TOPIC = 0.6
EXPANSIONS_PER_TEMPLATE = 150

STOP_WORDS = frozenset(
    "a an the my your his her their our this that these those it its them they i me we you he she one someone "
    "is are was were be been am do does did to of in on at for with about and or so if please can could would "
    "will should shall may might must just really very some any".split()
)
CONTRACTIONS = {
    "what's": "what is", "it's": "it is", "that's": "that is", "i'm": "i am", "i've": "i have", "i'd": "i would",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not", "won't": "will not",
    "isn't": "is not", "aren't": "are not", "you're": "you are", "we're": "we are", "there's": "there is",
    "how's": "how is", "where's": "where is", "who's": "who is", "let's": "let us", "shouldn't": "should not",
}
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ied", "ed", "es", "s", "e", "y")


@dataclass(frozen=True)
class Match:
    """What the matcher understood. `intent` is an Alexa intent name; slots map name -> spoken value."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0
    method: str = "none"  # "template", "similar" or "none"

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT


def normalize(text: str) -> str:
    """Lowercase, straight apostrophes, no punctuation, digits kept: the form both stages see."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def range_words(slot_list: RangeSlotList) -> list[str]:
    """A number slot's values as spoken words (what recognizers hear and templates may say)."""
    numbers = range(slot_list.start, slot_list.stop + 1, slot_list.step)
    return [NUMBER_WORDS[n] for n in numbers if n < len(NUMBER_WORDS)]


def spell_digits(text: str) -> str:
    """'step 3' -> 'step three': recognizers never hear digits."""
    return " ".join(NUMBER_WORDS[int(w)] if w.isdigit() and int(w) < len(NUMBER_WORDS) else w for w in text.split())


def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to make cramps/cramping/cramped and prevent/prevention meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    out: list[str] = []
    for word in normalize(text).split():
        expanded = CONTRACTIONS.get(word, word)
        for part in expanded.split():
            if part.isdigit() and int(part) < len(NUMBER_WORDS):
                part = NUMBER_WORDS[int(part)]
            out.append(part)
    return out


def features(text: str) -> list[str]:
    """Content-word stems plus adjacent pairs that hold a content word (pairs keep 'stop getting' apart from
    'stop'; pairs of two function words, such as 'how can', say nothing about the topic)."""
    words = _words(text)
    stems = [stem(w) for w in words]
    content = [s for s, w in zip(stems, words) if w not in STOP_WORDS]
    pairs = [
        f"{stems[i]}_{stems[i + 1]}"
        for i in range(len(words) - 1)
        if words[i] not in STOP_WORDS or words[i + 1] not in STOP_WORDS
    ]
    return content + pairs


class Matcher:
    """Built once per language; `match` is pure and thread-safe."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._domain = {stem(w) for w in language.raw["skill"].get("domain_words", [])}
        self._vocabulary = {stem(w) for w in _template_words(language)}
        self._launch = {normalize(t) for s in language.launch for t in language.expansions(s.expression, keep_slots=False)}
        self._prefixes = sorted(
            {normalize(t) for t in language.expansions(language.invocation_prefix.expression, keep_slots=False)},
            key=len,
            reverse=True,
        )
        self._build_index()

    # -- index -------------------------------------------------------------------------------------------------
    def _build_index(self) -> None:
        samples: list[tuple[str, list[str]]] = []
        self._intent_vocabulary = {
            name: {stem(w) for w in _template_words(self.language, [name])} for name in self.language.intents
        }
        for name in self.language.intents:
            for text in self.language.intent_expansions(
                name, keep_slots=False, per_template=EXPANSIONS_PER_TEMPLATE
            ):
                samples.append((name, features(text)))
        document_frequency: dict[str, int] = defaultdict(int)
        for _, feats in samples:
            for feat in set(feats):
                document_frequency[feat] += 1
        total = len(samples)
        self._idf = {f: math.log((1 + total) / (1 + n)) + 1.0 for f, n in document_frequency.items()}
        self._unknown_idf = math.log(1 + total) + 1.0
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._sample_intent: list[str] = []
        per_intent: dict[str, int] = defaultdict(int)
        feature_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for index, (name, feats) in enumerate(samples):
            vector = self._vector(feats)
            self._sample_intent.append(name)
            per_intent[name] += 1
            for feat, weight in vector.items():
                self._postings[feat].append((index, weight))
                feature_counts[feat][name] += 1
        # P(intent | feature) with every intent weighted equally, however many expansions it has.
        self._cue: dict[str, dict[str, float]] = {}
        for feat, counts in feature_counts.items():
            rates = {name: n / per_intent[name] for name, n in counts.items()}
            total_rate = sum(rates.values())
            self._cue[feat] = {name: rate / total_rate for name, rate in rates.items()}

    def _vector(self, feats: list[str]) -> dict[str, float]:
        counts: dict[str, float] = defaultdict(float)
        for feat in feats:
            counts[feat] += self._idf.get(feat, self._unknown_idf)
        norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
        return {f: v / norm for f, v in counts.items()}

    # -- queries -------------------------------------------------------------------------------------------------
    def is_launch(self, text: str) -> bool:
        return normalize(text) in self._launch

    def strip_invocation(self, text: str) -> str:
        """'ask hamstring helper what causes cramps' -> 'what causes cramps' (unchanged if not addressed so)."""
        norm = normalize(text)
        for prefix in self._prefixes:
            if norm == prefix or norm.startswith(prefix + " "):
                return norm[len(prefix) :].strip()
        return norm

    def match(self, text: str) -> Match:
        norm = normalize(text)
        if not norm:
            return Match(FALLBACK_INTENT)
        exact = self._match_templates(norm)
        if exact is not None:
            return exact
        return self._match_similar(norm)

    def _match_templates(self, norm: str) -> Match | None:
        candidates = [norm]
        expanded = " ".join(_words(norm))
        if expanded != norm:
            candidates.append(expanded)
        for candidate in candidates:
            result = recognize(candidate, self.language.hassil, language="en")
            if result is not None:
                slots = {name: _slot_text(entity.value) for name, entity in result.entities.items()}
                return Match(result.intent.name, slots, 1.0, "template")
        return None

    def _match_similar(self, norm: str) -> Match:
        feats = features(norm)
        words = [w for w in _words(norm) if w not in STOP_WORDS]
        stems = {stem(w) for w in words}
        if not stems:
            return Match(FALLBACK_INTENT)
        names_domain = bool(stems & self._domain)
        outside = stems - self._vocabulary
        if outside and not names_domain:
            return Match(FALLBACK_INTENT, method="none")
        scores = self._scores(feats)
        if names_domain:
            # Naming the domain settles that the request is ours: pick the best topic, whatever its score.
            scores = {name: v for name, v in scores.items() if self.language.intents[name].topic}
        if not scores:
            return Match(FALLBACK_INTENT)
        intent, score = max(scores.items(), key=lambda item: item[1])
        if not names_domain:
            needed = MIN_SIMILARITY if self.language.intents[intent].topic else MIN_SIMILARITY_NO_TOPIC
            # Without a domain word, every word must be one this intent's own templates use: "prevent a cold"
            # borrows "cold" from another intent's sentences, so it is not ours.
            if score < needed or stems - self._intent_vocabulary[intent]:
                return Match(FALLBACK_INTENT, score=score, method="none")
        slots = self._slots_from_text(intent, norm)
        if slots is None:
            return Match(FALLBACK_INTENT, score=score, method="none")
        return Match(intent, slots, score, "similar")

    def _scores(self, feats: list[str]) -> dict[str, float]:
        """Per intent: the mean of its best neighbour's cosine and of the IDF-weighted cue share."""
        query = self._vector(feats)
        nearest: dict[str, float] = defaultdict(float)
        sample_scores: dict[int, float] = defaultdict(float)
        for feat, weight in query.items():
            for index, sample_weight in self._postings.get(feat, ()):
                sample_scores[index] += weight * sample_weight
        for index, score in sample_scores.items():
            name = self._sample_intent[index]
            nearest[name] = max(nearest[name], score)
        cue: dict[str, float] = defaultdict(float)
        total = 0.0
        for feat in set(feats):
            weight = self._idf.get(feat, self._unknown_idf)
            total += weight
            for name, share in self._cue.get(feat, {}).items():
                cue[name] += weight * share
        return {name: 0.5 * nearest.get(name, 0.0) + 0.5 * cue.get(name, 0.0) / (total or 1.0) for name in nearest}

    def _slots_from_text(self, intent: str, norm: str) -> dict[str, str] | None:
        """Slot values for a paraphrase: numbers for range slots. None when a slot the intent needs is absent."""
        slots: dict[str, str] = {}
        for slot in self.language.intents[intent].slot_types:
            low, high = self.language.slot_range(slot)
            numbers = [NUMBER_WORDS.index(w) for w in _words(norm) if w in NUMBER_WORDS]
            numbers = [n for n in numbers if low <= n <= high]
            if not numbers:
                return None
            slots[slot] = str(numbers[-1])
        return slots


def _slot_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _template_words(language: Language, intents: list[str] | None = None) -> set[str]:
    """Every word the templates (of `intents`, default all) can produce, read off the template trees."""
    words: set[str] = set()

    def walk(expression: Expression) -> None:
        if isinstance(expression, TextChunk):
            words.update(_words(expression.original_text))
        elif isinstance(expression, Group):
            for item in expression.items:
                walk(item)
        elif isinstance(expression, RuleReference):
            walk(language.hassil.expansion_rules[expression.rule_name].expression)
        elif isinstance(expression, ListReference):
            slot_list = language.hassil.slot_lists.get(expression.list_name)
            if isinstance(slot_list, TextSlotList):
                for value in slot_list.values:
                    walk(value.text_in)
            elif isinstance(slot_list, RangeSlotList):
                words.update(range_words(slot_list))

    for name in intents if intents is not None else language.intents:
        for sentence in language.sentences(name):
            walk(sentence.expression)
    return words


@lru_cache(maxsize=2)
def default_matcher() -> Matcher:
    return Matcher(load_language())
