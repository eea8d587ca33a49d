"""Speech recognition engines behind one small interface, both constrained by the generated grammar.

An engine opens a `Stream` per utterance: feed `AudioChunk`s with `accept` (True once the engine itself hears the
utterance end), then `final()` gives the `Transcript`: the text and a confidence in 0-1. `transcribe` does both for
a whole clip.

Why a confidence: a grammar-bound decoder maps any sound onto the nearest sentence of the grammar, so the text alone
cannot say "I did not understand". pocketsphinx scores the grammar's best path against a free phone loop decoded on
the same audio (a likelihood ratio: speech that is one of our sentences scores nearly as well constrained as free;
anything else loses much more per frame). It can also give a second opinion on demand: the same audio decoded with
a looser n-gram model of the language (local_voice/ngram.py), for the decision to weigh (local_voice/confidence.py).
Vosk gives per-word posteriors and the unknown-word token.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from intents.language import Language, load_language

from .audio import SAMPLE_RATE, AudioChunk
from .grammar import VOSK_UNKNOWN, missing_words, vosk_phrases
from .ngram import language_model
from .wordgraph import fsg_transitions, word_graph

log = logging.getLogger(__name__)

# pocketsphinx: the evidence is the grammar path's score minus the free phone loop's, per 10 ms frame, in the
# decoder's log units (base 1.0001), less PHONE_ERROR_WEIGHT x the share of the hypothesis' phones that the phone loop
# did not hear (its phone error rate: a few well-fitting words can carry an average ratio; disagreeing phones show the
# rest did not fit). The confidence is a logistic of the evidence, 0.5 at SPHINX_LR_CENTER. Measured on the dev
# sweep (every 2nd dev item, both synthesizer families): AUC right-vs-wrong 0.75 -> 0.85 on espeak-ng with the phone
# errors added (weight 10), and no loss on out-of-domain speech. The weight (5) was then chosen together with the
# single answer threshold on the dev sets' benchmark rows, before the second opinion; `python -m benchmarks.voice
# --tune` now sweeps the thresholds at this weight. The centre moved from -22 to -18 with GRAMMAR_LW (the grammar
# path's score carries its language weight): chosen with the thresholds by replaying every 3rd dev item (clean,
# babble and pink 12 dB, both families) over a grid of centres, scales and thresholds; -17 to -19 scored alike.
SPHINX_LR_CENTER = -18.0
SPHINX_LR_SCALE = 3.0
PHONE_ERROR_WEIGHT = 5.0
# Speech of ours takes 5-15 frames (50-150 ms) per phone; the grammar's nearest sentence stretched over a burst of
# noise took 50 ("faint" over two seconds of pink noise, where the phone loop fits no better, so the ratio alone was
# sure of it). Beyond this many frames per phone the words are not what was heard: nothing was recognized.
MAX_FRAMES_PER_PHONE = 25
MAX_HMMS_PER_FRAME = 2000
GRAMMAR_SEARCH, PHONE_SEARCH, NGRAM_SEARCH, SPOT_SEARCH = "grammar", "phones", "ngram", "redflags"
# The first utterance after start-up settles the live cepstral mean on itself before it is decoded again. Each pass
# over the same audio moves the mean about a third of the way that is left (its energy term from the model's 40 to
# about 60 for our test speech); it has settled when that term moves less than SETTLED_CEPSTRAL_STEP. The passes use
# a one-word search, so they cost 13 ms each, not the grammar's 300. Measured on first turns (a fresh mean before each
# of 44 template sentences and 78 dev questions, clean): espeak-ng in-grammar kept 70.5% -> 88.6%, paraphrases 46.4%
# -> 58.0%, answered right 37.2% -> 43.6%; flite 97.7% (same), 65.2% -> 68.1%, 57.7% -> 59.0%; out of domain rejected
# and answered wrong unchanged. (Before this and GRAMMAR_LW: espeak-ng 54.5%, 52.2%, 38.5%.)
SETTLE_SEARCH = "settle"
SETTLED_CEPSTRAL_STEP = 0.5
MAX_SETTLE_PASSES = 12
PHONE_LOOP_LW = 2.0
# The grammar's language weight. pocketsphinx's 6.5 is for n-gram models; our grammar's transition probabilities are
# all of its "language model", and at 6.5 they outweighed the acoustics. Measured on all 88 template sentences and
# every 8th dev item, grammar pass alone: decoded word for word, espeak-ng clean 77.3% -> 80.7%, pink 6 dB 31.8% ->
# 39.8%, babble 12 dB 20.5% -> 29.5%; flite clean 94.3% -> 95.5%, babble 12 dB 27.3% -> 36.4%; 2, 3 and 4 alike, 10
# worse; no slower. With the centre above re-chosen, on every 3rd dev item: in-grammar kept (answered or checked)
# clean 83.3% -> 90.0%, at 12 dB 37.5% -> 55.0%; answered wrong 1.0% -> 0.3% clean, 1.4% -> 0.8% at 12 dB.
GRAMMAR_LW = 3.0
# Red-flag keyword spotting: a keyphrase is spotted where its path beats the phone loop by a likelihood ratio of
# 10^-(this x its phones). Chosen on the dev sets among 0.5-4, spotting on the turns not answered: at 0.75, clean, 11
# more of the 84 red-flag questions (both families) were heard, for 2 more false red-flag candidates of 852; at babble
# and pink 12 dB, 26 more of 168 for 47 more of 1,704. At 1.25 it found 1 more red flag clean for 10 more false alarms.
SPOT_ORDERS_PER_PHONE = 0.75
# Keyword spotting has no sense of duration: in 2 s bursts of pink noise it found "i fell over" and "felt a pop"
# stretched over the whole burst, 19-28 frames per phone, where keyphrases spotted in the dev sets' speech took 5-14.
SPOT_MAX_FRAMES_PER_PHONE = 16
SPOT_MIN_PHONES = 4  # shorter keyphrases fire on anything ("numb": 33 false alarms in the dev sets, 5 red flags)


@dataclass(frozen=True)
class Transcript:
    """What a recognizer heard, and how sure it is (0-1). `detail` is the raw evidence, for benchmarks and logs.
    `second_opinion`, when the engine has one, decodes the same audio again with a looser model; `spot_red_flags`
    lists the red-flag keyphrases (the language's `red_flag_keywords`) spotted anywhere in it. Both run only when
    asked: each costs a pass over the audio."""

    text: str
    confidence: float
    detail: dict[str, float] = field(default_factory=dict)
    second_opinion: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    spot_red_flags: Callable[[], list[str]] | None = field(default=None, compare=False, repr=False)


NOTHING = Transcript("", 0.0)


class EngineError(Exception):
    """The engine cannot run; the message says how to fix it, in one line."""


class Stream(Protocol):
    def accept(self, chunk: AudioChunk) -> bool: ...

    def final(self) -> Transcript: ...


class Engine(Protocol):
    name: str
    description: str
    missing: list[str]

    def stream(self) -> Stream: ...


def transcribe(engine: Engine, audio: AudioChunk | bytes, chunk_s: float = 0.25) -> Transcript:
    clip = audio if isinstance(audio, AudioChunk) else AudioChunk(audio)
    stream = engine.stream()
    for chunk in clip.split(chunk_s):
        stream.accept(chunk)
    return stream.final()


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


# -- pocketsphinx (bundled, no download) ------------------------------------------------------------------------------
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
        try:
            import pocketsphinx
        except ImportError as error:  # pragma: no cover - the voice extra installs it
            raise EngineError(
                f"pocketsphinx is not installed ({error}); run ./run.sh or pip install '.[voice]'") from None
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        grammar = word_graph(self.language)
        extra = self.language.raw["skill"].get("pronunciations", {})
        with tempfile.TemporaryDirectory() as tmp:
            # Only the grammar's words: the full 134k-word dictionary would triple the assistant's memory.
            dictionary, self.missing = _grammar_dictionary(model / "cmudict-en-us.dict", grammar.words, extra)
            if self.missing:
                raise EngineError(f"pocketsphinx dictionary lacks {', '.join(self.missing)}: add pronunciations")
            (Path(tmp) / "grammar.dict").write_text(dictionary, encoding="utf-8")
            self._phones = _first_pronunciations(dictionary)
            config = pocketsphinx.Config(
                hmm=str(model / "en-us"),
                dict=str(Path(tmp) / "grammar.dict"),
                samprate=SAMPLE_RATE,
                # Near-zero silence probability: pauses inside words ("ham...string") must not split them.
                silprob=1e-7,
                # The lattice best-path pass ignores the grammar's final states; the first pass keeps them.
                bestpath=False,
                # Wide beams: with short commands the right sentence is otherwise pruned before it can finish.
                beam=1e-80,
                wbeam=1e-60,
                pbeam=1e-80,
                # ...but capped in size: with the specific-question language's slot lists the wide beams kept tens of
                # thousands of HMMs alive per frame (slower than real time on a busy laptop). Measured on five dev
                # utterances: 3-4x faster, and no less accurate.
                maxhmmpf=MAX_HMMS_PER_FRAME,
                loglevel="FATAL",
            )
            self._decoder = pocketsphinx.Decoder(config)
            self._start_cepstral_mean = self._decoder.get_cmn(False)
            # The second opinion's search. Its flat-lexicon second pass is off: measured on the dev sets (every 3rd
            # item, clean), the n-gram pass took 0.18 s per utterance with it and 0.09 s without, and the decisions
            # it led to were the same but for one utterance in a hundred.
            (Path(tmp) / "language.arpa").write_text(language_model(self.language), encoding="utf-8")
            self._decoder.config["fwdflat"] = False
            self._decoder.add_lm_file(NGRAM_SEARCH, str(Path(tmp) / "language.arpa"))
            self._keyword_phones = self._keywords()
            (Path(tmp) / "keywords.txt").write_text("".join(
                f"{phrase} /1e-{round(SPOT_ORDERS_PER_PHONE * phones)}/\n"
                for phrase, phones in self._keyword_phones.items()), encoding="utf-8")
            self._decoder.add_kws(SPOT_SEARCH, str(Path(tmp) / "keywords.txt"))
        start, final, transitions = fsg_transitions(grammar)
        with _language_weight(self._decoder, GRAMMAR_LW):
            self._decoder.add_fsg(GRAMMAR_SEARCH, self._decoder.create_fsg(GRAMMAR_SEARCH, start, final, transitions))
        # The unconstrained alternative: a free phone loop, a second search of the same decoder (so the acoustic
        # model is loaded once: a second decoder doubled peak memory, 269 -> 524 MB). It runs over the utterance
        # after the grammar search, at about a fifth of its cost (measured: 3.8 of 17.4 s over 40 dev utterances).
        # Its own language weight, read when the search is added: at the decoder's 6.5 the phone bigrams dominate
        # and out-of-domain speech scored as well as ours (a weather question: -18 per frame, as sure as a template
        # sentence); at 2 it follows the acoustics (-32, against -20 for "what causes hamstring cramps").
        with _language_weight(self._decoder, PHONE_LOOP_LW):
            self._decoder.add_allphone_file(PHONE_SEARCH, str(model / "en-us-phone.lm.bin"))
        anyword = min(self._phones)
        self._decoder.add_fsg(SETTLE_SEARCH, self._decoder.create_fsg(SETTLE_SEARCH, 0, 1, [(0, 1, 1.0, anyword)]))
        self._decoder.activate_search(GRAMMAR_SEARCH)
        self.description = (f"pocketsphinx (bundled en-us model, grammar of {len(grammar.words)} words, "
                            f"{grammar.count} states)")

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
        phone_errors = edit_distance(said, [p for p in heard_phones if p != "SIL"]) / max(1, len(said))
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
        turns should adapt it, not a second look at the same audio (measured on every 3rd dev item, clean: espeak-ng
        in-grammar 60.0% -> 63.3%, answered right 44.2% -> 46.2%, flite out of domain rejected 76.5% -> 82.4%)."""
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


def sphinx_confidence(ratio: float, phone_errors: float, phone_error_weight: float = PHONE_ERROR_WEIGHT) -> float:
    """0-1 from the evidence: the likelihood ratio per frame less the weighted phone error rate."""
    return logistic((ratio - phone_error_weight * phone_errors - SPHINX_LR_CENTER) / SPHINX_LR_SCALE)


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two phone sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _first_pronunciations(dictionary: str) -> dict[str, list[str]]:
    phones: dict[str, list[str]] = {}
    for line in dictionary.splitlines():
        word, *pronunciation = line.split()
        if "(" not in word:
            phones.setdefault(word, pronunciation)
    return phones


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


def _grammar_dictionary(path: Path, words: frozenset[str], extra: dict[str, str]) -> tuple[str, list[str]]:
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


# -- Vosk (any Kaldi model from a path) -------------------------------------------------------------------------------
@dataclass
class _VoskStream:
    recognizer: Any  # vosk.KaldiRecognizer (vosk ships no type hints)
    parts: list[str] = field(default_factory=list)
    word_confidences: list[float] = field(default_factory=list)

    def accept(self, chunk: AudioChunk) -> bool:
        chunk.check_pipeline_format()
        if not chunk.audio:
            return False
        if self.recognizer.AcceptWaveform(chunk.audio):  # Vosk's own endpoint: a pause closed a phrase
            self._keep(self.recognizer.Result())
            return True
        return False

    def final(self) -> Transcript:
        self._keep(self.recognizer.FinalResult())
        text = " ".join(self.parts)
        if not text:
            return NOTHING
        # The mean word posterior, each unknown-word token counting as a word heard with no confidence at all: a
        # sentence of ours with a stray [unk] in it is not what was said.
        scores = self.word_confidences or [0.0]
        return Transcript(text, sum(scores) / len(scores), {"words": float(len(scores))})

    def _keep(self, result_json: str) -> None:
        result = json.loads(result_json)
        for word in result.get("result", []):
            known = word.get("word") != VOSK_UNKNOWN
            self.word_confidences.append(float(word.get("conf", 0.0)) if known else 0.0)
        text = result.get("text", "").replace(VOSK_UNKNOWN, "").strip()
        if text:
            self.parts.append(" ".join(text.split()))


@dataclass
class VoskEngine:
    model_path: Path
    language: Language = field(default_factory=load_language)
    name: str = "vosk"
    use_grammar: bool = True
    phrases: list[str] | None = None  # default: generated from the language source

    def __post_init__(self) -> None:
        try:
            import vosk
        except ImportError as error:  # pragma: no cover - the voice extra installs it
            raise EngineError(f"vosk is not installed ({error}); run ./run.sh or pip install '.[voice]'") from None
        vosk.SetLogLevel(-1)
        if not is_vosk_model(self.model_path):
            raise EngineError(f"{self.model_path} is not a Vosk model folder (expected am/ and conf/ inside)")
        try:
            self._model = vosk.Model(str(self.model_path))
        except Exception as error:  # vosk raises a bare Exception when Kaldi refuses the folder
            raise EngineError(f"Vosk could not load {self.model_path}: {error}") from None
        phrases = self.phrases if self.phrases is not None else vosk_phrases(self.language)
        words = {w for p in phrases for w in p.split() if w != VOSK_UNKNOWN}
        self.missing = missing_words(words, lambda w: self._model.vosk_model_find_word(w) != -1)
        # Vosk silently drops phrases with unknown words: drop them here, where it is reported, and keep the
        # unknown-word token only if this model has one.
        knows_unknown = self._model.vosk_model_find_word(VOSK_UNKNOWN) != -1
        self.phrases = [p for p in phrases if p != VOSK_UNKNOWN and not set(p.split()) & set(self.missing)]
        if knows_unknown:
            self.phrases.append(VOSK_UNKNOWN)
        # Models built without a runtime graph (HCLr.fst + Gr.fst) ignore grammars; so does an empty one.
        self.has_graph = (self.model_path / "graph" / "HCLr.fst").exists() and (
            self.model_path / "graph" / "Gr.fst"
        ).exists()
        usable = [p for p in self.phrases if p != VOSK_UNKNOWN]
        self.grammar_active = self.use_grammar and self.has_graph and bool(usable)
        if self.grammar_active:
            grammar_note = f"grammar of {len(usable)} phrases"
        elif not self.has_graph:
            grammar_note = "no runtime graph, so no grammar: free speech"
        else:
            grammar_note = "no grammar word in this model: free speech"
        self.description = f"vosk ({self.model_path.name}, {grammar_note})"
        if self.missing:
            self.description += f"; {len(self.missing)} grammar words not in the model"

    def stream(self) -> Stream:
        import vosk

        if self.grammar_active:
            # Non-ASCII must stay literal: Vosk does not decode \\u escapes in a grammar.
            recognizer = vosk.KaldiRecognizer(self._model, SAMPLE_RATE, json.dumps(self.phrases, ensure_ascii=False))
        else:
            recognizer = vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        recognizer.SetWords(True)  # per-word posteriors, the confidence's evidence
        return _VoskStream(recognizer)


def is_vosk_model(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


# -- choosing ---------------------------------------------------------------------------------------------------------
def vosk_cache_dir() -> Path:
    """Where Vosk itself downloads models to (the last of vosk.MODEL_DIRS: ~/.cache/vosk)."""
    return Path.home() / ".cache" / "vosk"


def _vosk_model_dirs() -> list[Path]:
    """The folders Vosk itself searches for models."""
    try:
        import vosk

        return [Path(d) for d in vosk.MODEL_DIRS if d]
    except ImportError:  # pragma: no cover - the voice extra installs it
        return [vosk_cache_dir()]


def find_vosk_model(explicit: str | None = None) -> Path | None:
    """--model PATH, then VOSK_MODEL_PATH, then the first English model in the folders Vosk searches."""
    for candidate in (explicit, os.environ.get("VOSK_MODEL_PATH")):
        if candidate:
            return Path(candidate).expanduser()
    for folder in _vosk_model_dirs():
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.name.startswith("vosk-model") and "-en-" in path.name and is_vosk_model(path):
                    return path
    return None


def choose_engine(name: str = "auto", model: str | None = None) -> Engine:
    """`auto`: Vosk when a model is found, else the bundled pocketsphinx."""
    if name not in ("auto", "vosk", "pocketsphinx"):
        raise EngineError(f"unknown engine {name!r}: use auto, vosk or pocketsphinx")
    if name in ("auto", "vosk"):
        path = find_vosk_model(model)
        if path is not None:
            if not path.exists():
                raise EngineError(f"Vosk model folder {path} does not exist (check --model or VOSK_MODEL_PATH)")
            return VoskEngine(path)
        if name == "vosk":
            raise EngineError("no Vosk model found: pass --model PATH, set VOSK_MODEL_PATH, or run "
                              "`hamstring model download`")
    return PocketsphinxEngine()
