"""pocketsphinx: the en-us acoustic model shipped in its wheel (no download), decoding only sentences of the language
(its minimal word automaton, local_voice/wordgraph.py).

The grammar's decoder holds the grammar (the transcript), a looser n-gram model of the language (the second opinion,
local_voice/ngram.py, for the decision to weigh in local_voice/confidence.py), red-flag keyword spotting, and a
one-word search that settles the live cepstral mean on the first utterance; the second opinion and the spotting are
passes over the utterance after it, run only for the turns whose decision needs them. What every turn needs is fed
the utterance as it arrives, in decoders of their own beside it (local_voice/asr/side_pass.py), so that at the end of
speech only the ends of their searches are left: the free phone loop (the confidence's evidence,
local_voice/asr/scoring.py) and the free-form pass (local_voice/asr/free_form.py). Why each constant has its value:
docs/voice-measurements.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from intents.derived_cache import cached_folder, forget, input_key, library_version

from ..audio import SAMPLE_RATE, AudioChunk
from ..derived import Transition, VoiceLanguage, flatten, source_key, source_of, unflatten, voice_language
from .base import NOTHING, EngineError, Stream, Transcript
from .dictionary import alternate_pronunciations, first_pronunciations, grammar_dictionary
from .free_form import free_form_dictionary, free_form_pass
from .scoring import phone_error_rate, sphinx_confidence
from .side_pass import PassResult, SidePass, log_score

if TYPE_CHECKING:
    from intents.language import Language

MAX_FRAMES_PER_PHONE = 25  # words stretched over more frames than this were not heard (docs/voice-measurements.md)
MAX_HMMS_PER_FRAME = 2000  # caps the wide beams' cost with no loss of accuracy (docs/voice-measurements.md)
GRAMMAR_SEARCH, NGRAM_SEARCH, SPOT_SEARCH = "grammar", "ngram", "redflags"
SETTLE_SEARCH = "settle"  # one word: a cheap pass that moves the live cepstral mean as the grammar's would
SETTLED_CEPSTRAL_STEP = 0.5  # the mean has settled when a pass moves its energy term less (docs/voice-measurements.md)
SETTLE_ON_S = 1.0  # a first utterance's opening that the cepstral mean is settled on before it is decoded
REDECODE_BELOW = 0.5  # ... and its confidence under which it is decoded again, against the mean of all of it
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
    held_bytes: int = 0  # a first utterance's audio before the mean was settled on it (then: what it was settled on)

    def accept(self, chunk: AudioChunk) -> bool:
        chunk.check_pipeline_format()
        if not chunk.audio:  # a stage may hand on nothing (the noise front end holds back a partial 10 ms)
            return False
        self.audio.append(chunk.audio)  # kept for the phone-loop pass (and the first utterance's settling)
        if not self.engine.primed:
            self._settle_while_speaking(chunk)
            return False
        self._decode(chunk.audio)
        return False  # endpointing is the caller's (the VAD stage)

    def _settle_while_speaking(self, chunk: AudioChunk) -> None:
        """The first utterance after start-up. Live cepstral mean normalization starts from the model's generic
        values and moves only part of the way to each utterance's own mean, so the first turns were decoded, and
        scored, against a mean far from this microphone's and voice's. So once SETTLE_ON_S of it is in, the mean is
        settled on that (cheap one-word passes) and the utterance decoded from its start while the user is still
        speaking: the decode catches up at several times real time. `final` settles on the whole and, only where
        this decode was unsure, decodes it again, as every first turn once did at 0.4-0.7 s after the end of speech
        (docs/voice-measurements.md)."""
        self.held_bytes += len(chunk.audio)
        if self.held_bytes < SETTLE_ON_S * chunk.rate * chunk.width:
            return
        self.engine.primed = True
        audio = b"".join(self.audio)
        self.engine.settle_cepstral_mean(audio)
        self._decode(audio)

    def _decode(self, audio: bytes, every_pass: bool = True) -> None:
        """`audio` to the grammar's decoder and the phone loop (the grammar path's score needs both), and with
        `every_pass` to the free-form pass too."""
        decoder = self.engine._decoder
        passes = self.engine.side_passes(every_pass)
        if not self.started:
            decoder.start_utt()
            self.started = True
            cepstral_mean = decoder.get_cmn(False)  # every pass hears the utterance through the same front end
            for side in passes:
                side.start(cepstral_mean)
        decoder.process_raw(audio, False, False)
        for side in passes:
            side.feed(audio)

    def final(self) -> Transcript:
        audio = b"".join(self.audio)
        if not self.engine.primed and self.audio:  # a first utterance shorter than the settling needs: all of it
            self.engine.primed = True
            self.engine.settle_cepstral_mean(audio)
            self._decode(audio)
        if not self.started:
            return NOTHING
        engine = self.engine
        free_form = engine._free.finish().text if engine._free is not None else None
        heard = self._ended(audio, free_form)
        if self.held_bytes and len(audio) > self.held_bytes:
            # Settled on its opening only. The mean of the whole of it is what the next utterance starts from (cheap
            # passes); where the decode against the opening's mean was unsure, decoding it again against that mean
            # is offered, for the decision to ask for only where it would otherwise check or not catch the turn
            # (~0.5 s: the old cost, paid only where the user would otherwise be asked again).
            engine.settle_cepstral_mean(audio)
            if heard.confidence < REDECODE_BELOW:
                heard = replace(heard, second_opinion=_once(heard.second_opinion),
                                spot_red_flags=_once(heard.spot_red_flags))
                heard = replace(heard, again=_once(partial(self._again, audio, heard)))
        return heard

    def _ended(self, audio: bytes, free_form: str | None) -> Transcript:
        """The grammar's and the phone loop's utterance ended, and the grammar path scored."""
        engine = self.engine
        engine._decoder.end_utt()
        self.started = False
        return engine.score(audio, engine._phone_loop.finish(), free_form)

    def _again(self, audio: bytes, first: Transcript) -> Transcript:
        """`audio` decoded again by the grammar and the phone loop. The free-form transcript is the caller's to carry
        (that pass heard it as it came: not again); the passes over the audio alone are the first transcript's, not
        run twice."""
        self._decode(audio, every_pass=False)
        heard = self._ended(audio, None)
        return replace(heard, second_opinion=first.second_opinion or heard.second_opinion,
                       spot_red_flags=first.spot_red_flags)


T = TypeVar("T")


def _once(compute: Callable[[], T] | None) -> Callable[[], T] | None:
    """`compute`, run at most once: its result kept for later calls."""
    return cache(compute) if compute is not None else None


@dataclass
class PocketsphinxEngine:
    """The en-us acoustic model shipped in the pocketsphinx wheel, decoding only sentences of the language (its
    minimal word automaton, local_voice/wordgraph.py)."""

    language: Language | None = None  # default: the default source (read from the derived-data cache, not parsed)
    name: str = "pocketsphinx"
    primed: bool = False
    free_form: bool = True  # the free-form pass beside the grammar (local_voice/asr/free_form.py)

    def __post_init__(self) -> None:
        pocketsphinx = _import_pocketsphinx()
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        files = sphinx_files(pocketsphinx, model, self.language)
        self.missing: list[str] = []  # a dictionary lacking a word is an EngineError when the files are built
        self._phones, self._keyword_phones = files.phones, files.keyword_phones
        self._decoder = pocketsphinx.Decoder(_decoder_config(pocketsphinx, model, files.dictionary))
        self._start_cepstral_mean = self._decoder.get_cmn(False)
        # The n-gram search, without its flat-lexicon second pass (twice the cost for the same decisions).
        self._decoder.config["fwdflat"] = False
        self._decoder.add_lm_file(NGRAM_SEARCH, str(files.language_model))
        self._decoder.add_kws(SPOT_SEARCH, str(files.keywords))
        self._add_grammar(files)
        self._phone_loop = _phone_loop_pass(pocketsphinx, model, files.dictionary)
        self._free = (free_form_pass(pocketsphinx, model, files.free_form_dictionary, SAMPLE_RATE)
                      if self.free_form else None)
        self.description = f"pocketsphinx (bundled en-us model, grammar of {files.words} words, {files.states} states)"

    def _add_grammar(self, files: SphinxFiles) -> None:
        """The grammar and the settling search; the grammar is left active."""
        decoder = self._decoder
        with _language_weight(decoder, GRAMMAR_LW):  # read when the grammar is made, and when it is added
            decoder.add_fsg(GRAMMAR_SEARCH, decoder.create_fsg(GRAMMAR_SEARCH, files.start, files.final,
                                                               files.transitions))
        anyword = min(self._phones)
        settle = with_alternates([(0, 1, 1.0, anyword)], files.alternates)
        decoder.add_fsg(SETTLE_SEARCH, decoder.create_fsg(SETTLE_SEARCH, 0, 1, settle))
        decoder.activate_search(GRAMMAR_SEARCH)

    def stream(self) -> Stream:
        return _SphinxStream(self)

    def side_passes(self, every_pass: bool = True) -> list[SidePass]:
        if not every_pass:
            return [self._phone_loop]
        return [self._phone_loop] + ([self._free] if self._free is not None else [])

    def score(self, audio: bytes, phone_loop: PassResult, free_form: str | None) -> Transcript:
        """The last utterance's transcript, with the grammar path scored against what the free phone loop heard in
        it; the free-form pass's transcript carried along, and the passes over `audio` a decision may ask for."""
        decoder = self._decoder
        spot = partial(self.spotted_red_flags, audio)  # also when nothing of the grammar was heard
        hypothesis = decoder.hyp()
        if hypothesis is None or not hypothesis.hypstr:
            return Transcript("", 0.0, spot_red_flags=spot, free_form=free_form)
        text, frames = hypothesis.hypstr, max(1, decoder.n_frames())
        grammar = log_score(decoder, hypothesis.best_score)
        word_frames = sum(seg.end_frame - seg.start_frame + 1 for seg in decoder.seg() if seg.word in self._phones)
        said = [phone for word in text.split() for phone in self._phones.get(word, ())]
        if word_frames > MAX_FRAMES_PER_PHONE * max(1, len(said)):
            return Transcript("", 0.0, {"frames_per_phone": word_frames / max(1, len(said))}, spot_red_flags=spot,
                              free_form=free_form)
        free = phone_loop.log_score
        heard_phones = [word for word in phone_loop.words if word.isalpha()]  # no SIL, +NSN+ fillers
        if grammar is None or free is None:
            return Transcript(text, 0.0, spot_red_flags=spot, free_form=free_form)
        ratio = (grammar - free) / frames
        phone_errors = phone_error_rate(said, [p for p in heard_phones if p != "SIL"])
        confidence = sphinx_confidence(ratio, phone_errors)
        return Transcript(text, confidence, {"lr_per_frame": ratio, "phone_errors": phone_errors, "frames": frames},
                          partial(self.loose_transcript, audio), spot, free_form)

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


