"""Offline intent matcher: typed or transcribed text -> Alexa intent name, slots and their resolved ids.

Stages, all built from the language source:
0. red flags first: a cue of the `red_flag` list anywhere in the text is RedFlagIntent, whatever else it says;
1. the hassil templates themselves (exact, with slots; among several readings the conversation's topic decides),
   then once more without the discourse markers in front ("ok and how do i avoid them", "right go on"), and a
   topic's question at the end of a story ("... and my hamstring seized up, what should i do");
2. frames marked `open_values` with any short phrase in the slot ("does tonic water help"), as Alexa sends a value
   it could not resolve; only when the text names the domain or a session is open;
3. for paraphrases the templates do not list, a nearest-neighbour search over the templates' expansions, on
   IDF-weighted word and word-pair features, with slot values read out of the text. It accepts only text that
   either names the domain (a `domain_words` entry) or stays inside the templates' vocabulary, and only above a
   similarity threshold; everything else is AMAZON.FallbackIntent, as Alexa would route it.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from hassil import recognize, recognize_all
from hassil.intents import RangeSlotList, SlotList, WildcardSlotList

from .derived_cache import cached_object, input_key, library_version
from .language import Language, load_language
from .names import FALLBACK_INTENT, HARM_SLOT, RED_FLAG_INTENT, RED_FLAG_LIST, STOP_INTENT
from .redflags import PhraseFinder, RedFlagDetector, RedFlagHit
from .semantic import NOT_COVERED, RED_FLAG_PREFIX, TOPIC_PREFIX, SemanticStage, load_stage
from .text import NUMBER_WORDS, normalize, stem, stems, words
from .walk import VocabularyWalker

# Where the semantic stage finds an answer id, the question intent that carries it (in this order: relief first).
SEMANTIC_QUESTION_INTENTS = ("RemedyIntent", "ActionIntent", "CauseIntent", "ConcernIntent", "GroupIntent")
# An open slot takes at most this many words: "does tonic water help" yes, a whole second sentence no.
MAX_OPEN_VALUE_WORDS = 4
# Lists whose values are spotted in paraphrases, and the question intent each one's slot belongs to.
SPOTTED_LISTS = ("factor", "group", "concern", "remedy", "action")
SPOT_ORDER = {  # tie-breaks between lists, by what the question's cue words say it asks
    "cause": ("factor", "concern", "remedy", "action", "group"),
    "prevention": ("remedy", "action", "concern", "factor", "group"),
    "plain": ("remedy", "action", "concern", "group", "factor"),
}
SPOT_INTENT = {"factor": "CauseIntent", "group": "GroupIntent", "concern": "ConcernIntent",
               "remedy": "RemedyIntent", "action": "ActionIntent"}
# Which question intents suit a conversation's topic, when one utterance reads as several ("what about potassium"
# is a cause while talking about causes, a remedy otherwise).
TOPIC_AFFINITY = {
    "causes": ("CauseIntent",),
    "risk_factors": ("CauseIntent",),
    "complications": ("ConcernIntent",),
    "prevention": ("PreventWithIntent", "RemedyIntent", "ActionIntent"),
    "treatment": ("RemedyIntent", "ActionIntent"),
}

# Cosine similarity under which a paraphrase is not trusted. Picked on the template expansions themselves (see
# benchmarks/understanding.py for how it performs on the independent dev set), not per dev utterance.
MIN_SIMILARITY = 0.42
# Conversational intents ("yes", "next") are short; a loose match on them is worse than asking again.
MIN_SIMILARITY_NO_TOPIC = 0.6
EXPANSIONS_PER_TEMPLATE = 150
# Question words a story's end is tried from (each try is a template match, about 2 ms).
MAX_STORY_QUESTIONS = 3

STOP_WORDS = frozenset(
    "a an the my your his her their our this that these those it its them they i me we you he she one someone "
    "is are was were be been am do does did to of in on at for with about and or so if please can could would "
    "will should shall may might must just really very some any".split()
)


@dataclass(frozen=True)
class Match:
    """What the matcher understood. `intent` is an Alexa intent name; slots map name -> spoken value."""

    intent: str
    slots: dict[str, str] = field(default_factory=dict)  # slot -> the words said
    resolved: dict[str, str] = field(default_factory=dict)  # slot -> value id, when the value is in its list
    score: float = 0.0
    method: str = "none"  # "red_flag", "template", "open", "similar" or "none"

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT


@dataclass(frozen=True)
class MovingOn:
    """The `moving_on` rule of the language source: which intents a tail may be, how long, and the one-word ones."""

    intents: frozenset[str]
    max_words: int
    single_words: frozenset[str]


@dataclass(frozen=True)
class MatchContext:
    """What the conversation knows before this utterance: a follow-up is read in its light."""

    in_session: bool = False
    topic: str | None = None


def features(text: str) -> list[str]:
    """Content-word stems plus adjacent pairs that hold a content word (pairs keep 'stop getting' apart from
    'stop'; pairs of two function words, such as 'how can', say nothing about the topic)."""
    said = words(text)
    stems = [stem(w) for w in said]
    content = [s for s, w in zip(stems, said, strict=True) if w not in STOP_WORDS]
    pairs = [
        f"{stems[i]}_{stems[i + 1]}"
        for i in range(len(said) - 1)
        if said[i] not in STOP_WORDS or said[i + 1] not in STOP_WORDS
    ]
    return content + pairs


class Matcher:
    """Built once per language; `match` is pure and thread-safe."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._domain = {stem(w) for w in language.raw["skill"].get("domain_words", [])}
        # Everything expanded from the templates and lists is derived from them and this code only: built once,
        # then read from the cache (intents/derived_cache.py).
        index = cached_object("matcher-index", _index_key(language), self._build_index)
        self.__dict__.update(index)
        self.harm = PhraseFinder(language.raw["skill"].get("harm_words", []))
        self._beside_a_question_flags = frozenset(language.raw["skill"].get("beside_a_question", ()))
        self._open_lists: dict[str, SlotList] = {name: WildcardSlotList(name=name) for name in language.text_lists}
        skill = language.raw["skill"]
        self._other_body = {stem(w) for w in skill.get("other_body_parts", [])}
        self._leg = {stem(w) for w in skill.get("leg_words", [])}
        self._cramp = {stem(w) for w in skill.get("cramp_words", [])}
        cues = skill.get("question_cues", {})
        # Longest first, so "hi there" goes before "hi".
        self._markers = sorted((tuple(words(m)) for m in skill.get("discourse_markers", [])), key=len, reverse=True)
        self._question_starts = frozenset(skill.get("question_starts", []))
        moving_on = skill.get("moving_on", {})
        self._moving_on = MovingOn(frozenset(moving_on.get("intents", [])), int(moving_on.get("max_words", 0)),
                                   frozenset(moving_on.get("single_words", [])))
        self._cues = {kind: {tuple(stems(c)) for c in phrases} for kind, phrases in cues.items()}
        self._spot_longest = max(len(k) for table in self._spot.values() for k in table)

    # -- index -------------------------------------------------------------------------------------------------
    def _build_index(self) -> dict[str, object]:
        """Launch phrases, invocation prefixes, red-flag cues, slot values by words and stems, and the template
        expansions' features, IDF weights, postings and cue shares (INDEX_FIELDS), for the cache."""
        language = self.language
        self._launch = {
            normalize(t) for s in language.launch for t in language.expansions(s.expression, keep_slots=False)
        }
        self._prefixes = sorted(
            {normalize(t) for t in language.expansions(language.invocation_prefix.expression, keep_slots=False)},
            key=len,
            reverse=True,
        )
        self.red_flags = RedFlagDetector(
            {flag: [tuple(words(p)) for p in phrases] for flag, phrases in language.value_phrases(RED_FLAG_LIST, None)},
            language.raw.get("red_flag_signs", {}),
        )
        # Slot values by their words, for reading values out of paraphrases: list -> word tuple -> value id.
        self._values = {
            name: {tuple(words(p)): value_id for value_id, phrases in language.value_phrases(name) for p in phrases}
            for name in language.text_lists
        }
        self._longest_value = {name: max((len(k) for k in table), default=0) for name, table in self._values.items()}
        # Slot values by their stems, for spotting them in paraphrases: list -> stem tuple -> value id.
        self._spot = {
            name: {tuple(stems(p)): value_id for value_id, phrases in language.value_phrases(name) for p in phrases}
            for name in SPOTTED_LISTS
        }
        samples: list[tuple[str, list[str]]] = []
        self._vocabulary = {stem(w) for w in _templatewords(self.language)}
        self._intent_vocabulary = {
            name: {stem(w) for w in _templatewords(self.language, [name])} for name in self.language.intents
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
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        self._sample_intent: list[str] = []
        per_intent: dict[str, int] = defaultdict(int)
        feature_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for index, (name, feats) in enumerate(samples):
            vector = self._vector(feats)
            self._sample_intent.append(name)
            per_intent[name] += 1
            for feat, weight in vector.items():
                postings[feat][0].append(index)
                postings[feat][1].append(weight)
                feature_counts[feat][name] += 1
        # One flat pair of arrays with each feature's (start, end) in them, not a list of (index, weight) tuples per
        # feature: the same numbers, and the index loads from the cache in milliseconds instead of 120 ms (a million
        # small objects, or tens of thousands of arrays, to rebuild).
        self._posting_samples, self._posting_weights = array("I"), array("d")
        self._postings: dict[str, tuple[int, int]] = {}
        for feat, (found, weights) in postings.items():
            start = len(self._posting_samples)
            self._posting_samples.extend(found)
            self._posting_weights.extend(weights)
            self._postings[feat] = (start, len(self._posting_samples))
        # P(intent | feature) with every intent weighted equally, however many expansions it has.
        self._cue: dict[str, dict[str, float]] = {}
        for feat, counts in feature_counts.items():
            rates = {name: n / per_intent[name] for name, n in counts.items()}
            total_rate = sum(rates.values())
            self._cue[feat] = {name: rate / total_rate for name, rate in rates.items()}
        return {name: getattr(self, name) for name in INDEX_FIELDS}

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

    def match(self, text: str, context: MatchContext | None = None) -> Match:
        context = context or MatchContext()
        norm = normalize(text)
        if not norm:
            return Match(FALLBACK_INTENT)
        return self._with_harm(norm, self._understand(norm, context))

    def _with_harm(self, norm: str, match: Match) -> Match:
        """A pain or injury mention rides along as the `harm` slot, so the skill adds its safety net to the answer."""
        if match.intent in (RED_FLAG_INTENT, FALLBACK_INTENT) or HARM_SLOT in match.slots:
            # A red flag's answer, or its guidance beside the question, says more; a miss carries the safety net anyway.
            return match
        found = self.harm.find(norm)
        return replace(match, slots={**match.slots, HARM_SLOT: found}) if found else match

    def _understand(self, norm: str, context: MatchContext) -> Match:
        flag = self.red_flags.detect(norm)
        if flag is not None and flag.id in self._beside_a_question_flags and self._elsewhere_in_body(norm):
            flag = None  # "my foot cramps every night": time words about a cramp elsewhere; the miss has the safety net
        if flag is not None:
            return self._beside_a_question(norm, flag) or Match(
                RED_FLAG_INTENT, {RED_FLAG_LIST: flag.cue}, {RED_FLAG_LIST: flag.id}, 1.0, "red_flag")
        if self._elsewhere_in_body(norm):
            return Match(FALLBACK_INTENT, method="none")
        exact = self._match_templates(norm, context)
        if exact is None and (bare := self._without_markers(norm)) != norm and bare:
            exact = self._match_templates(bare, context)
        if exact is not None:  # a sentence of ours, word for word: nothing to guess
            return exact
        semantic = self.semantic
        told = semantic.red_flag(norm) if semantic is not None else None
        if told is not None:  # a warning sign told in words no cue holds: before any question it came with
            return self._for_label(told.label, told.similarity, norm) or Match(RED_FLAG_INTENT)
        farewell = self._match_moving_on(norm, context, goodbye=True)
        if farewell is not None:
            return farewell
        story = self._match_story_question(norm, context)
        if story is not None:
            return story
        found = self._match_words(norm, context)
        # Ours to read only when it names the domain, or follows a turn of ours in words of ours (the templates' and
        # the exemplars'): "how many calories are in a banana" is not, even mid-session.
        ours = found.method == "similar" or self._names_domain(norm)
        # Out of a session, words of ours that the exemplars read surely ("it really stings how long till it stops")
        # are ours too.
        ours = ours or (semantic is not None and self._in_vocabulary(norm, semantic.words)
                        and (context.in_session or semantic.answer(norm, sure=True) is not None))
        if semantic is not None and ours and (found.is_fallback or found.method == "similar"):
            # Where the words found nothing, or only a loose paraphrase, the nearest exemplars may know better; over
            # a paraphrase they need to be surer, unless it was taken only because the text names the domain, below
            # the bar it would need otherwise (measured on the dev sets: docs/understanding.md).
            weak = found.method == "similar" and found.score < MIN_SIMILARITY
            reading = semantic.answer(norm, sure=not (found.is_fallback or weak))
            meant = self._for_label(reading.label, reading.similarity) if reading is not None else None
            found = meant or found
        if found.is_fallback:  # nothing else read it: "ok i'm off the bike, what next"
            return self._match_moving_on(norm, context) or found
        return found

    def _beside_a_question(self, norm: str, flag: RedFlagHit) -> Match | None:
        """The question a sentence asks around a cue of everyday time words ("i do yoga every morning would that help
        with cramps"), with the cue as the `harm` slot so the skill says the flag's guidance beside the answer; None
        (the red flag is the answer) unless the exemplars read the sentence as one of our questions and not as a red
        flag, and the cue's words alone still say the flag to the skill."""
        semantic = self.semantic
        if flag.id not in self._beside_a_question_flags or semantic is None or semantic.red_flag(norm) is not None:
            return None
        cue = " ".join(w for w in flag.cue.split() if w != "...")  # the words of a sign's groups, as said
        # A question ("... would that help", "does ... cause") needs only the exemplars' plain bar; a statement ("i
        # get hamstring cramps all the time", "it will not stop": the cue's own words ask nothing) the sure one.
        asks = bool((set(words(norm)) - set(words(cue))) & self._question_starts)
        reading = semantic.answer(norm, sure=not asks)
        asked = self._for_label(reading.label, reading.similarity) if reading is not None else None
        heard = self.red_flags.detect(cue)
        if asked is None or heard is None or heard.id != flag.id:
            return None
        return replace(asked, slots={**asked.slots, HARM_SLOT: cue})

    def _match_words(self, norm: str, context: MatchContext) -> Match:
        """The fuzzy stages over the templates' own words: spotted slot values, open values, then similar."""
        spotted = self._match_spotted(norm, context)
        if spotted is not None:
            return spotted
        if context.in_session or self._names_domain(norm):
            opened = self._match_open(norm)
            if opened is not None:
                return opened
        return self._match_similar(norm)

    @cached_property
    def semantic(self) -> SemanticStage | None:
        return load_stage()

    def _for_label(self, label: str, score: float, said: str = "") -> Match | None:
        """The request that asks for `label` (an exemplar's): a red flag (with the words `said`), a topic's intent, a
        one-off question's intent, or a question intent whose slot list has the answer as a value (the value's
        first phrasing as the words)."""
        if label.startswith(RED_FLAG_PREFIX):
            return Match(RED_FLAG_INTENT, {RED_FLAG_LIST: said or label}, {RED_FLAG_LIST: label}, score, "semantic")
        if label.startswith(TOPIC_PREFIX):
            intent = self.language.intent_by_topic.get(label[len(TOPIC_PREFIX):])
            return Match(intent, score=score, method="semantic") if intent else None
        for intent, answer in self.language.answer_by_intent.items():
            if answer == label:
                return Match(intent, score=score, method="semantic")
        if label == NOT_COVERED:  # an honest "not covered" about whatever it was
            return Match("RemedyIntent", score=score, method="semantic")
        for intent in SEMANTIC_QUESTION_INTENTS:
            for slot in self.language.intents[intent].slot_types:
                phrase = self._first_phrase.get(slot, {}).get(label)
                if phrase is not None:
                    return Match(intent, {slot: phrase}, {slot: label}, score, "semantic")
        return None

    @cached_property
    def _first_phrase(self) -> dict[str, dict[str, str]]:
        """list -> value id -> the value's first phrasing (how a request names it)."""
        table: dict[str, dict[str, str]] = {}
        for name in self.language.text_lists:
            for value_id, phrases in self.language.value_phrases(name):
                if phrases:
                    table.setdefault(name, {}).setdefault(value_id, phrases[0])
        return table

    def _in_vocabulary(self, norm: str, extra: frozenset[str] = frozenset()) -> bool:
        return not {stem(w) for w in words(norm) if w not in STOP_WORDS} - self._vocabulary - extra

    def _without_markers(self, norm: str) -> str:
        """The text without the discourse markers in front of it: "ok and how do i avoid them" -> "how do i avoid
        them". Compared on the words as spoken, contractions expanded."""
        said = words(norm)
        start, found = 0, True
        while found:
            found = False
            for marker in self._markers:
                if tuple(said[start : start + len(marker)]) == marker:
                    start, found = start + len(marker), True
                    break
        return " ".join(said[start:]) if start else norm

    def _match_story_question(self, norm: str, context: MatchContext) -> Match | None:
        """The broad question a story ends with: from a question word on, the longest tail that is a topic's own
        question by the templates. Only a topic's or a one-off question's (a question about a slot value inside a
        story is the value spotter's), and
        only when the story is about our leg ("my shoulder has been stiff for a week, what should i do" is not)."""
        said = words(norm)
        named = set(stems(norm))
        if not named & self._domain or (named & self._other_body and not named & self._leg):
            return None
        starts = [i for i in range(1, len(said) - 1) if said[i] in self._question_starts][:MAX_STORY_QUESTIONS]
        for start in starts:
            match = self._match_templates(" ".join(said[start:]), context)
            spec = self.language.intents.get(match.intent) if match is not None else None
            if spec is not None and (spec.topic or spec.answer):
                return match
        return None

    def _match_moving_on(self, norm: str, context: MatchContext, goodbye: bool = False) -> Match | None:
        """A remark that ends in words moving the conversation on ("ok i'm off the bike, what next", "right i'll
        ring the surgery, thank you goodbye"): the longest such tail, one of the `moving_on` intents' own
        sentences. Tried only when the last word is one those intents' templates use. Not the end of a question
        ("what do i do" does not end in a yes, "i do"), and, but for a goodbye, not after a remark that names the
        domain: "my hamstring cramped at the gym, what now" asks what to do about it. `goodbye`: only a goodbye's
        tail (tried before any other reading: "right i'll ring the surgery, thank you goodbye"); the others are
        tried only where nothing else read the text ("i'm diabetic, is that why" asks about diabetes)."""
        rule = self._moving_on
        said = words(norm)
        if len(said) < 2 or stem(said[-1]) not in self._moving_on_words[goodbye]:
            return None
        for start in range(max(1, len(said) - rule.max_words), len(said)):
            tail = said[start:]
            if (len(tail) == 1 and tail[0] not in rule.single_words) or said[start - 1] in self._question_starts:
                continue
            match = self._match_templates(" ".join(tail), context)
            if match is None or match.intent not in rule.intents or (goodbye and match.intent != STOP_INTENT):
                continue
            # A goodbye even as a new session's first words (after an emergency's answer closed the last one).
            if match.intent == STOP_INTENT or (context.in_session and not self._names_domain(" ".join(said[:start]))):
                return match
        return None

    @cached_property
    def _moving_on_words(self) -> dict[bool, frozenset[str]]:
        """The words the `moving_on` intents' templates use, and (under True) a goodbye's alone."""
        return {goodbye: frozenset(w for name in self._moving_on.intents if not goodbye or name == STOP_INTENT
                                   for w in self._intent_vocabulary.get(name, ()))
                for goodbye in (False, True)}

    def _elsewhere_in_body(self, norm: str) -> bool:
        """A cramp in the foot or the stomach is someone else's question, unless the leg is named as well."""
        said = set(stems(norm))
        return bool(said & self._cramp and said & self._other_body) and not said & self._leg

    def _mentions(self, said: list[str], table: dict[tuple[str, ...], str]) -> list[tuple[int, int, str]]:
        """Longest, non-overlapping value phrases of one list in the text, left to right: (start, end, id)."""
        found: list[tuple[int, int, str]] = []
        start = 0
        while start < len(said):
            for end in range(min(len(said), start + self._spot_longest), start, -1):
                value_id = table.get(tuple(said[start:end]))
                if value_id is not None:
                    found.append((start, end, value_id))
                    start = end
                    break
            else:
                start += 1
        return found

    def _has_cue(self, said: list[str], kind: str) -> bool:
        cues = self._cues.get(kind, set())
        return any(tuple(said[i:j]) in cues for i in range(len(said)) for j in range(i + 1, min(len(said), i + 6) + 1))

    def _match_spotted(self, norm: str, context: MatchContext) -> Match | None:
        """A paraphrase that names one of our slot values asks about it: "is a bag of frozen peas ok for it".

        The longest value named wins; on a tie, the question's cue words decide (a cause, prevention, or else a
        remedy first). Text with words we don't know is ours only if it names the domain, or, inside a session, if
        the value named is a phrase of two words or more and at most one word is unknown."""
        plain = words(norm)
        said = [stem(w) for w in plain]
        found = [(name, *m) for name in SPOTTED_LISTS for m in self._mentions(said, self._spot[name])]
        if not found:
            return None
        cause, prevention = self._has_cue(said, "cause"), self._has_cue(said, "prevention")
        order = SPOT_ORDER["cause" if cause else "prevention" if prevention else "plain"]
        # On a tie within a list, the rarer value: "bananas" says more than "eating" ("should they be eating bananas").
        chosen, start, end, value_id = max(found, key=lambda m: (m[2] - m[1], -order.index(m[0]),
                                                                 sum(self._idf.get(w, 0.0) for w in said[m[1]:m[2]])))
        covered = {i for _, s0, e0, _ in found for i in range(s0, e0)}
        rest = {said[i] for i in range(len(said)) if i not in covered and plain[i] not in STOP_WORDS}
        unknown = rest - self._vocabulary
        if unknown and not set(said) & self._domain:
            named = [w for w in plain[start:end] if w not in STOP_WORDS]
            # Inside a session, unknown words may be the story around a question that is plainly ours: a cause
            # asked about ("i was exhausted at the end of the match, is that why"), or a value of two words or more.
            asks_cause = cause and chosen == "factor"
            if not (context.in_session and (asks_cause or (len(unknown) == 1 and len(named) >= 2))):
                return None  # words we don't know and no sign it is about cramps: not ours
        if prevention and chosen in ("group", "factor"):
            return None  # "how do runners prevent cramps" is the prevention topic, read by similarity
        if chosen == "factor" and not cause and any(m[0] != "factor" for m in found):
            return None
        intent, slot = SPOT_INTENT[chosen], chosen
        if prevention and chosen in ("remedy", "action"):
            intent, slot = "PreventWithIntent", "remedy"
        return Match(intent, {slot: " ".join(plain[start:end])}, {slot: value_id}, 0.8, "spotted")

    def _candidates(self, norm: str) -> list[str]:
        expanded = " ".join(words(norm))
        return [norm] if expanded == norm else [norm, expanded]

    def _match_templates(self, norm: str, context: MatchContext) -> Match | None:
        preferred = TOPIC_AFFINITY.get(context.topic or "", ())
        for candidate in self._candidates(norm):
            results = list(recognize_all(candidate, self.language.hassil, language="en"))
            if not results:
                continue
            # A reading whose slots all resolved beats one that fell back to a wildcard; then the topic's intents.
            best = min(
                results,
                key=lambda r: (
                    any(e.is_wildcard for e in r.entities.values()),
                    r.intent.name not in preferred,
                    -r.text_chunks_matched,
                ),
            )
            return self._from_result(best, "template")
        return None

    def _match_open(self, norm: str) -> Match | None:
        for candidate in self._candidates(norm):
            result = recognize(candidate, self.language.open_intents, slot_lists=self._open_lists, language="en")
            if result is None:
                continue
            values = [str(e.text).strip() for e in result.entities.values()]
            if all(0 < len(v.split()) <= MAX_OPEN_VALUE_WORDS for v in values):
                match = self._from_result(result, "open")
                # A value of the list said in an open frame still resolves ("can i take an ibuprofen tablet").
                resolved = {
                    slot: value_id
                    for slot, said in match.slots.items()
                    if (value_id := self._value_in(slot, said)) is not None
                }
                return Match(match.intent, match.slots, resolved, 0.9, "open")
        return None

    def _from_result(self, result, method: str) -> Match:
        slots: dict[str, str] = {}
        resolved: dict[str, str] = {}
        for name, entity in result.entities.items():
            if isinstance(self.language.hassil.slot_lists.get(name), RangeSlotList):
                slots[name] = _slot_text(entity.value)
                continue
            slots[name] = str(entity.text).strip()
            if not entity.is_wildcard:
                resolved[name] = str(entity.value)
        return Match(result.intent.name, slots, resolved, 1.0, method)

    def _names_domain(self, norm: str) -> bool:
        return bool({stem(w) for w in words(norm)} & self._domain)

    def _match_similar(self, norm: str) -> Match:
        feats = features(norm)
        stems = {stem(w) for w in words(norm) if w not in STOP_WORDS}
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
        found = self._slots_from_text(intent, norm)
        if found is None:
            return Match(FALLBACK_INTENT, score=score, method="none")
        slots, resolved = found
        return Match(intent, slots, resolved, score, "similar")

    def _scores(self, feats: list[str]) -> dict[str, float]:
        """Per intent: the mean of its best neighbour's cosine and of the IDF-weighted cue share."""
        query = self._vector(feats)
        nearest: dict[str, float] = defaultdict(float)
        sample_scores: dict[int, float] = defaultdict(float)
        for feat, weight in query.items():
            start, end = self._postings.get(feat, (0, 0))
            for index, sample_weight in zip(self._posting_samples[start:end], self._posting_weights[start:end],
                                            strict=True):
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

    def _slots_from_text(self, intent: str, norm: str) -> tuple[dict[str, str], dict[str, str]] | None:
        """Slot values for a paraphrase: the last number for a range slot, the longest value phrase of the list for
        a text slot. None when a slot the intent needs is not in the text."""
        said = words(norm)
        slots: dict[str, str] = {}
        resolved: dict[str, str] = {}
        for slot in self.language.intents[intent].slot_types:
            slot_list = self.language.hassil.slot_lists[slot]
            if isinstance(slot_list, RangeSlotList):
                numbers = [NUMBER_WORDS.index(w) for w in said if w in NUMBER_WORDS]
                numbers = [n for n in numbers if slot_list.start <= n <= slot_list.stop]
                if not numbers:
                    return None
                slots[slot] = str(numbers[-1])
                continue
            best: tuple[int, str, str] | None = None
            table = self._values[slot]
            longest = self._longest_value[slot]
            for start in range(len(said)):
                # No value phrase is longer than `longest` words: looking further would only cost time.
                for end in range(min(len(said), start + longest), start, -1):
                    value_id = table.get(tuple(said[start:end]))
                    if value_id is not None and (best is None or end - start > best[0]):
                        best = (end - start, " ".join(said[start:end]), value_id)
                        break
            if best is None:
                return None
            slots[slot], resolved[slot] = best[1], best[2]
        return slots, resolved

    def _value_in(self, slot: str, said: str) -> str | None:
        return self._values.get(slot, {}).get(tuple(words(said)))


def _slot_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _templatewords(language: Language, intents: list[str] | None = None) -> set[str]:
    """Every word the templates (of `intents`, default all) can produce, read off the template trees."""
    walker = VocabularyWalker(language.hassil.expansion_rules, language.hassil.slot_lists, words)
    for name in intents if intents is not None else language.intents:
        for sentence in language.sentences(name):
            walker.visit(sentence.expression)
    return walker.words


INDEX_FIELDS = ("_launch", "_prefixes", "red_flags", "_values", "_longest_value", "_spot", "_vocabulary",
                "_intent_vocabulary", "_idf", "_unknown_idf", "_postings", "_posting_samples", "_posting_weights",
                "_sample_intent", "_cue")


def _index_key(language: Language) -> str:
    """What the index is derived from: the language source, the code that expands and indexes it, and hassil."""
    here = Path(__file__).resolve().parent
    code = [here / f"{module}.py" for module in ("matcher", "language", "walk", "text", "redflags")]
    return input_key([language.path, *code], [library_version("hassil"), "pickle"])


@lru_cache(maxsize=2)
def default_matcher() -> Matcher:
    return Matcher(load_language())


class SampleMatcher(Matcher):
    """Only what the generated Alexa interaction model carries: a sentence of the templates with its slot values,
    matched exactly; anything else is AMAZON.FallbackIntent. The understanding benchmark's "Alexa-faithful" reading,
    so that a mechanism only the offline matcher has cannot hide a gap on a device."""

    def match(self, text: str, context: MatchContext | None = None) -> Match:
        norm = normalize(text)
        exact = self._match_templates(norm, context or MatchContext()) if norm else None
        if exact is None and " ".join(re.sub(r"[^a-z' ]", " ", norm).split()) in self._red_flag_samples:
            return Match(RED_FLAG_INTENT, score=1.0, method="template")  # a red-flag story sample, slot-less
        return exact or Match(FALLBACK_INTENT, method="none")

    @cached_property
    def _red_flag_samples(self) -> frozenset[str]:
        from .alexa_model import red_flag_exemplar_samples

        return frozenset(red_flag_exemplar_samples())
