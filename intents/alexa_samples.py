"""Sample utterances with their slots filled in: what a user can say to reach each intent of an Alexa model.

Each custom slot takes every value name and synonym of its type, AMAZON.NUMBER the numbers one to twenty, other
built-in types a placeholder that collides with nothing. When two intents reach the same filled-in utterance Alexa
picks one unpredictably (the conflicts its retired utterance-conflict detection reported), and when one template
reaches it through two slot types the slot is ambiguous. The model generator prunes the slot phrases behind such
collisions (the skill still resolves those words itself, from the runtime language), the lint refuses any left, and
`hamstring check` reports them in a package; example phrases are looked up here too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .text import number_words

_SLOT = re.compile(r"\{([^}]+)\}")
NUMBER_WORDS = tuple(number_words(1, 20))
MAX_FILLS_PER_SAMPLE = 20_000  # two slots of a few hundred phrases each; past that a sample is only partly filled
BUILTIN_PLACEHOLDER = "\u2063"  # an invisible separator: never in a sample, so such a slot collides with nothing


def as_sample(text: str) -> str:
    """Text as Alexa samples are written (lowercase; no commas, question or exclamation marks, no final period),
    apostrophes and inner periods kept: intents/text.py's normalize would drop those, which samples may hold."""
    text = re.sub(r"[,?!;:\"]", " ", text.lower()).strip().rstrip(".")
    return " ".join(text.split())


@dataclass(frozen=True)
class Sample:
    intent: str
    text: str
    slots: tuple[str, ...]  # slot names, in order
    types: tuple[str, ...]  # their types

    @property
    def skeleton(self) -> str:
        return _SLOT.sub("{}", self.text)

    @property
    def literal_words(self) -> int:
        return len(_SLOT.sub(" ", self.text).split())


@dataclass(frozen=True)
class Reached:
    """A filled-in utterance and the sample and phrases that produce it."""

    sample: Sample
    fill: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, str]:
        return dict(zip(self.sample.slots, self.fill, strict=True))


@dataclass(frozen=True)
class Collision:
    utterance: str
    first: Reached
    second: Reached

    @property
    def ambiguous_slot(self) -> bool:
        """One template at heart, with different slot types at a position both fill with this phrase."""
        a, b = self.first.sample, self.second.sample
        return a.skeleton == b.skeleton and bool(a.types) and a.types != b.types


@dataclass
class SampleIndex:
    # filled-in utterance -> the first sample to reach it, and its phrases (kept as plain tuples: there are many)
    first: dict[str, tuple[Sample, tuple[str, ...]]] = field(default_factory=dict)
    collisions: list[Collision] = field(default_factory=list)
    phrases: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # type -> phrase -> value ids

    def find(self, text: str) -> Reached | None:
        found = self.first.get(as_sample(text))
        return Reached(*found) if found is not None else None

    def __len__(self) -> int:
        return len(self.first)

    def pairs(self) -> list[Collision]:
        """One collision per pair of samples: the first utterance they share."""
        seen: dict[tuple[str, str, str, str], Collision] = {}
        for c in self.collisions:
            seen.setdefault((c.first.sample.intent, c.first.sample.text, c.second.sample.intent,
                             c.second.sample.text), c)
        return list(seen.values())


