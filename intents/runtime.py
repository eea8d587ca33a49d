"""The language facts the skill needs at run time, compiled from the language source into one JSON file.

The skill (and so every Lambda cold start) reads this file instead of parsing the templates: which intent is which
topic or answer, each slot's values by their words (to resolve a value that arrives without Alexa's resolution),
and the red-flag cues. `hamstring assets build` writes it; `hamstring assets check` fails when it is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .names import RED_FLAG_LIST
from .text import words

if TYPE_CHECKING:  # the compiler needs hassil; the loader must not
    from .language import Language
    from .redflags import PhraseFinder, RedFlagDetector

RUNTIME_FILE = "en.runtime.json"


@dataclass
class RuntimeLanguage:
    topic_by_intent: dict[str, str]
    answer_by_intent: dict[str, str]
    slot_lists: dict[str, str]  # slot name -> list name (they are the same in this language; kept explicit)
    values: dict[str, dict[str, str]]  # list -> phrase (as `words` joins it) -> value id
    red_flag_cues: dict[str, list[str]]
    red_flag_signs: dict[str, list]
    harm_words: list[str] = field(default_factory=list)  # folded phrases: pain, injury, a fall, swelling, ...
    beside_a_question: list[str] = field(default_factory=list)  # red flags that may go with a question's answer

    # The detectors are imported where they are built: a request without slots (a launch, "next") never pays for
    # their module either (~1.3 ms of a Lambda cold start).
    @cached_property
    def harm(self) -> PhraseFinder:
        from .redflags import PhraseFinder

        return PhraseFinder(self.harm_words)

    @cached_property
    def red_flags(self) -> RedFlagDetector:
        """Built on first use: a request without slots (a launch, "next") never pays for it."""
        from .redflags import RedFlagDetector

        cues = {flag: [tuple(c.split()) for c in phrases] for flag, phrases in self.red_flag_cues.items()}
        return RedFlagDetector(cues, self.red_flag_signs, folded=True)

    def resolve(self, slot: str, said: str) -> str | None:
        """The id of a slot value said in words, when it is one of the list's phrasings."""
        return self.values.get(self.slot_lists.get(slot, slot), {}).get(" ".join(words(said)))


def compile_runtime(language: Language) -> dict[str, Any]:
    from .redflags import fold

    text_lists = list(language.text_lists)
    return {
        "topic_by_intent": dict(sorted(language.topic_by_intent.items())),
        "answer_by_intent": dict(sorted(language.answer_by_intent.items())),
        "slot_lists": {slot: slot for spec in language.intents.values() for slot in sorted(spec.slot_types)},
        "values": {
            name: dict(
                sorted(
                    (" ".join(words(p)), value_id)
                    for value_id, phrases in language.value_phrases(name)
                    for p in phrases
                )
            )
            for name in text_lists
            if name != RED_FLAG_LIST
        },
        # Cue words already folded (plurals), so loading them is a split, not 50,000 string operations.
        "red_flags": {
            flag: sorted({" ".join(fold(w) for w in words(p)) for p in phrases})
            for flag, phrases in language.value_phrases(RED_FLAG_LIST, None)
        },
        "red_flag_signs": language.raw.get("red_flag_signs", {}),
        "harm_words": sorted({" ".join(fold(w) for w in words(p))
                              for p in language.raw["skill"].get("harm_words", ())}),
        "beside_a_question": list(language.raw["skill"].get("beside_a_question", ())),
    }


def runtime_text(language: Language) -> str:
    return json.dumps(compile_runtime(language), indent=0, sort_keys=False, ensure_ascii=False) + "\n"


def default_runtime_path() -> Path:
    # Beside this module (a plain folder on Lambda and in a wheel); importlib.resources would cost a cold start 4 ms.
    return Path(__file__).resolve().parent / "sentences" / RUNTIME_FILE


@lru_cache(maxsize=2)
def load_runtime(path: Path | None = None) -> RuntimeLanguage:
    raw = json.loads((path or default_runtime_path()).read_text(encoding="utf-8"))
    return RuntimeLanguage(
        topic_by_intent=raw["topic_by_intent"],
        answer_by_intent=raw["answer_by_intent"],
        slot_lists=raw["slot_lists"],
        values=raw["values"],
        red_flag_cues=raw["red_flags"],
        red_flag_signs=raw["red_flag_signs"],
        harm_words=raw.get("harm_words", []),
        beside_a_question=raw.get("beside_a_question", []),
    )