# -- the files the decoder reads: built once per language source and model, then read (intents/derived_cache.py) --
FILES_FORMAT = "pocketsphinx files 2"
FILES_KIND = "pocketsphinx"
MADE_BY = tuple(Path(__file__).resolve().with_name(name) for name in ("pocketsphinx.py", "dictionary.py",
                                                                       "free_form.py"))


@dataclass(frozen=True)
class SphinxFiles:
    """The grammar's dictionary, the second opinion's model (pocketsphinx's binary form) and the keyphrases, in
    `folder`; and the grammar's transitions with everything the engine needs to know about its words."""

    folder: Path
    start: int
    final: int
    states: int
    words: int
    transitions: list[Transition]  # each alternate pronunciation a word of its own (`with_alternates`)
    alternates: dict[str, list[str]]
    phones: dict[str, list[str]]  # each word's first pronunciation
    keyword_phones: dict[str, int]

    @property
    def dictionary(self) -> Path:
        return self.folder / "grammar.dict"

    @property
    def language_model(self) -> Path:
        return self.folder / "language.lm.bin"

    @property
    def keywords(self) -> Path:
        return self.folder / "keywords.txt"

    @property
    def free_form_dictionary(self) -> Path:
        return self.folder / "free-form.dict"


def sphinx_files(pocketsphinx: Any, model: Path, language: Language | None) -> SphinxFiles:
    """The files for this language source (default: the default one) and model, built when there are none; a
    stored build that does not read back is built again, once. A word the dictionary lacks, or a keyphrase that
    cannot be spotted well, is an EngineError when they are built."""
    cmudict = model / "cmudict-en-us.dict"
    key = input_key([cmudict, *MADE_BY], [FILES_FORMAT, source_key(source_of(language)),
                                          library_version("pocketsphinx")])

    def build(folder: Path) -> None:
        _build_files(folder, pocketsphinx, cmudict, voice_language(language))

    try:
        return _read_files(cached_folder(FILES_KIND, key, build))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        forget(FILES_KIND, key)
        return _read_files(cached_folder(FILES_KIND, key, build))


