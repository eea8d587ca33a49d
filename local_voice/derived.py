"""Everything the voice assistant derives from the language source, built once and then read
(intents/derived_cache.py: keyed by a hash of the source, the code below and hassil's version):

- the recognizer grammar: the minimal word automaton (local_voice/wordgraph.py) as pocketsphinx's FSG transitions;
- the second opinion's trigram model, as ARPA text (local_voice/ngram.py);
- the Vosk phrase list (local_voice/grammar.py);
- the red-flag keyphrases to spot, and the language's own pronunciations.

Loading it is a JSON read: no YAML, no hassil, no template walk. Building it (a cold cache, or a changed source)
takes seconds: the word automaton's determinization and minimization, and the trigram model's samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intents.derived_cache import cached, input_key, library_version

if TYPE_CHECKING:  # building needs hassil and the parsed source; loading needs neither
    from intents.language import Language

FORMAT = "voice-language 1"
KIND = "voice"
_HERE = Path(__file__).resolve().parent
_INTENTS = _HERE.parent / "intents"
# The code whose output this is: a change to any of it builds again.
BUILT_BY = (_HERE / "derived.py", _HERE / "wordgraph.py", _HERE / "ngram.py", _HERE / "grammar.py",
            _INTENTS / "language.py", _INTENTS / "walk.py", _INTENTS / "text.py")
Transition = tuple[int, int, float] | tuple[int, int, float, str]  # pocketsphinx create_fsg's (from, to, p[, word])


@dataclass(frozen=True)
class VoiceLanguage:
    """What the recognizers take from the language, as data."""

    states: int
    start: int
    final: int
    words: frozenset[str]
    transitions: list[Transition]
    arpa: str  # the second opinion's trigram model
    vosk_phrases: list[str]
    red_flag_keywords: list[str]
    pronunciations: dict[str, str]  # words the recognizer's dictionary may lack: word -> phones


def default_source() -> Path:
    return _INTENTS / "sentences" / "en.yaml"


def voice_language(language: Language | None = None) -> VoiceLanguage:
    """The derived data of `language` (default: the default source, which is then not even parsed unless the cache
    has no build of it)."""
    if language is None:
        return _default()
    return _load(source_of(language), lambda: language)


@lru_cache(maxsize=1)
def _default() -> VoiceLanguage:
    def parsed() -> Language:
        from intents.language import load_language

        return load_language()

    return _load(default_source(), parsed)


def _load(source: Path, language: Callable[[], Language]) -> VoiceLanguage:
    return cached(KIND, source_key(source), lambda: build(language()), parse)


def source_key(source: Path) -> str:
    """The hash the derived data of `source` is kept under: of the source, the code that builds it, hassil."""
    return input_key([source, *BUILT_BY], [FORMAT, library_version("hassil")])


def source_of(language: Language | None) -> Path:
    return Path(language.path).resolve() if language is not None else default_source()


def build(language: Language) -> dict[str, Any]:
    """The derived data as JSON: the transitions flattened (from, to, probability, word index or -1)."""
    from .grammar import vosk_phrases
    from .ngram import language_model
    from .wordgraph import fsg_transitions, word_graph

    graph = word_graph(language)
    start, final, transitions = fsg_transitions(graph)
    words, flat = flatten(transitions)
    return {
        "format": FORMAT,
        "grammar": {"states": graph.count, "start": start, "final": final, "words": words, "transitions": flat},
        "arpa": language_model(language),
        "vosk_phrases": vosk_phrases(language),
        "red_flag_keywords": list(language.raw.get("red_flag_keywords", [])),
        "pronunciations": dict(language.raw["skill"].get("pronunciations", {})),
    }


def parse(data: dict[str, Any]) -> VoiceLanguage:
    if data["format"] != FORMAT:
        raise ValueError(f"not {FORMAT}")
    grammar = data["grammar"]
    return VoiceLanguage(states=grammar["states"], start=grammar["start"], final=grammar["final"],
                         words=frozenset(grammar["words"]), transitions=unflatten(grammar["words"],
                                                                                  grammar["transitions"]),
                         arpa=data["arpa"],
                         vosk_phrases=list(data["vosk_phrases"]), red_flag_keywords=list(data["red_flag_keywords"]),
                         pronunciations=dict(data["pronunciations"]))


def flatten(transitions: list[Transition]) -> tuple[list[str], list[int | float]]:
    """Transitions as JSON keeps them compactly: the words, and (from, to, probability, word index or -1) in a row."""
    words = sorted({t[3] for t in transitions if len(t) > 3})  # type: ignore[misc]
    number = {word: index for index, word in enumerate(words)}
    flat: list[int | float] = []
    for t in transitions:
        flat += [t[0], t[1], t[2], number[t[3]] if len(t) > 3 else -1]  # type: ignore[misc]
    return words, flat


def unflatten(words: list[str], flat: list) -> list[Transition]:
    return [(flat[i], flat[i + 1], flat[i + 2], words[flat[i + 3]]) if flat[i + 3] >= 0
            else (flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 4)]
