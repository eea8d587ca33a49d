"""Recognizer grammars generated from the language source, so the recognizers hear exactly what the matcher knows.

- JSGF for pocketsphinx: a direct translation of the hassil template trees (alternatives, optionals, rules, slot
  lists), no expansion needed.
- A phrase list for Vosk: sampled expansions plus the model's unknown-word token.
Words a recognizer's vocabulary lacks are reported, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hassil.expression import Alternative, Group, ListReference
from hassil.intents import SlotList

from intents.language import Language
from intents.text import normalize, spell_digits
from intents.walk import TemplateWalker, list_phrases

ROOT_RULE = "utterance"
VOSK_UNKNOWN = "[unk]"
VOSK_PHRASES_PER_TEMPLATE = 40


@dataclass(frozen=True)
class Grammar:
    text: str
    words: frozenset[str]


def _rule_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class _JsgfWriter(TemplateWalker[str]):
    """A template tree as a JSGF expression: rules stay rule references, slot lists become alternatives."""

    def __init__(self, language: Language) -> None:
        super().__init__(language.hassil.expansion_rules, language.hassil.slot_lists)
        self.words: set[str] = set()
        self.rules_used: set[str] = set()

    def visit_text(self, text: str) -> str:
        said = normalize(text).split()
        self.words.update(said)
        return " ".join(said)

    def visit_alternative(self, expression: Alternative) -> str:
        parts = [self.visit(item) for item in expression.items]
        non_empty = [p for p in parts if p.strip()]
        if not non_empty:
            return ""
        body = " | ".join(non_empty)
        optional = expression.is_optional or len(non_empty) < len(parts)
        return f"[ {body} ]" if optional else f"( {body} )"

    def visit_sequence(self, expression: Group) -> str:
        return " ".join(p for p in (self.visit(item) for item in expression.items) if p.strip())

    def visit_rule(self, name: str, expression) -> str:
        self.rules_used.add(name)
        return f"<{_rule_name(name)}>"

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> str:
        phrases: list[str] = []
        for phrase in list_phrases(slot_list):
            if isinstance(phrase, str):  # a number, already spoken words
                self.words.update(phrase.split())
                phrases.append(phrase)
            else:
                phrases.append(self.visit(phrase))
        return "( " + " | ".join(phrases) + " )"


def jsgf(language: Language, intents: Iterable[str] | None = None) -> Grammar:
    """One public rule that accepts any sentence of the given intents (default: all)."""
    writer = _JsgfWriter(language)
    alternatives: list[str] = []
    for name in intents if intents is not None else language.intents:
        for sentence in language.recognizer_sentences(name):
            body = writer.visit(sentence.expression)
            if body.strip():
                alternatives.append(body)
    for launch in language.launch:
        alternatives.append(writer.visit(launch.expression))
    rules: dict[str, str] = {}
    pending = set(writer.rules_used)
    while pending:
        name = pending.pop()
        rules[name] = writer.visit(language.hassil.expansion_rules[name].expression)
        pending |= writer.rules_used - set(rules)
    lines = ["#JSGF V1.0;", "grammar hamstring;"]
    lines += [f"<{_rule_name(name)}> = {body};" for name, body in sorted(rules.items())]
    lines.append(f"public <{ROOT_RULE}> = " + " | ".join(f"( {a} )" for a in alternatives) + ";")
    return Grammar("\n".join(lines) + "\n", frozenset(writer.words))


def vosk_phrases(language: Language) -> list[str]:
    """Vosk grammars are phrase lists: every intent's expansions (sampled when large), launch phrases, [unk]."""
    phrases: list[str] = [normalize(p) for spec in language.intents.values() for p in spec.canonical]
    for name in language.intents:
        phrases += [normalize(p) for p in language.intent_expansions(
            name, keep_slots=False, per_template=VOSK_PHRASES_PER_TEMPLATE, recognizer=True)]
    for launch in language.launch:
        phrases += [normalize(p) for p in language.expansions(launch.expression, keep_slots=False)]
    # Digits never reach a recognizer: slot numbers are spoken words.
    phrases = [spell_digits(p) for p in phrases]
    return list(dict.fromkeys(p for p in phrases if p)) + [VOSK_UNKNOWN]


def missing_words(words: Iterable[str], knows: Callable[[str], bool]) -> list[str]:
    """Words of the grammar the recognizer's vocabulary lacks, sorted, so they can be reported."""
    return sorted(w for w in set(words) if not knows(w))
