"""Speech recognition (the pipeline's ASR stage): engines behind one small interface, both constrained by the
generated grammar.

- `base`: the interface (`Engine`, `Stream`, `Transcript`, `EngineError`, `NOTHING`) and `transcribe`.
- `pocketsphinx`: the bundled en-us model (no download), with a confidence from its own evidence (`scoring`), a
  second opinion on demand and red-flag keyword spotting; its dictionary is built by `dictionary`.
- `vosk`: any Kaldi model from a path, and finding one.

Why a confidence: a grammar-bound decoder maps any sound onto the nearest sentence of the grammar, so the text alone
cannot say "I did not understand". pocketsphinx scores the grammar's best path against a free phone loop decoded on
the same audio; it can also give a second opinion on demand: the same audio decoded with a looser n-gram model of the
language (local_voice/ngram.py), for the decision to weigh (local_voice/confidence.py). Vosk gives per-word
posteriors and the unknown-word token.
"""

from __future__ import annotations

from .base import NOTHING, Engine, EngineError, Stream, Transcript, transcribe
from .pocketsphinx import PocketsphinxEngine
from .vosk import VoskEngine, find_vosk_model, is_vosk_model, vosk_cache_dir

__all__ = ["NOTHING", "Engine", "EngineError", "PocketsphinxEngine", "Stream", "Transcript", "VoskEngine",
           "choose_engine", "find_vosk_model", "is_vosk_model", "transcribe", "vosk_cache_dir"]


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
