"""The language source (`sentences/en.yaml`) loaded once, with the views every consumer needs.

The Alexa model generator, the offline matcher and the recognizer grammars all start here, so they cannot drift apart.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import yaml
from hassil import Intents
from hassil.expression import Alternative, Expression, Group, ListReference, Sentence
from hassil.intents import RangeSlotList, SlotList, TextSlotList
from hassil.parse_expression import parse_sentence
from hassil.sample import sample_expression

from .names import BUILTIN_PREFIX
from .walk import CountWalker, TemplateWalker, list_phrases

SENTENCES_FILE = "en.yaml"

# Above this many expansions a template is sampled at random (seeded) instead of enumerated.
ENUMERATION_LIMIT = 400


@dataclass(frozen=True)
class IntentSpec:
    """One intent as the rest of the project sees it."""

    name: str
    templates: tuple[str, ...]
    topic: str | None = None
    answer: str | None = None  # a one-off question intent's specific answer id
    slot_types: dict[str, str] = field(default_factory=dict)
    canonical: tuple[str, ...] = ()
    extends_builtin: bool = False  # our samples go to Alexa too, extending a built-in's own

    @property
    def is_builtin(self) -> bool:
        return self.name.startswith(BUILTIN_PREFIX)


@dataclass(frozen=True)
class Language:
    """Parsed language source: hassil intents plus skill-level settings."""

    path: Path
    raw: dict
    hassil: Intents
    intents: dict[str, IntentSpec]
    invocation_name: str
    locales: tuple[str, ...]
    launch: tuple[Sentence, ...]
    invocation_prefix: Sentence
    open_intents: Intents  # only the template blocks marked `open_values`: frames that keep their meaning whatever
    # fills the slot (parsed with the rest, so that the cache holds it: 0.26 s of a first open-value match otherwise)

    @cached_property
    def topic_by_intent(self) -> dict[str, str]:
        return {name: spec.topic for name, spec in self.intents.items() if spec.topic}

    @cached_property
    def intent_by_topic(self) -> dict[str, str]:
        return {topic: name for name, topic in self.topic_by_intent.items()}

    @cached_property
    def answer_by_intent(self) -> dict[str, str]:
        return {name: spec.answer for name, spec in self.intents.items() if spec.answer}

    def sentences(self, intent: str) -> list[Sentence]:
        return [s for data in self.hassil.intents[intent].data for s in data.sentences]

    def recognizer_sentences(self, intent: str) -> list[Sentence]:
        """The sentences a recognizer's grammar holds: all but blocks marked `recognizer_grammar: false`."""
        blocks = self.raw["intents"][intent]["data"]
        return [
            s
            for data, raw in zip(self.hassil.intents[intent].data, blocks, strict=True)
            if (raw.get("metadata") or {}).get("recognizer_grammar", True)
            for s in data.sentences
        ]

    @cached_property
    def text_lists(self) -> dict[str, TextSlotList]:
        """Slot lists of words (not number ranges), by list name."""
        return {n: sl for n, sl in self.hassil.slot_lists.items() if isinstance(sl, TextSlotList)}

    def value_phrases(self, list_name: str, limit: int | None = ENUMERATION_LIMIT) -> list[tuple[str, list[str]]]:
        """Each value of a text slot list: (its id, its spoken phrasings; the first is its name). Values that share
        an id are merged. `limit` caps phrasings per value (a seeded sample), None takes them all."""
        merged: dict[str, list[str]] = {}
        for index, value in enumerate(self.text_lists[list_name].values):
            if limit is None:
                found = sample_expression(
                    value.text_in, self.hassil.slot_lists, self.hassil.expansion_rules, language="en"
                )
                texts = _distinct(_clean(t) for t in found)
            else:
                texts = self.expansions(value.text_in, keep_slots=False, limit=limit, seed=index)
            merged.setdefault(str(value.value_out), []).extend(texts)
        return [(value_id, _distinct(texts)) for value_id, texts in merged.items()]

    def slot_range(self, list_name: str) -> tuple[int, int]:
        slot_list = self.hassil.slot_lists[list_name]
        assert isinstance(slot_list, RangeSlotList), list_name
        return slot_list.start, slot_list.stop

    def expansions(
        self, expression: Expression, *, keep_slots: bool, limit: int = ENUMERATION_LIMIT, seed: int = 0
    ) -> list[str]:
        """Distinct phrasings of one template: all of them when few, else a seeded random sample of `limit`.

        keep_slots=True leaves `{slot}` placeholders (Alexa's sample shape); False fills in every slot value.
        """
        total = count_expansions(expression, self)
        if total <= limit:
            found = sample_expression(
                expression,
                self.hassil.slot_lists,
                self.hassil.expansion_rules,
                language="en",
                expand_lists=not keep_slots,
                expand_ranges=not keep_slots,
            )
            return _distinct(_clean(text) for text in found)
        rng = random.Random(seed)
        picked: list[str] = [_clean(t) for t in _random_expansions(expression, self, rng, keep_slots, limit * 3)]
        return _distinct(picked)[:limit]

    def intent_expansions(
        self, intent: str, *, keep_slots: bool, per_template: int = ENUMERATION_LIMIT, recognizer: bool = False
    ) -> list[str]:
        """Phrasings of every template of an intent (`recognizer`: only those a recognizer grammar holds)."""
        texts: list[str] = []
        sentences = self.recognizer_sentences(intent) if recognizer else self.sentences(intent)
        for index, sentence in enumerate(sentences):
            texts.extend(
                self.expansions(sentence.expression, keep_slots=keep_slots, limit=per_template, seed=index)
            )
        return _distinct(texts)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _distinct(texts) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def count_expansions(expression: Expression, language: Language) -> int:
    """How many strings a template expands to (slots counted by their values), without enumerating them."""
    return CountWalker(language.hassil.expansion_rules, language.hassil.slot_lists).visit(expression)


