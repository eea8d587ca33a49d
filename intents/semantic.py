"""The semantic stage: a sentence no template holds, read by its nearest exemplars (intents/sentences/exemplars.yaml).

Each exemplar is an utterance labelled with what it asks for. A text and the exemplars are embedded as sentences
(`WordEmbedder`: the static word vectors the `wordllama` wheel ships, averaged; loaded from the package's own files,
never downloaded), and the labels of the nearest exemplars vote, weighted by similarity. Red flags are asked first
and with a lower bar: a warning sign told as a story ("I heard a pop and went down") must not be lost to the
question around it; a false alarm costs a sentence of advice. The matcher (intents/matcher.py) asks for red flags
on every utterance its own cues did not flag, and for an answer only where it found nothing.

Optional: without numpy or the wordllama package (the Lambda path, a core install) `load_stage()` gives None and
the matcher works as before.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .derived_cache import cached_object, input_key, library_version
from .text import normalize, stem, words

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

EXEMPLARS_FILE = Path(__file__).resolve().parent / "sentences" / "exemplars.yaml"
WEIGHTS = ("weights", "l2_supercat_256.safetensors")
TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
RED_FLAG_PREFIX = "rf_"
OUT_OF_DOMAIN = "out_of_domain"
TOPIC_PREFIX = "topic:"
NOT_COVERED = "not_covered"
NEIGHBOURS = 5
# Chosen on the dev sets (tests/data/dev_people_a.yaml, dev_people_b.yaml): see docs/understanding.md.
RED_FLAG_MIN_SIMILARITY = 0.45  # the nearest red-flag exemplar at least this close ...
RED_FLAG_MIN_SHARE = 0.6  # ... and red flags at least this share of the neighbours' vote
MIN_STORY_WORDS = 4
SAME_SENTENCE = 0.95  # an exemplar this close is the same sentence: its label decides
ANSWER_MIN_SIMILARITY = 0.5
ANSWER_MIN_SHARE = 0.4
SURE_MIN_SIMILARITY = 0.55  # to overrule the word matcher's loose paraphrase reading
SURE_MIN_SHARE = 0.6


@dataclass(frozen=True)
class Reading:
    """What the nearest exemplars say: the winning label, the nearest one's similarity, the label's vote share."""

    label: str
    similarity: float
    share: float


def _mapped_table(path: Path, name: str) -> Any:
    """One float16 tensor of a safetensors file, memory-mapped: the file's pages are read as rows are looked up,
    instead of 16 MB read and held at start (40 ms, and 16 MB of the process). The format: an 8-byte little-endian
    header length, a JSON header of name -> dtype, shape, byte offsets, then the data."""
    import numpy as np

    with path.open("rb") as file:
        size = int.from_bytes(file.read(8), "little")
        header = json.loads(file.read(size))
    entry = header.get(name) or {}
    start, end = entry.get("data_offsets", (0, 0))
    shape = tuple(entry.get("shape", ()))
    if entry.get("dtype") != "F16" or len(shape) != 2 or end - start != 2 * shape[0] * shape[1]:
        raise ImportError(f"{path.name}: no float16 matrix {name!r} where the semantic stage expects it")
    return np.memmap(path, dtype=np.float16, mode="r", offset=8 + size + start, shape=shape)


class WordEmbedder:
    """Sentence vectors: the mean of the wordllama wheel's 256-dimension token vectors, centred and normalized."""

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from tokenizers import Tokenizer

        self._np = np
        self._vectors = _mapped_table(folder.joinpath(*WEIGHTS), "embedding.weight")  # float16, by row per lookup
        self._tokenizer = Tokenizer.from_file(str(folder.joinpath(*TOKENIZER)))
        self.centre: Any = None  # fixed by the first batch embedded (the exemplars), or given with their index

    def embed(self, texts: list[str]) -> np.ndarray:
        np = self._np
        out = np.zeros((len(texts), self._vectors.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(self._tokenizer.encode_batch(texts, add_special_tokens=False)):
            if encoding.ids:
                out[row] = self._vectors[encoding.ids].astype(np.float32).mean(axis=0)
        if self.centre is None:  # the first batch (the exemplars) fixes the centre: a shared offset says nothing
            self.centre = out.mean(axis=0)
        out -= self.centre
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@dataclass(frozen=True)
class ExemplarIndex:
    """The exemplars embedded: derived from the exemplar file and the model only, so built once and then read from
    the derived-data cache (embedding 1,300 sentences and reading the YAML was ~0.1 s of the stage's first use)."""

    labels: list[str]
    matrix: Any  # np.ndarray, one unit row per exemplar
    centre: Any  # np.ndarray: the exemplars' mean vector, which every embedding is centred on
    words: frozenset[str]  # the exemplars' word stems, in the matcher's own terms

    @classmethod
    def build(cls, exemplars: dict[str, list[str]], embedder: WordEmbedder) -> ExemplarIndex:
        labels: list[str] = []
        texts: list[str] = []
        for label, sentences in exemplars.items():
            for sentence in sentences:
                labels.append(label)
                texts.append(normalize(sentence))
        matrix = embedder.embed(texts)
        words_said = frozenset(stem(w) for text, label in zip(texts, labels, strict=True)
                               if label != OUT_OF_DOMAIN for w in words(text))
        return cls(labels, matrix, embedder.centre, words_said)


class SemanticStage:
    def __init__(self, index: ExemplarIndex, embedder: WordEmbedder) -> None:
        import numpy as np

        self._np = np
        self._embedder = embedder
        embedder.centre = index.centre
        self.labels = index.labels
        self._matrix = index.matrix
        # The exemplars' word stems: what people say about cramps, beyond the templates.
        self.words = index.words
        # The matcher asks one sentence for its red flag, then whether it is ours, then for its answer: one embedding.
        self._neighbours = lru_cache(maxsize=8)(self._nearest)

    def _nearest(self, text: str) -> tuple[tuple[str, float], ...]:
        similarities = self._matrix @ self._embedder.embed([normalize(text)])[0]
        nearest = self._np.argsort(-similarities)[:NEIGHBOURS]
        return tuple((self.labels[i], float(similarities[i])) for i in nearest)

    @staticmethod
    def _vote(neighbours: tuple[tuple[str, float], ...], keep: Any) -> Reading | None:
        weights: dict[str, float] = defaultdict(float)
        for label, similarity in neighbours:
            weights[label] += max(similarity, 0.0)
        total = sum(weights.values()) or 1.0
        candidates = [(w, label) for label, w in weights.items() if keep(label)]
        if not candidates:
            return None
        weight, label = max(candidates)
        nearest = max(s for lab, s in neighbours if lab == label)
        return Reading(label, nearest, weight / total)

    def red_flag(self, text: str) -> Reading | None:
        """The red flag the text most likely tells, when the nearest exemplars lean that way enough (a story takes
        a few words: "continue" or "it's bad" alone is no story)."""
        if len(text.split()) < MIN_STORY_WORDS:
            return None
        neighbours = self._neighbours(text)
        if neighbours[0][1] >= SAME_SENTENCE and not neighbours[0][0].startswith(RED_FLAG_PREFIX):
            return None  # said as an exemplar of something else, near enough word for word
        flags = sum(max(s, 0.0) for label, s in neighbours if label.startswith(RED_FLAG_PREFIX))
        total = sum(max(s, 0.0) for _, s in neighbours) or 1.0
        reading = self._vote(neighbours, lambda label: label.startswith(RED_FLAG_PREFIX))
        if reading is None or reading.similarity < RED_FLAG_MIN_SIMILARITY or flags / total < RED_FLAG_MIN_SHARE:
            return None
        return Reading(reading.label, reading.similarity, flags / total)

    def answer(self, text: str, sure: bool = False) -> Reading | None:
        """What the text asks for (an answer id, topic:..., not_covered...), or None (out of domain, or unsure).
        `sure`: the stricter bar, for overruling another reading."""
        neighbours = self._neighbours(text)
        if neighbours[0][1] >= SAME_SENTENCE:  # an exemplar said word for word: its label decides
            label = neighbours[0][0]
            return None if label == OUT_OF_DOMAIN or label.startswith(RED_FLAG_PREFIX) else Reading(label, 1.0, 1.0)
        reading = self._vote(neighbours, lambda label: not label.startswith(RED_FLAG_PREFIX))
        if reading is None or reading.label == OUT_OF_DOMAIN:
            return None
        similarity, share = (SURE_MIN_SIMILARITY, SURE_MIN_SHARE) if sure else (ANSWER_MIN_SIMILARITY, ANSWER_MIN_SHARE)
        if reading.similarity < similarity or reading.share < share:
            return None
        return reading


def wordllama_folder() -> Path | None:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if folder.joinpath(*WEIGHTS).is_file() and folder.joinpath(*TOKENIZER).is_file() else None


def load_exemplars(path: Path = EXEMPLARS_FILE) -> dict[str, list[str]]:
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {str(label): [str(s) for s in sentences] for label, sentences in raw.items()}


def _index_key() -> str:
    """What the exemplar index is derived from: the exemplars, this code, and the model's and tokenizer's releases."""
    here = Path(__file__).resolve().parent
    return input_key([EXEMPLARS_FILE, here / "semantic.py", here / "text.py"],
                     [library_version("wordllama"), library_version("tokenizers"), library_version("numpy"), "pickle"])


@lru_cache(maxsize=1)
def load_stage() -> SemanticStage | None:
    """The stage, or None where its model is not installed (it is the `understanding` extra)."""
    folder = wordllama_folder()
    if folder is None:
        return None
    try:
        embedder = WordEmbedder(folder)
        index = cached_object("semantic-index", _index_key(),
                              lambda: ExemplarIndex.build(load_exemplars(), embedder))
        return SemanticStage(index, embedder)
    except ImportError as error:
        log.info("semantic stage off: %s", error)
        return None
