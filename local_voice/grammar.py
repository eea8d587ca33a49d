"""Recognizer grammars generated from the language source, so the recognizers hear exactly what the matcher knows.

- For pocketsphinx: the minimal word automaton of the hassil template trees (local_voice/wordgraph.py).
- A phrase list for Vosk: sampled expansions plus the model's unknown-word token.
Words a recognizer's vocabulary lacks are reported, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from intents.text import normalize, spell_digits

if TYPE_CHECKING:  # the engines import this module at start-up; the phrases are built only with the derived data
    from intents.language import Language

VOSK_UNKNOWN = "[unk]"
VOSK_PHRASES_PER_TEMPLATE = 40


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
