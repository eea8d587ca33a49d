"""Conversation state. It lives only in Alexa session attributes, so any server instance can answer any turn.

Attributes come back from the client on every request, so they are input like any other: each value is checked
against what the content allows (a known section, a real step, a known answer) and dropped when it does not fit, and
then the state is checked as a whole: an offer stays only with what a yes to it needs (OFFER_NEEDS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Offer(str, Enum):
    """What a "yes" gives besides a section's detail (whose offer is the section id)."""

    STEPS = "steps"  # the treatment from step 1
    NEXT_STEP = "next_step"  # the step after `position`
    RESUME = "resume"  # the same, offered at launch from the saved place, where a no also forgets that place


STEP_OFFERS = frozenset(offer.value for offer in Offer)
# What a yes to each offer reads besides the offer: "shall I go on to step 4?" goes on from the step the user was at.
OFFER_NEEDS: dict[str, tuple[str, ...]] = {Offer.NEXT_STEP.value: ("position",), Offer.RESUME.value: ("position",)}
MAX_TEXT_CHARS = 8000  # Alexa's own limit on speech; a longer "last speech" was not ours


@dataclass(frozen=True)
class StateLimits:
    """What valid state can hold, from the content: section ids, the number of steps, answer ids, the sections with
    more to say (a yes to a section's offer gives its detail, so only those can be offered), and the answers that are
    causes (which "what else causes it" walks through)."""

    sections: frozenset[str]
    step_count: int
    answers: frozenset[str] = field(default_factory=frozenset)
    detailed: frozenset[str] = field(default_factory=frozenset)
    causes: frozenset[str] = field(default_factory=frozenset)

    def valid(self, name: str, value: Any) -> bool:
        if name in ("topic",):
            return isinstance(value, str) and value in self.sections
        if name == "offer":
            return isinstance(value, str) and (value in self.detailed or value in STEP_OFFERS)
        if name == "answer":
            return isinstance(value, str) and value in self.answers
        if name in ("step", "position"):
            # exact type: True must not pass as a step number
            return type(value) is int and 1 <= value <= self.step_count
        if name == "disclaimed":
            return type(value) is bool
        if name in ("last_speech", "last_reprompt"):
            return isinstance(value, str) and len(value) <= MAX_TEXT_CHARS
        if name == "causes_given":
            # A list of distinct cause answers, so never longer than the content has causes.
            return (isinstance(value, list) and len(value) <= len(self.causes) and len(set(value)) == len(value)
                    and all(isinstance(v, str) and v in self.causes for v in value))
        return False


@dataclass
class ConversationState:
    topic: str | None = None  # section this turn spoke about
    step: int | None = None  # treatment step this turn read (1-based)
    position: int | None = None  # last treatment step read this session, so "next" works after a detour
    offer: str | None = None  # what a "yes" would give: a section id (its detail) or an Offer value
    answer: str | None = None  # the specific answer, red flag or "not_covered" this turn gave
    disclaimed: bool = False  # the not-medical-advice line was spoken in this session
    last_speech: str | None = None  # plain text of the last answer, for "repeat"
    last_reprompt: str | None = None
    causes_given: tuple[str, ...] = ()  # the cause answers given this session, in order ("what else causes it")

    @classmethod
    def from_attributes(cls, attributes: Any, limits: StateLimits) -> ConversationState:
        """Read what a previous turn stored. Unknown or invalid values are dropped, and so is an offer without what
        it needs: a tampered state must not crash the skill or steer it somewhere the content does not go."""
        state = cls()
        if not isinstance(attributes, dict):
            return state
        for name in _FIELDS:
            value = attributes.get(name)
            if value is not None and limits.valid(name, value):
                setattr(state, name, tuple(value) if isinstance(value, list) else value)
        if any(getattr(state, needed) is None for needed in OFFER_NEEDS.get(state.offer or "", ())):
            state.offer = None
        return state

    def for_next_turn(self) -> ConversationState:
        """A copy that keeps what persists between turns and forgets what described this turn."""
        return ConversationState(position=self.position, disclaimed=self.disclaimed,
                                 last_speech=self.last_speech, last_reprompt=self.last_reprompt,
                                 causes_given=self.causes_given)

    def to_attributes(self) -> dict[str, Any]:
        # Flat values and one tuple (as the JSON list it travels as), so no deep copy (asdict) is needed.
        return {name: list(value) if isinstance(value, tuple) else value for name, value in vars(self).items()}


_FIELDS = tuple(ConversationState.__dataclass_fields__)