def type_phrases(model: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Custom slot type -> phrase (value name or synonym) -> the ids of the values that list it."""
    found: dict[str, dict[str, list[str]]] = {}
    for kind in model.get("types") or []:
        if not isinstance(kind, dict) or not isinstance(kind.get("name"), str):
            continue
        table = found.setdefault(kind["name"], {})
        for value in kind.get("values") or []:
            name = value.get("name") if isinstance(value, dict) else None
            if not isinstance(name, dict):
                continue
            value_id = str(value.get("id") or name.get("value"))
            for phrase in [name.get("value"), *(name.get("synonyms") or [])]:
                if isinstance(phrase, str) and as_sample(phrase):
                    ids = table.setdefault(as_sample(phrase), [])
                    if value_id not in ids:
                        ids.append(value_id)
    return found


def samples_of(model: dict[str, Any]) -> list[Sample]:
    found: list[Sample] = []
    for intent in model.get("intents") or []:
        if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
            continue
        types = {s.get("name"): s.get("type") for s in intent.get("slots") or [] if isinstance(s, dict)}
        for sample in intent.get("samples") or []:
            if isinstance(sample, str) and as_sample(sample):
                text = as_sample(sample)
                slots = tuple(_SLOT.findall(text))
                found.append(Sample(intent["name"], text, slots, tuple(str(types.get(s, "?")) for s in slots)))
    return found


def _fills(kind: str, phrases: dict[str, dict[str, list[str]]]) -> list[str]:
    if kind in phrases:
        return list(phrases[kind])
    if kind == "AMAZON.NUMBER":
        return list(NUMBER_WORDS)
    return [BUILTIN_PLACEHOLDER]


def _filled(sample: Sample, phrases: dict[str, dict[str, list[str]]]) -> Iterator[tuple[str, tuple[str, ...]]]:
    if not sample.slots:
        yield sample.text, ()
        return
    pieces = _SLOT.split(sample.text)  # literal, slot, literal, slot, ..., literal
    if len(sample.slots) == 1:  # the common case, kept to string joins: a model fills hundreds of thousands
        before, after = pieces[0], pieces[2]
        for phrase in _fills(sample.types[0], phrases):
            yield before + phrase + after, (phrase,)
        return
    choices = [_fills(kind, phrases) for kind in sample.types]
    for fill in itertools.islice(itertools.product(*choices), MAX_FILLS_PER_SAMPLE):
        parts = [pieces[0]]
        for phrase, literal in zip(fill, pieces[2::2], strict=True):
            parts += [phrase, literal]
        yield "".join(parts), fill


def build_index(model: dict[str, Any]) -> SampleIndex:
    """Every filled-in utterance of `model` (a languageModel), and the collisions between samples."""
    phrases = type_phrases(model)
    index = SampleIndex(phrases=phrases)
    first = index.first
    # Literal samples first: a collision then names the literal one as `first`.
    for sample in sorted(samples_of(model), key=lambda s: len(s.slots)):
        for text, fill in _filled(sample, phrases):
            owner = first.get(text)
            if owner is None:
                first[text] = (sample, fill)
                continue
            other, other_fill = owner
            if other.intent == sample.intent and (other.skeleton != sample.skeleton or other.types == sample.types
                                                  or not other.types):
                continue  # one intent reaching an utterance by two samples still reaches that intent
            index.collisions.append(Collision(text, Reached(other, other_fill), Reached(sample, fill)))
    return index


def prunable(collision: Collision) -> tuple[str, str] | None:
    """The slot phrase to drop from its type so that the collision goes: the one filling the more general sample
    (fewer words of its own), whose slot swallowed the other sample's words."""
    sides = [r for r in (collision.first, collision.second) if r.fill]
    if not sides:
        return None  # two literal samples: the templates themselves overlap
    victim = min(sides, key=lambda r: (r.sample.literal_words, r.sample.intent))
    for kind, phrase in zip(victim.sample.types, victim.fill, strict=True):
        if not kind.startswith("AMAZON."):
            return kind, phrase
    return None


def drop_phrases(model: dict[str, Any], kind: str, phrases: set[str]) -> None:
    """Remove `phrases` from slot type `kind`, in place: a value's name gives way to its next synonym, and a value
    left with no phrase goes (unless it is the type's last)."""
    for slot_type in model.get("types") or []:
        if slot_type.get("name") != kind:
            continue
        kept = []
        for value in slot_type.get("values") or []:
            name = value["name"]
            remaining = [p for p in [name["value"], *(name.get("synonyms") or [])] if as_sample(p) not in phrases]
            if remaining:
                name["value"], name["synonyms"] = remaining[0], remaining[1:]
                kept.append(value)
        if kept:
            slot_type["values"] = kept


def make_disjoint(model: dict[str, Any], rounds: int = 4) -> None:
    """Drop the slot phrases behind every collision between intents (or slot types) of `model`, in place. A round
    can promote a synonym that collides too, hence a few."""
    for _ in range(rounds):
        victims: dict[str, set[str]] = {}
        for collision in build_index(model).collisions:
            found = prunable(collision)
            if found is not None:
                victims.setdefault(found[0], set()).add(found[1])
        if not victims:
            return
        for kind, phrases in sorted(victims.items()):
            drop_phrases(model, kind, phrases)
