"""pocketsphinx: the en-us acoustic model shipped in its wheel (no download), decoding only sentences of the language
(its minimal word automaton, local_voice/wordgraph.py).

One decoder holds several searches over the same acoustic model: the grammar (the transcript), a free phone loop (the
confidence's evidence, local_voice/asr/scoring.py), a looser n-gram model of the language (the second opinion,
local_voice/ngram.py, for the decision to weigh in local_voice/confidence.py), red-flag keyword spotting, and a
one-word search that settles the live cepstral mean on the first utterance. Why each constant has its value:
docs/voice-measurements.md.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from intents.language import Language, load_language

from ..audio import SAMPLE_RATE, AudioChunk
from ..ngram import language_model
from ..wordgraph import Automaton, fsg_transitions, word_graph
from .base import NOTHING, EngineError, Stream, Transcript
from .dictionary import first_pronunciations, grammar_dictionary
from .scoring import phone_error_rate, sphinx_confidence

MAX_FRAMES_PER_PHONE = 25  # words stretched over more frames than this were not heard (docs/voice-measurements.md)
MAX_HMMS_PER_FRAME = 2000  # caps the wide beams' cost with no loss of accuracy (docs/voice-measurements.md)
GRAMMAR_SEARCH, PHONE_SEARCH, NGRAM_SEARCH, SPOT_SEARCH = "grammar", "phones", "ngram", "redflags"
SETTLE_SEARCH = "settle"  # one word: a cheap pass that moves the live cepstral mean as the grammar's would
SETTLED_CEPSTRAL_STEP = 0.5  # the mean has settled when a pass moves its energy term less (docs/voice-measurements.md)
MAX_SETTLE_PASSES = 12  # a bound on the settling passes (docs/voice-measurements.md)
PHONE_LOOP_LW = 2.0  # low enough that the phone loop follows the acoustics (docs/voice-measurements.md)
GRAMMAR_LW = 3.0  # at the n-gram default, 6.5, the grammar outweighed the acoustics (docs/voice-measurements.md)
SPOT_ORDERS_PER_PHONE = 0.75  # a keyphrase's spotting threshold per phone (docs/voice-measurements.md)
SPOT_MAX_FRAMES_PER_PHONE = 16  # spotting has no sense of duration: longer is noise (docs/voice-measurements.md)
SPOT_MIN_PHONES = 4  # shorter keyphrases fire on anything (docs/voice-measurements.md)


@dataclass
class _SphinxStream:
    engine: PocketsphinxEngine
    started: bool = False
    audio: list[bytes] = field(default_factory=list)  # this utterance's audio

    def accept(self, chunk: AudioChunk) -> bool:
        chunk.check_pipeline_format()
        if not chunk.audio:  # a stage may hand on nothing (the noise front end holds back a partial 10 ms)
            return False
        decoder = self.engine._decoder
        if not self.started:
            decoder.start_utt()
            self.started = True
        decoder.process_raw(chunk.audio, False, False)
        self.audio.append(chunk.audio)  # kept for the phone-loop pass (and the first utterance's second pass)
        return False  # endpointing is the caller's (the VAD stage)

    def final(self) -> Transcript:
        if not self.started:
            return NOTHING
        decoder = self.engine._decoder
        decoder.end_utt()
        self.started = False
        audio = b"".join(self.audio)
        if not self.engine.primed:
            # Live cepstral mean normalization starts from the model's generic values and moves only part of the way
            # to each utterance's own mean: the first turns after start-up were decoded, and scored, against a mean
            # far from this microphone's and voice's. So the first utterance settles it, then is decoded again.
            self.engine.primed = True
            self.engine.settle_cepstral_mean(audio)
            decoder.start_utt()
            decoder.process_raw(audio, False, True)
            decoder.end_utt()
        return self.engine.score(audio)


@dataclass
class PocketsphinxEngine:
    """The en-us acoustic model shipped in the pocketsphinx wheel, decoding only sentences of the language (its
    minimal word automaton, local_voice/wordgraph.py)."""

    language: Language = field(default_factory=load_language)
    name: str = "pocketsphinx"
    primed: bool = False

    def __post_init__(self) -> None:
        pocketsphinx = _import_pocketsphinx()
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        grammar = word_graph(self.language)
        with tempfile.TemporaryDirectory() as tmp:  # the decoder reads its files when it is made or a search added
            folder = Path(tmp)
            dictionary = self._write_dictionary(model, grammar, folder / "grammar.dict")
            self._decoder = pocketsphinx.Decoder(_decoder_config(pocketsphinx, model, dictionary))
            self._start_cepstral_mean = self._decoder.get_cmn(False)
            self._add_second_opinion(folder / "language.arpa")
            self._add_red_flag_spotting(folder / "keywords.txt")
        self._add_grammar_and_phone_loop(grammar, model)
        self.description = (f"pocketsphinx (bundled en-us model, grammar of {len(grammar.words)} words, "
                            f"{grammar.count} states)")

    def _write_dictionary(self, model: Path, grammar: Automaton, path: Path) -> Path:
        """Only the grammar's words: the full 134k-word dictionary would triple the assistant's memory."""
        extra = self.language.raw["skill"].get("pronunciations", {})
        dictionary, self.missing = grammar_dictionary(model / "cmudict-en-us.dict", grammar.words, extra)
        if self.missing:
            raise EngineError(f"pocketsphinx dictionary lacks {', '.join(self.missing)}: add pronunciations")
        path.write_text(dictionary, encoding="utf-8")
        self._phones = first_pronunciations(dictionary)
        return path

    def _add_second_opinion(self, path: Path) -> None:
        """The n-gram search, without its flat-lexicon second pass (twice the cost for the same decisions)."""
        path.write_text(language_model(self.language), encoding="utf-8")
        self._decoder.config["fwdflat"] = False
        self._decoder.add_lm_file(NGRAM_SEARCH, str(path))

    def _add_red_flag_spotting(self, path: Path) -> None:
        self._keyword_phones = self._keywords()
        path.write_text("".join(f"{phrase} /1e-{round(SPOT_ORDERS_PER_PHONE * phones)}/\n"
                                for phrase, phones in self._keyword_phones.items()), encoding="utf-8")
        self._decoder.add_kws(SPOT_SEARCH, str(path))

    def _add_grammar_and_phone_loop(self, grammar: Automaton, model: Path) -> None:
        """The grammar, its unconstrained alternative (a free phone loop, a second search of the same decoder, so the
        acoustic model is loaded once), and the settling search; the grammar is left active."""
        decoder = self._decoder
        start, final, transitions = fsg_transitions(grammar)
        with _language_weight(decoder, GRAMMAR_LW):
            decoder.add_fsg(GRAMMAR_SEARCH, decoder.create_fsg(GRAMMAR_SEARCH, start, final, transitions))
        with _language_weight(decoder, PHONE_LOOP_LW):
            decoder.add_allphone_file(PHONE_SEARCH, str(model / "en-us-phone.lm.bin"))
        anyword = min(self._phones)
        decoder.add_fsg(SETTLE_SEARCH, decoder.create_fsg(SETTLE_SEARCH, 0, 1, [(0, 1, 1.0, anyword)]))
        decoder.activate_search(GRAMMAR_SEARCH)

    def stream(self) -> Stream:
        return _SphinxStream(self)

    def _keywords(self) -> dict[str, int]:
        """The language's red-flag keyphrases with their phone counts; a phrase the engine cannot spot well is an
        error in the language source."""
        found = {}
        for phrase in self.language.raw.get("red_flag_keywords", []):
            unknown = [word for word in phrase.split() if word not in self._phones]
            if unknown:
                raise EngineError(f"red_flag_keywords: {phrase!r} has words no template has ({', '.join(unknown)})")
            phones = sum(len(self._phones[word]) for word in phrase.split())
            if phones < SPOT_MIN_PHONES:
                raise EngineError(f"red_flag_keywords: {phrase!r} is too short to spot ({phones} phones, the least "
                                  f"is {SPOT_MIN_PHONES})")
            found[phrase] = phones
        return found

    def score(self, audio: bytes) -> Transcript:
        """The last utterance's transcript, with the grammar path scored against the free phone loop on `audio`."""
        decoder = self._decoder
        spot = partial(self.spotted_red_flags, audio)  # also when nothing of the grammar was heard
        hypothesis = decoder.hyp()
        if hypothesis is None or not hypothesis.hypstr:
            return Transcript("", 0.0, spot_red_flags=spot)
        text, frames = hypothesis.hypstr, max(1, decoder.n_frames())
        grammar = _log_score(decoder, hypothesis.best_score)
        word_frames = sum(seg.end_frame - seg.start_frame + 1 for seg in decoder.seg() if seg.word in self._phones)
        said = [phone for word in text.split() for phone in self._phones.get(word, ())]
        if word_frames > MAX_FRAMES_PER_PHONE * max(1, len(said)):
            return Transcript("", 0.0, {"frames_per_phone": word_frames / max(1, len(said))}, spot_red_flags=spot)
        with self._pass(PHONE_SEARCH, audio):
            loop = decoder.hyp()
            free = _log_score(decoder, loop.best_score) if loop is not None else None
            heard_phones = [seg.word for seg in decoder.seg() if seg.word.isalpha()]  # no SIL, +NSN+ fillers
        if grammar is None or free is None:
            return Transcript(text, 0.0, spot_red_flags=spot)
        ratio = (grammar - free) / frames
        phone_errors = phone_error_rate(said, [p for p in heard_phones if p != "SIL"])
        confidence = sphinx_confidence(ratio, phone_errors)
        return Transcript(text, confidence, {"lr_per_frame": ratio, "phone_errors": phone_errors, "frames": frames},
                          partial(self.loose_transcript, audio), spot)

    def loose_transcript(self, audio: bytes) -> str:
        """`audio` decoded with the n-gram model of the language instead of the grammar: the second opinion."""
        with self._pass(NGRAM_SEARCH, audio):
            hypothesis = self._decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""

    def spotted_red_flags(self, audio: bytes) -> list[str]:
        """The red-flag keyphrases spotted in `audio`, in the order they were said, each once."""
        with self._pass(SPOT_SEARCH, audio):
            segments = list(self._decoder.seg()) if self._decoder.hyp() is not None else []
        found = [seg.word.strip() for seg in segments if seg.end_frame - seg.start_frame + 1
                 <= SPOT_MAX_FRAMES_PER_PHONE * self._keyword_phones[seg.word.strip()]]
        return list(dict.fromkeys(found))

    def restart(self) -> None:
        """Forgets what the utterances so far taught the front end, as at start-up (for benchmarks of first turns)."""
        self._decoder.set_cmn(self._start_cepstral_mean)
        self.primed = False

    def settle_cepstral_mean(self, audio: bytes) -> None:
        """Moves the live cepstral mean to `audio`'s own, by passes of the cheap one-word search until it stops
        moving."""
        decoder = self._decoder
        decoder.activate_search(SETTLE_SEARCH)
        try:
            for _ in range(MAX_SETTLE_PASSES):
                before = _cepstral_energy(decoder)
                decoder.start_utt()
                decoder.process_raw(audio, False, True)
                decoder.end_utt()
                if abs(_cepstral_energy(decoder) - before) < SETTLED_CEPSTRAL_STEP:
                    break
        finally:
            decoder.activate_search(GRAMMAR_SEARCH)

    @contextmanager
    def _pass(self, search: str, audio: bytes) -> Iterator[None]:
        """`audio` decoded whole by another search of the decoder; its results are read inside the block, and the
        grammar search is active again after it. The live cepstral mean is put back as it was: only the user's own
        turns should adapt it, not a second look at the same audio (docs/voice-measurements.md)."""
        decoder = self._decoder
        cepstral_mean = decoder.get_cmn(False)
        decoder.activate_search(search)
        try:
            decoder.start_utt()
            decoder.process_raw(audio, False, True)
            decoder.end_utt()
            yield
        finally:
            decoder.set_cmn(cepstral_mean)
            decoder.activate_search(GRAMMAR_SEARCH)


