"""Recognizer grammars generated from the language source, so the recognizers hear exactly what the matcher knows.

- JSGF for pocketsphinx: a direct translation of the hassil template trees (alternatives, optionals, rules, slot
  lists), no expansion needed.
- A phrase list for Vosk: sampled expansions plus the model's unknown-word token.
Words a recognizer's vocabulary lacks are reported, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from hassil.expression import Alternative, Expression, Group, ListReference, Permutation, RuleReference, TextChunk
from hassil.intents import RangeSlotList, TextSlotList

from intents.language import Language
from intents.matcher import normalize, range_words, spell_digits

ROOT_RULE = "utterance"
VOSK_UNKNOWN = "[unk]"
VOSK_PHRASES_PER_TEMPLATE = 40


@dataclass(frozen=True)
class Grammar:
    text: str
    words: frozenset[str]


def _rule_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _chunk_words(text: str) -> list[str]:
    return normalize(text).split()



class _JsgfWriter:
    def __init__(self, language: Language) -> None:
        self.language = language
        self.words: set[str] = set()
        self.rules_used: set[str] = set()

    def expr(self, expression: Expression) -> str:
        if isinstance(expression, TextChunk):
            words = _chunk_words(expression.original_text)
            self.words.update(words)
            return " ".join(words)
        if isinstance(expression, Alternative):
            parts = [self.expr(item) for item in expression.items]
            non_empty = [p for p in parts if p.strip()]
            if not non_empty:
                return ""
            body = " | ".join(non_empty)
            optional = expression.is_optional or len(non_empty) < len(parts)
            return f"[ {body} ]" if optional else f"( {body} )"
        if isinstance(expression, Permutation):
            raise ValueError("permutations are not used in this language source")
        if isinstance(expression, Group):
            return " ".join(p for p in (self.expr(item) for item in expression.items) if p.strip())
        if isinstance(expression, RuleReference):
            self.rules_used.add(expression.rule_name)
            return f"<{_rule_name(expression.rule_name)}>"
        if isinstance(expression, ListReference):
            slot_list = self.language.hassil.slot_lists[expression.list_name]
            if isinstance(slot_list, RangeSlotList):
                words = range_words(slot_list)
            elif isinstance(slot_list, TextSlotList):
                words = [self.expr(v.text_in) for v in slot_list.values]
            else:
                raise ValueError(f"wildcard list {{{expression.list_name}}} cannot be a recognizer grammar")
            self.words.update(w for phrase in words for w in phrase.split())
            return "( " + " | ".join(words) + " )"
        raise TypeError(f"unexpected template part: {expression!r}")


def jsgf(language: Language, intents: Iterable[str] | None = None) -> Grammar:
    """One public rule that accepts any sentence of the given intents (default: all)."""
    writer = _JsgfWriter(language)
    alternatives: list[str] = []
    for name in intents if intents is not None else language.intents:
        for sentence in language.sentences(name):
            body = writer.expr(sentence.expression)
            if body.strip():
                alternatives.append(body)
    for launch in language.launch:
        alternatives.append(writer.expr(launch.expression))
    rules: dict[str, str] = {}
    pending = set(writer.rules_used)
    while pending:
        name = pending.pop()
        rules[name] = writer.expr(language.hassil.expansion_rules[name].expression)
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
            name, keep_slots=False, per_template=VOSK_PHRASES_PER_TEMPLATE)]
    for launch in language.launch:
        phrases += [normalize(p) for p in language.expansions(launch.expression, keep_slots=False)]
    # Digits never reach a recognizer: slot numbers are spoken words.
    phrases = [spell_digits(p) for p in phrases]
    return list(dict.fromkeys(p for p in phrases if p)) + [VOSK_UNKNOWN]


def missing_words(words: Iterable[str], knows: Callable[[str], bool]) -> list[str]:
    """Words of the grammar the recognizer's vocabulary lacks, sorted, so they can be reported."""
    return sorted(w for w in set(words) if not knows(w))