def _build_files(folder: Path, pocketsphinx: Any, cmudict: Path, derived: VoiceLanguage) -> None:
    # Only the grammar's words: the full 134k-word dictionary would triple the assistant's memory.
    dictionary, missing = grammar_dictionary(cmudict, derived.words, derived.pronunciations)
    if missing:
        raise EngineError(f"pocketsphinx dictionary lacks {', '.join(missing)}: add pronunciations")
    phones = first_pronunciations(dictionary)
    keyword_phones = _keyword_phones(derived.red_flag_keywords, phones)
    alternates = alternate_pronunciations(dictionary)
    (folder / "grammar.dict").write_text(dictionary, encoding="utf-8")
    (folder / "free-form.dict").write_text(free_form_dictionary(pocketsphinx, cmudict.parent, dictionary),
                                           encoding="utf-8")
    (folder / "keywords.txt").write_text("".join(f"{phrase} /1e-{round(SPOT_ORDERS_PER_PHONE * count)}/\n"
                                                 for phrase, count in keyword_phones.items()), encoding="utf-8")
    # The trigram model in pocketsphinx's own binary form: read in 3 ms instead of ARPA's 60, and decoded the same.
    arpa = folder / "language.arpa"
    arpa.write_text(derived.arpa, encoding="utf-8")
    trigram = pocketsphinx.NGramModel(pocketsphinx.Config(loglevel="FATAL"), pocketsphinx.LogMath(), str(arpa))
    trigram.write(str(folder / "language.lm.bin"), pocketsphinx.NGramModel.str_to_type("bin"))
    arpa.unlink()
    words, flat = flatten(with_alternates(derived.transitions, alternates))
    facts = {"format": FILES_FORMAT, "start": derived.start, "final": derived.final, "states": derived.states,
             "words": len(derived.words), "vocabulary": words, "transitions": flat, "alternates": alternates,
             "phones": phones, "keyword_phones": keyword_phones}
    (folder / "engine.json").write_text(json.dumps(facts, separators=(",", ":")), encoding="utf-8")


