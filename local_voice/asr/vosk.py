"""Vosk: any Kaldi model from a folder, constrained by the generated grammar when the model has a runtime graph.

The confidence is the mean of Vosk's per-word posteriors; the unknown-word token counts as a word heard with none.
Models are found in an explicit path, VOSK_MODEL_PATH or the folders Vosk itself searches, and never downloaded here
(`hamstring model download` does that, only when asked).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio import SAMPLE_RATE, AudioChunk
from ..derived import voice_language
from ..grammar import VOSK_UNKNOWN, missing_words
from .base import NOTHING, EngineError, Stream, Transcript

if TYPE_CHECKING:
    from intents.language import Language


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
    language: Language | None = None  # default: the default source, whose derived data is read, not rebuilt
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
        phrases = self.phrases if self.phrases is not None else voice_language(self.language).vosk_phrases
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


# -- finding a model ----------------------------------------------------------------------------------------------
def is_vosk_model(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


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