def _import_pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as error:  # pragma: no cover - the voice extra installs it
        raise EngineError(
            f"pocketsphinx is not installed ({error}); run ./run.sh or pip install '.[voice]'") from None
    return pocketsphinx


def _decoder_config(pocketsphinx: Any, model: Path, dictionary: Path) -> Any:
    return pocketsphinx.Config(
        hmm=str(model / "en-us"),
        dict=str(dictionary),
        samprate=SAMPLE_RATE,
        # Near-zero silence probability: pauses inside words ("ham...string") must not split them.
        silprob=1e-7,
        # The lattice best-path pass ignores the grammar's final states; the first pass keeps them.
        bestpath=False,
        # Wide beams: with short commands the right sentence is otherwise pruned before it can finish...
        beam=1e-80,
        wbeam=1e-60,
        pbeam=1e-80,
        # ...but capped in size: the slot lists' wide beams kept tens of thousands of HMMs alive per frame.
        maxhmmpf=MAX_HMMS_PER_FRAME,
        loglevel="FATAL",
    )


@contextmanager
def _language_weight(decoder: Any, weight: float) -> Iterator[None]:
    """A search added inside the block reads this language weight (pocketsphinx reads it from the configuration
    when a search is added); the decoder's own (the n-gram search's) is back after it."""
    default = decoder.config["lw"]
    decoder.config["lw"] = weight
    try:
        yield
    finally:
        decoder.config["lw"] = default


def _cepstral_energy(decoder: Any) -> float:
    """The energy term (c0) of the decoder's live cepstral mean."""
    return float(decoder.get_cmn(False).split(",", 1)[0])


def _log_score(decoder: Any, score: float) -> float | None:
    """pocketsphinx hands scores out exponentiated in its own log base; a path so unlikely it underflowed is None."""
    return float(decoder.get_logmath().log(score)) if score > 0 else None
