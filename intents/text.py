"""Text as every language consumer sees it: normalization, contractions, number words, a small stemmer.

The matcher, the red-flag detector, the recognizer grammars and the skill's own slot checks all read text through
this module, so "What's" typed, "what is" transcribed and "whats" from Alexa meet in one form. No hassil here: the
skill imports it on every cold start.
"""

from __future__ import annotations

import re

CONTRACTIONS = {
    "what's": "what is", "it's": "it is", "that's": "that is", "i'm": "i am", "i've": "i have", "i'd": "i would",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "can not", "won't": "will not",
    "isn't": "is not", "aren't": "are not", "you're": "you are", "we're": "we are", "there's": "there is",
    "how's": "how is", "where's": "where is", "who's": "who is", "let's": "let us", "shouldn't": "should not",
    "cannot": "can not", "wasn't": "was not", "haven't": "have not", "hasn't": "has not", "couldn't": "could not",
    "wouldn't": "would not", "i'll": "i will", "it'll": "it will", "he's": "he is", "she's": "she is",
    "they're": "they are", "weren't": "were not", "ain't": "is not", "y'all": "you all",
}
NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_SUFFIXES = ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ied", "ed", "es", "s", "e", "y")


def normalize(text: str) -> str:
    """Lowercase, straight apostrophes, no punctuation, digits kept: the form templates and input are compared in."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> list[str]:
    """Normalized words with contractions expanded and small numbers spelled out ("it's 3" -> it is three)."""
    out: list[str] = []
    for word in normalize(text).split():
        if word not in CONTRACTIONS and word.endswith("'s"):
            word = word[:-2] + " is"  # "leg's gone cold": is or has, and either reads the same here
        for part in CONTRACTIONS.get(word, word).split():
            if part.isdigit() and int(part) < len(NUMBER_WORDS):
                part = NUMBER_WORDS[int(part)]
            out.append(part)
    return out


def spell_digits(text: str) -> str:
    """'step 3' -> 'step three': recognizers never hear digits."""
    return " ".join(NUMBER_WORDS[int(w)] if w.isdigit() and int(w) < len(NUMBER_WORDS) else w for w in text.split())


def number_words(start: int, stop: int, step: int = 1) -> list[str]:
    """A number range as spoken words (what recognizers hear and templates may say)."""
    return [NUMBER_WORDS[n] for n in range(start, stop + 1, step) if n < len(NUMBER_WORDS)]


def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to make cramps/cramping/cramped and prevent/prevention meet.
    Stripped twice, so a plural and its singular meet too (sprays -> spray -> spra)."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))
