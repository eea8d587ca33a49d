"""Speech recognition engines behind one small interface, both constrained by the generated grammar.

An engine opens a `Stream` per utterance: feed 16 kHz mono 16-bit PCM with `accept` (True once the engine itself
hears the utterance end), then `final()` gives the transcript. `transcribe` does both for a whole clip.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from intents.language import Language, load_language

from .grammar import VOSK_UNKNOWN, jsgf, missing_words, vosk_phrases

SAMPLE_RATE = 16000
log = logging.getLogger(__name__)


class EngineError(Exception):
    """The engine cannot run; the message says how to fix it, in one line."""


class Stream(Protocol):
    def accept(self, pcm: bytes) -> bool: ...

    def final(self) -> str: ...


class Engine(Protocol):
    name: str
    description: str
    missing: list[str]

    def stream(self) -> Stream: ...


def transcribe(engine: Engine, pcm: bytes, chunk: int = 8000) -> str:
    stream = engine.stream()
    for start in range(0, len(pcm), chunk):
        stream.accept(pcm[start : start + chunk])
    return stream.final()


# -- pocketsphinx (bundled, no download) ------------------------------------------------------------------------------
@dataclass
class _SphinxStream:
    engine: PocketsphinxEngine
    started: bool = False
    audio: list[bytes] = field(default_factory=list)

    def accept(self, pcm: bytes) -> bool:
        decoder = self.engine._decoder
        if not self.started:
            decoder.start_utt()
            self.started = True
        decoder.process_raw(pcm, False, False)
        if not self.engine.primed:
            self.audio.append(pcm)
        return False  # endpointing is the caller's (the assistant's VAD)

    def final(self) -> str:
        if not self.started:
            return ""
        decoder = self.engine._decoder
        decoder.end_utt()
        self.started = False
        if not self.engine.primed:
            # Live cepstral mean normalization starts from generic values and adapts per utterance; the first
            # utterance after start-up is decoded again with the values it taught (measured: fixes first-turn
            # misrecognitions; later turns are unaffected and cost nothing extra).
            self.engine.primed = True
            decoder.start_utt()
            decoder.process_raw(b"".join(self.audio), False, True)
            decoder.end_utt()
        hypothesis = decoder.hyp()
        return hypothesis.hypstr if hypothesis is not None else ""


@dataclass
class PocketsphinxEngine:
    """The en-us acoustic model shipped in the pocketsphinx wheel, decoding only sentences of the JSGF grammar."""

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
        grammar = jsgf(self.language)
        extra = self.language.raw["skill"].get("pronunciations", {})
        with tempfile.TemporaryDirectory() as tmp:
            # Only the grammar's words: the full 134k-word dictionary would triple the assistant's memory.
            dictionary, self.missing = _grammar_dictionary(model / "cmudict-en-us.dict", grammar.words, extra)
            if self.missing:
                raise EngineError(f"pocketsphinx dictionary lacks {', '.join(self.missing)}: add pronunciations")
            (Path(tmp) / "grammar.dict").write_text(dictionary, encoding="utf-8")
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
                loglevel="FATAL",
            )
            self._decoder = pocketsphinx.Decoder(config)
        self._decoder.add_jsgf_string("grammar", grammar.text)
        self._decoder.activate_search("grammar")
        self.description = f"pocketsphinx (bundled en-us model, JSGF grammar of {len(grammar.words)} words)"

    def stream(self) -> Stream:
        return _SphinxStream(self)


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

    def accept(self, pcm: bytes) -> bool:
        if self.recognizer.AcceptWaveform(pcm):  # Vosk's own endpoint: a pause closed a phrase
            self._keep(self.recognizer.Result())
            return True
        return False

    def final(self) -> str:
        self._keep(self.recognizer.FinalResult())
        return " ".join(self.parts)

    def _keep(self, result_json: str) -> None:
        text = json.loads(result_json).get("text", "").replace("[unk]", "").strip()
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
