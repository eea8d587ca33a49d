"""Conversation state. It lives only in Alexa session attributes, so any server instance can answer any turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ConversationState:
    topic: str | None = None  # section this turn spoke about
    step: int | None = None  # treatment step this turn read (1-based)
    position: int | None = None  # last treatment step read this session, so "next" works after a detour
    offer: str | None = None  # section whose detail a "yes" or "tell me more" would give
    disclaimed: bool = False  # the not-medical-advice line was spoken in this session
    last_speech: str | None = None  # plain text of the last answer, for "repeat"
    last_reprompt: str | None = None

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any] | None) -> "ConversationState":
        """Read what a previous turn stored. Unknown or ill-typed values are dropped: attributes come from the
        client and a tampered one must not crash the skill."""
        state = cls()
        for name, value in (attributes or {}).items():
            expected = _TYPES.get(name)
            if expected is not None and type(value) is expected:  # exact: True must not pass as a step number
                setattr(state, name, value)
        return state

    def for_next_turn(self) -> "ConversationState":
        """A copy that keeps what persists between turns and forgets what described this turn."""
        return ConversationState(position=self.position, offer=None, disclaimed=self.disclaimed,
                                 last_speech=self.last_speech, last_reprompt=self.last_reprompt)

    def to_attributes(self) -> dict[str, Any]:
        return dict(vars(self))  # flat values only, so no deep copy (asdict) is needed


_TYPES: dict[str, type] = {
    "topic": str, "offer": str, "last_speech": str, "last_reprompt": str,
    "step": int, "position": int, "disclaimed": bool,
}