class _RandomWalker(TemplateWalker[Iterator[str]]):
    """One random path through a template (slots kept as `{slot}` or filled with a random value)."""

    def __init__(self, language: Language, rng: random.Random, keep_slots: bool) -> None:
        super().__init__(language.hassil.expansion_rules, language.hassil.slot_lists)
        self.rng = rng
        self.keep_slots = keep_slots

    def visit_text(self, text: str) -> Iterator[str]:
        yield text

    def visit_alternative(self, expression: Alternative) -> Iterator[str]:
        yield from self.visit(self.rng.choice(expression.items))

    def visit_sequence(self, expression: Group) -> Iterator[str]:
        for item in expression.items:
            yield from self.visit(item)

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> Iterator[str]:
        if self.keep_slots:
            yield "{" + reference.slot_name + "}"
            return
        phrase = self.rng.choice(list_phrases(slot_list))
        if isinstance(phrase, str):
            yield phrase
        else:
            yield from self.visit(phrase)


def _random_expansions(
    expression: Expression, language: Language, rng: random.Random, keep_slots: bool, count: int
) -> Iterator[str]:
    walker = _RandomWalker(language, rng, keep_slots)
    for _ in range(count):
        yield "".join(walker.visit(expression))


def default_sentences_path() -> Path:
    return Path(str(resources.files("intents") / "sentences" / SENTENCES_FILE))


@lru_cache(maxsize=4)
def load_language(path: Path | None = None) -> Language:
    """The parsed language, read from the derived cache: parsing the templates (YAML, then hassil's expression trees
    of every sentence) is 0.2-0.3 s of every start otherwise; unpickling the parsed trees, about 20 ms."""
    from .derived_cache import cached_object, input_key, library_version

    path = path or default_sentences_path()
    here = Path(__file__).resolve().parent
    key = input_key([path, here / "language.py"], [library_version("hassil"), "pickle"])
    language = cached_object("language", key, lambda: parse_language(path))
    # The key is the bytes, not the place: a build read back may come from the same text at another path.
    return language if language.path == path else replace(language, path=path)


def parse_language(path: Path) -> Language:
    """The language source parsed, every template sentence included (hassil parses those on first use)."""
    # libyaml's loader where PyYAML has it: the same data, a tenth of the time.
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    intents = Intents.from_dict(raw)
    specs: dict[str, IntentSpec] = {}
    for name, body in raw["intents"].items():
        templates: list[str] = []
        topic = answer = None
        extends = False
        slot_types: dict[str, str] = {}
        canonical: list[str] = []
        for data in body["data"]:
            templates.extend(data["sentences"])
            metadata = data.get("metadata") or {}
            topic = metadata.get("topic", topic)
            answer = metadata.get("answer", answer)
            extends = extends or metadata.get("alexa_samples") == "extend"
            slot_types.update(metadata.get("alexa_slot_types", {}))
            canonical.extend(metadata.get("canonical", []))
        specs[name] = IntentSpec(
            name=name,
            templates=tuple(templates),
            topic=topic,
            answer=answer,
            slot_types=slot_types,
            canonical=tuple(canonical),
            extends_builtin=extends,
        )
    open_intents = _open_intents(raw)
    for parsed in (intents, open_intents):
        for intent in parsed.intents.values():
            for data in intent.data:
                for sentence in data.sentences:  # parsed now, so that the parse is what the cache holds,
                    sentence.get_required_clauses(parsed.expansion_rules)  # with hassil's prefilter of each sentence
    skill = raw["skill"]
    return Language(
        path=path,
        raw=raw,
        hassil=intents,
        intents=specs,
        invocation_name=skill["invocation_name"],
        locales=tuple(skill["locales"]),
        launch=tuple(parse_sentence(t, keep_text=True) for t in skill["launch"]),
        invocation_prefix=parse_sentence(skill["invocation_prefix"], keep_text=True),
        open_intents=open_intents,
    )


def _open_intents(raw: dict) -> Intents:
    """The intents of only the template blocks marked `open_values`."""
    source = dict(raw)
    source["intents"] = {}
    for name, body in raw["intents"].items():
        blocks = [b for b in body["data"] if (b.get("metadata") or {}).get("open_values")]
        if blocks:
            source["intents"][name] = {"data": blocks}
    return Intents.from_dict(source)
