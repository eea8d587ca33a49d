"""The pronunciation dictionary pocketsphinx decodes with: only the grammar's words, read from the model's CMU
dictionary, plus the language's own pronunciations for words it lacks (the full 134k-word dictionary would triple the
assistant's memory)."""

from __future__ import annotations

from pathlib import Path


def grammar_dictionary(path: Path, words: frozenset[str], extra: dict[str, str]) -> tuple[str, list[str]]:
    """The dictionary lines (alternate pronunciations included) of `words`, and the words it has none for."""
    lines, found = [], set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            word = line.split(" ", 1)[0].split("(", 1)[0]
            if word in words:
                lines.append(line.rstrip("\n"))
                found.add(word)
    for word, phones in extra.items():
        if word in words and word not in found:
            lines.append(f"{word} {phones}")
            found.add(word)
    return "\n".join(lines) + "\n", sorted(words - found)


def first_pronunciations(dictionary: str) -> dict[str, list[str]]:
    """Each word's first pronunciation, as phones (alternates, `word(2)`, are left out)."""
    phones: dict[str, list[str]] = {}
    for line in dictionary.splitlines():
        word, *pronunciation = line.split()
        if "(" not in word:
            phones.setdefault(word, pronunciation)
    return phones


def alternate_pronunciations(dictionary: str) -> dict[str, list[str]]:
    """Each word's alternate pronunciations, by their dictionary names (`word(2)`, `word(3)`...)."""
    alternates: dict[str, list[str]] = {}
    for line in dictionary.splitlines():
        word = line.split(" ", 1)[0]
        if "(" in word:
            alternates.setdefault(word.split("(", 1)[0], []).append(word)
    return alternates
