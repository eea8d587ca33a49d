"""The recognizer grammar as a minimal word automaton, built from the hassil template trees.

Why not JSGF: pocketsphinx compiles JSGF by copying every rule and slot list at each reference and keeps the null
transitions, and its FSG search then allocates a lexical tree of HMMs for every state. With the specific-question
language (slot lists of up to 60 synonyms, referenced from many templates) that cost 290 MB and 3.3 s at start-up,
and kept thousands of HMMs alive per frame. The same language as a deterministic, minimized word automaton accepts
exactly the same sentences with a fraction of the states: common prefixes are merged by determinization, common
suffixes by minimization (Brzozowski: determinize the reverse, twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from hassil.expression import Alternative, Expression, Group, ListReference, Sequence, TextChunk
from hassil.intents import SlotList

from intents.language import Language
from intents.text import normalize
from intents.walk import TemplateWalker, list_phrases

EPSILON = ""
Arc = tuple[int, str, int]  # (from state, word or EPSILON, to state)


@dataclass
class Automaton:
    """States are 0..count-1; `arcs` are word (or epsilon) transitions."""

    count: int = 0
    starts: set[int] = field(default_factory=set)
    finals: set[int] = field(default_factory=set)
    arcs: list[Arc] = field(default_factory=list)

    def state(self) -> int:
        self.count += 1
        return self.count - 1

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for _, word, _ in self.arcs if word != EPSILON)

    def reversed(self) -> Automaton:
        return Automaton(self.count, set(self.finals), set(self.starts), [(b, w, a) for a, w, b in self.arcs])

    def determinized(self) -> Automaton:
        """Subset construction over epsilon closures; only reachable subsets are built."""
        by_state: dict[int, list[tuple[str, int]]] = {}
        for a, word, b in self.arcs:
            by_state.setdefault(a, []).append((word, b))

        def closure(states: Iterable[int]) -> frozenset[int]:
            seen, stack = set(states), list(states)
            while stack:
                for word, b in by_state.get(stack.pop(), ()):
                    if word == EPSILON and b not in seen:
                        seen.add(b)
                        stack.append(b)
            return frozenset(seen)

        out = Automaton()
        start = closure(self.starts)
        index = {start: out.state()}
        out.starts.add(0)
        queue = [start]
        while queue:
            subset = queue.pop()
            source = index[subset]
            if subset & self.finals:
                out.finals.add(source)
            moves: dict[str, set[int]] = {}
            for state in subset:
                for word, b in by_state.get(state, ()):
                    if word != EPSILON:
                        moves.setdefault(word, set()).add(b)
            for word in sorted(moves):
                target = closure(moves[word])
                if target not in index:
                    index[target] = out.state()
                    queue.append(target)
                out.arcs.append((source, word, index[target]))
        return out

    def minimized(self) -> Automaton:
        return self.reversed().determinized().reversed().determinized()

    @cached_property
    def _moves(self) -> dict[tuple[int, str], int]:  # read only once the automaton is built
        return {(a, word): b for a, word, b in self.arcs}

    def accepts(self, words: list[str]) -> bool:
        """Whether the word sequence is a sentence (for a deterministic, epsilon-free automaton such as
        `word_graph`'s)."""
        moves = self._moves
        (state,) = self.starts
        for word in words:
            if (state, word) not in moves:
                return False
            state = moves[(state, word)]
        return state in self.finals


class _Builder(TemplateWalker[tuple[int, int]]):
    """Thompson construction: each template part becomes a fragment (entry, exit) of one shared automaton."""

    def __init__(self, language: Language, automaton: Automaton) -> None:
        super().__init__(language.hassil.expansion_rules, language.hassil.slot_lists)
        self.automaton = automaton

    def _link(self, a: int, b: int, word: str = EPSILON) -> None:
        self.automaton.arcs.append((a, word, b))

    def words(self, said: list[str]) -> tuple[int, int]:
        entry = current = self.automaton.state()
        for word in said:
            after = self.automaton.state()
            self._link(current, after, word)
            current = after
        return entry, current

    def visit_text(self, text: str) -> tuple[int, int]:
        return self.words(normalize(text).split())

    def _either(self, parts: list[tuple[int, int]], optional: bool) -> tuple[int, int]:
        entry, exit_ = self.automaton.state(), self.automaton.state()
        for a, b in parts:
            self._link(entry, a)
            self._link(b, exit_)
        if optional:
            self._link(entry, exit_)
        return entry, exit_

    def visit_alternative(self, expression: Alternative) -> tuple[int, int]:
        return self._either([self.visit(item) for item in expression.items], expression.is_optional)

    def visit_sequence(self, expression: Group) -> tuple[int, int]:
        entry = current = self.automaton.state()
        items = list(expression.items)
        index = 0
        while index < len(items):
            item = items[index]
            suffixes = _suffixes(items[index + 1]) if index + 1 < len(items) else None
            if isinstance(item, TextChunk) and item.original_text[-1:].isalpha() and suffixes is not None:
                # A word with an optional or alternative ending ("hamstring[s]"): the endings belong to the word.
                said = normalize(item.original_text).split()
                a, b = self.words(said[:-1])
                endings = [self.words(normalize(said[-1] + suffix).split()) for suffix in suffixes]
                c, d = self._either(endings, False)
                self._link(current, a)
                self._link(b, c)
                current = d
                index += 2
                continue
            a, b = self.visit(item)
            self._link(current, a)
            current = b
            index += 1
        return entry, current

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> tuple[int, int]:
        parts = [self.words(phrase.split()) if isinstance(phrase, str) else self.visit(phrase)
                 for phrase in list_phrases(slot_list)]
        return self._either(parts, False)


def _suffixes(expression: Expression) -> list[str] | None:
    """The texts of an alternative of plain text that starts inside a word (`[s]`, `(s|es)`), else None."""
    if not isinstance(expression, Alternative):
        return None
    texts = []
    for option in expression.items:
        chunks = option.items if isinstance(option, Sequence) else [option]
        if not all(isinstance(chunk, TextChunk) for chunk in chunks):
            return None
        texts.append("".join(chunk.original_text for chunk in chunks if isinstance(chunk, TextChunk)))
    if not any(text[:1].isalpha() for text in texts):
        return None
    return texts + ([""] if expression.is_optional and "" not in texts else [])


def word_graph(language: Language, intents: Iterable[str] | None = None) -> Automaton:
    """The minimal deterministic automaton over words accepting every recognizer sentence of `intents` (default:
    all) and the launch phrases."""
    return template_graph(language, recognizer_templates(language, intents)).minimized()


def recognizer_templates(language: Language, intents: Iterable[str] | None = None) -> list[Expression]:
    """The recognizer's template expressions of `intents` (default: all), and the launch phrases'."""
    return [s.expression for name in (intents if intents is not None else language.intents)
            for s in language.recognizer_sentences(name)] + [launch.expression for launch in language.launch]


def template_graph(language: Language, expressions: Iterable[Expression]) -> Automaton:
    """A deterministic automaton accepting the sentences of `expressions` (not minimized)."""
    nfa = Automaton()
    builder = _Builder(language, nfa)
    start, final = nfa.state(), nfa.state()
    nfa.starts.add(start)
    nfa.finals.add(final)
    for expression in expressions:
        a, b = builder.visit(expression)
        nfa.arcs += [(start, EPSILON, a), (b, EPSILON, final)]
    return nfa.determinized()


def sentence_counts(graph: Automaton) -> list[float]:
    """How many sentences complete from each state (the templates have no loops, so the automaton is acyclic)."""
    leaving: dict[int, list[int]] = {}
    for a, _, b in graph.arcs:
        leaving.setdefault(a, []).append(b)
    counts: list[float | None] = [None] * graph.count
    for root in range(graph.count):
        stack = [root]
        while stack:
            state = stack[-1]
            if counts[state] is not None:
                stack.pop()
                continue
            pending = [b for b in leaving.get(state, ()) if counts[b] is None]
            if pending:
                stack.extend(pending)
                continue
            counts[state] = float(state in graph.finals) + sum(counts[b] or 0.0 for b in leaving.get(state, ()))
            stack.pop()
    return [c or 0.0 for c in counts]


# Every sentence of the language equally likely: 76.6% of in-grammar espeak-ng speech (every 2nd dev and template
# sentence the grammar holds) decoded word for word, against 72.7% with each state's ways out equally likely and 71.1%
# with pocketsphinx's own JSGF compilation (which also decoded 7x slower).
SENTENCE_WEIGHT = 1.0


def fsg_transitions(graph: Automaton, sentence_weight: float | None = None) -> tuple[int, int, list[tuple]]:
    """pocketsphinx `create_fsg` arguments: start, the one final state, and (from, to, probability[, word])
    transitions. Each way out of a state weighs (sentences through it) ** sentence_weight: 0 makes a state's ways
    out equally likely, 1 every sentence."""
    power = SENTENCE_WEIGHT if sentence_weight is None else sentence_weight
    counts = sentence_counts(graph)
    (start,) = graph.starts
    final = graph.count
    leaving: dict[int, list[tuple[int, str, float]]] = {}
    for a, word, b in graph.arcs:
        leaving.setdefault(a, []).append((b, word, counts[b] ** power))
    for state in graph.finals:
        leaving.setdefault(state, []).append((final, EPSILON, 1.0))
    transitions: list[tuple] = []
    for a, ways in leaving.items():
        total = sum(weight for _, _, weight in ways)
        for b, word, weight in ways:
            probability = weight / total
            transitions.append((a, b, probability, word) if word else (a, b, probability))
    return start, final, transitions
