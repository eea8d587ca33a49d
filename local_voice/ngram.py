"""A smoothed trigram model of the recognizer language, for a second, looser decoding of the same audio.

Why: the grammar decoder can only output sentences of ours, so it maps any sound onto the nearest one. A decoder bound
by an n-gram over the same sentences can also say things between and beside them (speech-to-phrase's approach). When
both hear the same request, the grammar's transcript is rarely wrong; when they disagree, it often is (measured on
the dev sets: see confidence.py).

The model is estimated from sentences sampled from the word automata (the language has far too many to list), with
absolute discounting and backoff, and written as ARPA text for pocketsphinx. Each template gets the same share of
the samples, drawn with its sentences equally likely: drawn from the whole language at once, the slot-list
templates' billion sentences crowded out the short commands and plain questions, and "yes", "next step" or "what
causes hamstring cramps" were heard differently by the second opinion whenever they were said.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable

from intents.language import Language

from .wordgraph import Automaton, recognizer_templates, sentence_counts, template_graph

START, END = "<s>", "</s>"
ORDER = 3
DISCOUNT = 0.5
SAMPLES = 30000  # over all templates
SEED = 1  # fixed: the same language always gives the same model


def sample_sentences(graph: Automaton, count: int = SAMPLES, seed: int = SEED) -> list[list[str]]:
    """`count` sentences drawn uniformly from the (acyclic, deterministic) automaton's language."""
    completions = sentence_counts(graph)
    leaving: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for a, word, b in graph.arcs:
        leaving[a].append((word, b))
    rng = random.Random(seed)
    (start,) = graph.starts
    sentences = []
    for _ in range(count):
        state, words = start, []
        while True:
            pick = rng.random() * completions[state]
            if state in graph.finals:
                pick -= 1.0  # stopping here is one of the sentences through this state
                if pick < 0 or not leaving[state]:
                    break
            word, target = leaving[state][-1]  # if rounding leaves a sliver past the last way out
            for option, after in leaving[state]:
                pick -= completions[after]
                if pick < 0:
                    word, target = option, after
                    break
            words.append(word)
            state = target
        sentences.append(words)
    return sentences


class BackoffModel:
    """Absolute discounting with backoff (Ney): each seen n-gram gives DISCOUNT to its context's unseen words, which
    get the lower order's estimate, scaled so that every context's probabilities sum to one."""

    def __init__(self, sentences: list[list[str]], vocabulary: Iterable[str] = (), order: int = ORDER,
                 discount: float = DISCOUNT) -> None:
        self.order = order
        counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
        for sentence in sentences:
            said = [START, *sentence, END]
            for n in range(1, order + 1):
                for i in range(len(said) - n + 1):
                    counts[n][tuple(said[i : i + n])] += 1
        # Words no sample happened to hold are still words of the language: without them the second opinion could
        # never hear a rare slot value (30,000 samples held 677 of the grammar's 1,075 words).
        self.vocabulary = sorted({word for (word,) in counts[1]} | set(vocabulary) | {START, END})
        unigram_total = sum(c for (word,), c in counts[1].items() if word != START)
        # The start symbol is never predicted; every other word is, add-one smoothed so none is impossible.
        self.prob: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
        self.prob[1] = {(word,): 0.0 if word == START else (counts[1][(word,)] + 1) / (unigram_total +
                        len(self.vocabulary) - 1) for word in self.vocabulary}
        self.backoff: dict[tuple[str, ...], float] = {}
        for n in range(2, order + 1):
            totals: Counter[tuple[str, ...]] = Counter()
            followers: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for gram, count in counts[n].items():
                totals[gram[:-1]] += count
                followers[gram[:-1]].append(gram[-1])
            for gram, count in counts[n].items():
                self.prob[n][gram] = (count - discount) / totals[gram[:-1]]
            for context, words in followers.items():
                left = discount * len(words) / totals[context]
                lower = sum(self.probability(context[1:] + (word,)) for word in words)
                self.backoff[context] = left / max(1e-12, 1.0 - lower)

    def probability(self, gram: tuple[str, ...]) -> float:
        """P(last word | the words before it), backing off through the orders."""
        if len(gram) == 1:
            return self.prob[1].get(gram, 0.0)
        if gram in self.prob[len(gram)]:
            return self.prob[len(gram)][gram]
        return self.backoff.get(gram[:-1], 1.0) * self.probability(gram[1:])

    def arpa(self) -> str:
        lines = ["\\data\\", *(f"ngram {n}={len(self.prob[n])}" for n in range(1, self.order + 1)), ""]
        for n in range(1, self.order + 1):
            lines.append(f"\\{n}-grams:")
            for gram, probability in self.prob[n].items():
                line = f"{_log10(probability):.4f} {' '.join(gram)}"
                if n < self.order and gram in self.backoff:
                    line += f" {_log10(self.backoff[gram]):.4f}"
                lines.append(line)
            lines.append("")
        return "\n".join([*lines, "\\end\\", ""])


def _log10(value: float) -> float:
    return math.log10(value) if value > 0 else -99.0


def language_model(language: Language) -> str:
    """The ARPA text of the trigram model over the language's recognizer sentences."""
    return trigram_model(language).arpa()


def trigram_model(language: Language, samples: int = SAMPLES) -> BackoffModel:
    """The model itself: an equal share of `samples` from each recognizer template, every word of the language."""
    graphs = [template_graph(language, [template]) for template in recognizer_templates(language)]
    share = max(1, samples // len(graphs))
    sentences = [sentence for index, graph in enumerate(graphs)
                 for sentence in sample_sentences(graph, share, SEED + index)]
    return BackoffModel(sentences, frozenset().union(*(graph.words for graph in graphs)))