def _read_files(folder: Path) -> SphinxFiles:
    facts = json.loads((folder / "engine.json").read_text(encoding="utf-8"))
    if facts["format"] != FILES_FORMAT:
        raise ValueError(f"not {FILES_FORMAT}")
    files = SphinxFiles(folder, facts["start"], facts["final"], facts["states"], facts["words"],
                        unflatten(facts["vocabulary"], facts["transitions"]), facts["alternates"], facts["phones"],
                        facts["keyword_phones"])
    for path in (files.dictionary, files.language_model, files.keywords, files.free_form_dictionary):
        if not path.is_file():
            raise OSError(f"{path} is missing")
    return files


def with_alternates(transitions: list[Transition], alternates: dict[str, list[str]]) -> list[Transition]:
    """The transitions plus, for each word with alternate pronunciations (`word(2)`...), the same transition on
    each of them. pocketsphinx adds these itself (`fsgusealtpron`) by scanning every transition once per alternate:
    0.5-1 s of the start-up for our 200, for the same decoding (tests/local_voice/test_startup.py)."""
    return transitions + [(t[0], t[1], t[2], alternate) for t in transitions if len(t) > 3
                          for alternate in alternates.get(t[3], ())]  # type: ignore[misc]


def _keyword_phones(keyphrases: list[str], phones: dict[str, list[str]]) -> dict[str, int]:
    """The language's red-flag keyphrases with their phone counts; a phrase the engine cannot spot well is an
    error in the language source."""
    found = {}
    for phrase in keyphrases:
        unknown = [word for word in phrase.split() if word not in phones]
        if unknown:
            raise EngineError(f"red_flag_keywords: {phrase!r} has words no template has ({', '.join(unknown)})")
        count = sum(len(phones[word]) for word in phrase.split())
        if count < SPOT_MIN_PHONES:
            raise EngineError(f"red_flag_keywords: {phrase!r} is too short to spot ({count} phones, the least "
                              f"is {SPOT_MIN_PHONES})")
        found[phrase] = count
    return found


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
        # No default search: pocketsphinx would load its general English model (~37 MB of peak memory) for none.
        lm=None,
        samprate=SAMPLE_RATE,
        # Near-zero silence probability: pauses inside words ("ham...string") must not split them.
        silprob=1e-7,
        # The lattice best-path pass ignores the grammar's final states; the first pass keeps them.
        bestpath=False,
        # The grammar comes with its alternate pronunciations (`with_alternates`): pocketsphinx's own way is slow.
        fsgusealtpron=False,
        # Wide beams: with short commands the right sentence is otherwise pruned before it can finish...
        beam=1e-80,
        wbeam=1e-60,
        pbeam=1e-80,
        # ...but capped in size: the slot lists' wide beams kept tens of thousands of HMMs alive per frame.
        maxhmmpf=MAX_HMMS_PER_FRAME,
        loglevel="FATAL",
    )


def _phone_loop_pass(pocketsphinx: Any, model: Path, dictionary: Path) -> SidePass:
    """The free phone loop, the grammar path's unconstrained alternative, in a decoder of its own with the grammar
    decoder's settings and the phone loop's language weight."""
    config = _decoder_config(pocketsphinx, model, dictionary)
    config["allphone"], config["lw"] = str(model / "en-us-phone.lm.bin"), PHONE_LOOP_LW
    return SidePass(pocketsphinx.Decoder(config))


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

