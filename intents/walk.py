"""The one walk over hassil template trees. Every consumer (expansion counts, random samples, template vocabulary,
recognizer word graphs) subclasses `TemplateWalker` and says what to do at each kind of node; rule references and
slot lists are resolved here, once.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    Permutation,
    RuleReference,
    TextChunk,
)
from hassil.intents import RangeSlotList, SlotList, TextSlotList

from .text import number_words

T = TypeVar("T")


class TemplateWalker(Generic[T]):
    """Dispatch on the node kind. `rules` and `lists` come from the language (hassil's expansion rules and slot
    lists); subclasses override the `visit_*` methods they care about."""

    def __init__(self, rules: dict, lists: dict[str, SlotList]) -> None:
        self.rules = rules
        self.lists = lists

    def visit(self, expression: Expression) -> T:
        if isinstance(expression, TextChunk):
            return self.visit_text(expression.original_text)
        if isinstance(expression, Alternative):
            return self.visit_alternative(expression)
        if isinstance(expression, Permutation):
            return self.visit_permutation(expression)
        if isinstance(expression, Group):
            return self.visit_sequence(expression)
        if isinstance(expression, RuleReference):
            return self.visit_rule(expression.rule_name, self.rules[expression.rule_name].expression)
        if isinstance(expression, ListReference):
            return self.visit_list(expression, self.lists.get(expression.list_name))
        raise TypeError(f"unexpected template part: {expression!r}")

    def visit_text(self, text: str) -> T:
        raise NotImplementedError

    def visit_alternative(self, expression: Alternative) -> T:
        raise NotImplementedError

    def visit_permutation(self, expression: Permutation) -> T:
        raise ValueError("permutations are not used in this language source")

    def visit_sequence(self, expression: Group) -> T:
        raise NotImplementedError

    def visit_rule(self, name: str, expression: Expression) -> T:
        return self.visit(expression)

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> T:
        raise NotImplementedError


def list_phrases(slot_list: SlotList | None) -> list[Expression | str]:
    """A slot list's values: template expressions for text lists, spoken number words for ranges."""
    if isinstance(slot_list, TextSlotList):
        return [value.text_in for value in slot_list.values]
    if isinstance(slot_list, RangeSlotList):
        return list(number_words(slot_list.start, slot_list.stop, slot_list.step))
    raise ValueError(f"slot list {slot_list!r} cannot be enumerated (wildcards are not used in this language)")


class CountWalker(TemplateWalker[int]):
    """How many strings a template expands to (slots counted by their values), without enumerating them."""

    def visit_text(self, text: str) -> int:
        return 1

    def visit_alternative(self, expression: Alternative) -> int:
        return sum(self.visit(item) for item in expression.items)

    def visit_sequence(self, expression: Group) -> int:
        product = 1
        for item in expression.items:
            product *= self.visit(item)
        return product

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> int:
        if isinstance(slot_list, TextSlotList):
            return sum(self.visit(value.text_in) for value in slot_list.values)
        return len(list_phrases(slot_list))


class VocabularyWalker(TemplateWalker[None]):
    """Every word a template can produce, as `words_of` splits it."""

    def __init__(self, rules: dict, lists: dict[str, SlotList], words_of) -> None:
        super().__init__(rules, lists)
        self.words_of = words_of
        self.words: set[str] = set()

    def visit_text(self, text: str) -> None:
        self.words.update(self.words_of(text))

    def visit_alternative(self, expression: Alternative) -> None:
        for item in expression.items:
            self.visit(item)

    def visit_sequence(self, expression: Group) -> None:
        for item in expression.items:
            self.visit(item)

    def visit_list(self, reference: ListReference, slot_list: SlotList | None) -> None:
        for phrase in list_phrases(slot_list):
            if isinstance(phrase, str):
                self.words.update(self.words_of(phrase))
            else:
                self.visit(phrase)
