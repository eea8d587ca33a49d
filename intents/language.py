"""The language source (`sentences/en.yaml`) loaded once, with the views every consumer needs.

The Alexa model generator, the offline matcher and the recognizer grammars all start here, so they cannot drift apart.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import yaml
from hassil import Intents
from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    Sentence,
    TextChunk,
)
from hassil.intents import RangeSlotList, TextSlotList
from hassil.parse_expression import parse_sentence
from hassil.sample import sample_expression

BUILTIN_PREFIX = "AMAZON."
FALLBACK_INTENT = "AMAZON.FallbackIntent"
SENTENCES_FILE = "en.yaml"

# Above this many expansions a template is sampled at random (seeded) instead of enumerated.
ENUMERATION_LIMIT = 400


@dataclass(frozen=True)
class IntentSpec:
    """One intent as the rest of the project sees it."""

    name: str
    templates: tuple[str, ...]
    topic: str | None = None
    slot_types: dict[str, str] = field(default_factory=dict)
    canonical: tuple[str, ...] = ()

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

    @cached_property
    def topic_by_intent(self) -> dict[str, str]:
        return {name: spec.topic for name, spec in self.intents.items() if spec.topic}

    @cached_property
    def intent_by_topic(self) -> dict[str, str]:
        return {topic: name for name, topic in self.topic_by_intent.items()}

    def sentences(self, intent: str) -> list[Sentence]:
        return [s for data in self.hassil.intents[intent].data for s in data.sentences]

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

    def intent_expansions(self, intent: str, *, keep_slots: bool, per_template: int = ENUMERATION_LIMIT) -> list[str]:
        texts: list[str] = []
        for index, sentence in enumerate(self.sentences(intent)):
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
    if isinstance(expression, TextChunk):
        return 1
    if isinstance(expression, Alternative):
        return sum(count_expansions(item, language) for item in expression.items)
    if isinstance(expression, Permutation):
        product = 1
        for item in expression.items:
            product *= count_expansions(item, language)
        return product * _factorial(len(expression.items))
    if isinstance(expression, Group):
        product = 1
        for item in expression.items:
            product *= count_expansions(item, language)
        return product
    if isinstance(expression, RuleReference):
        return count_expansions(language.hassil.expansion_rules[expression.rule_name].expression, language)
    if isinstance(expression, ListReference):
        slot_list = language.hassil.slot_lists[expression.list_name]
        if isinstance(slot_list, RangeSlotList):
            return len(range(slot_list.start, slot_list.stop + 1, slot_list.step))
        if isinstance(slot_list, TextSlotList):
            return len(slot_list.values)
        return 1
    raise TypeError(f"unexpected template part: {expression!r}")


def _factorial(n: int) -> int:
    out = 1
    for k in range(2, n + 1):
        out *= k
    return out


def _random_expansions(
    expression: Expression, language: Language, rng: random.Random, keep_slots: bool, count: int
) -> Iterator[str]:
    for _ in range(count):
        yield "".join(_random_walk(expression, language, rng, keep_slots))


def _random_walk(expression: Expression, language: Language, rng: random.Random, keep_slots: bool) -> Iterator[str]:
    if isinstance(expression, TextChunk):
        yield expression.original_text
    elif isinstance(expression, Alternative):
        yield from _random_walk(rng.choice(expression.items), language, rng, keep_slots)
    elif isinstance(expression, Permutation):
        items = list(expression.items)
        rng.shuffle(items)
        for item in items:
            yield from _random_walk(item, language, rng, keep_slots)
            yield " "
    elif isinstance(expression, Group):
        for item in expression.items:
            yield from _random_walk(item, language, rng, keep_slots)
    elif isinstance(expression, RuleReference):
        rule = language.hassil.expansion_rules[expression.rule_name]
        yield from _random_walk(rule.expression, language, rng, keep_slots)
    elif isinstance(expression, ListReference):
        if keep_slots:
            yield "{" + expression.slot_name + "}"
            return
        slot_list = language.hassil.slot_lists[expression.list_name]
        if isinstance(slot_list, RangeSlotList):
            yield str(rng.choice(list(range(slot_list.start, slot_list.stop + 1, slot_list.step))))
        elif isinstance(slot_list, TextSlotList):
            value = rng.choice(slot_list.values)
            yield from _random_walk(value.text_in, language, rng, keep_slots)
    else:
        raise TypeError(f"unexpected template part: {expression!r}")


def default_sentences_path() -> Path:
    return Path(str(resources.files("intents") / "sentences" / SENTENCES_FILE))


@lru_cache(maxsize=4)
def load_language(path: Path | None = None) -> Language:
    path = path or default_sentences_path()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    intents = Intents.from_dict(raw)
    specs: dict[str, IntentSpec] = {}
    for name, body in raw["intents"].items():
        templates: list[str] = []
        topic = None
        slot_types: dict[str, str] = {}
        canonical: list[str] = []
        for data in body["data"]:
            templates.extend(data["sentences"])
            metadata = data.get("metadata") or {}
            topic = metadata.get("topic", topic)
            slot_types.update(metadata.get("alexa_slot_types", {}))
            canonical.extend(metadata.get("canonical", []))
        specs[name] = IntentSpec(
            name=name, templates=tuple(templates), topic=topic, slot_types=slot_types, canonical=tuple(canonical)
        )
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
    )
