"""The free-form pass: the same audio decoded with the general English language model that ships in the pocketsphinx
wheel (`en-us.lm.bin`), not bound to our sentences, so that a paraphrase comes out as the words said (or near them)
and can be read by the same matcher and semantic stage as typed text (issue: offline voice on free-form decoding).

A decoder of its own, fed the utterance as it arrives, beside the grammar's: pocketsphinx holds the GIL while it
decodes, so the two take turns on one thread, but each keeps up with speech several times over, and at the end of
speech only the last frames and the search's end are left (a pass over the whole utterance after it, at 0.2-0.4 of
real time, would cost 0.5-1.5 s of the user's time). Its dictionary is the general model's most likely words plus the
grammar's: the search's cost grows with the vocabulary, and a word outside it is one our matcher could not use anyway
(the numbers: docs/voice-measurements.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .side_pass import SidePass

FREE_FORM_WORDS = 5000  # the general model's most likely words in its dictionary (besides the grammar's)
FREE_FORM_MAX_HMMS = 4000  # a bound on the search's cost per frame in noise (docs/voice-measurements.md)


def general_model(model: Path) -> Path:
    return model / "en-us.lm.bin"


def free_form_dictionary(pocketsphinx: Any, model: Path, grammar: str, count: int = FREE_FORM_WORDS) -> str:
    """The grammar's dictionary (`grammar`, its lines) plus the lines (alternates included) of the `count` words the
    general model finds most likely on their own. Built once per model and language (the engine's derived files)."""
    cmudict = (model / "cmudict-en-us.dict").read_text(encoding="utf-8").splitlines()
    ours = {_word(line) for line in grammar.splitlines()}
    unigrams = pocketsphinx.NGramModel(pocketsphinx.Config(loglevel="FATAL"), pocketsphinx.LogMath(),
                                       str(general_model(model)))
    others = {_word(line) for line in cmudict} - ours
    likely = set(sorted(others, key=lambda word: (-unigrams.prob([word]), word))[:count])
    return grammar + "".join(f"{line}\n" for line in cmudict if _word(line) in likely)


def _word(line: str) -> str:
    return line.split(" ", 1)[0].split("(", 1)[0]


def free_form_pass(pocketsphinx: Any, model: Path, dictionary: Path, sample_rate: int) -> SidePass:
    """The general model's decoder, streamed beside the grammar's (local_voice/asr/side_pass.py)."""
    config = pocketsphinx.Config(
        hmm=str(model / "en-us"), lm=str(general_model(model)), dict=str(dictionary), samprate=sample_rate,
        # The first pass only: the flat-lexicon and lattice passes would run after the end of speech.
        fwdflat=False, bestpath=False, maxhmmpf=FREE_FORM_MAX_HMMS, loglevel="FATAL")
    return SidePass(pocketsphinx.Decoder(config))
