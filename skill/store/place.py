"""What is persisted about a user: where they were in the treatment, the last topic, and when. Nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SavedPlace:
    position: int | None  # last treatment step read (1-based), None when not in the steps
    topic: str | None  # last topic spoken about
    saved_at: int  # unix seconds; an int, since DynamoDB stores numbers as Decimal and ints round-trip exactly

    def to_attributes(self) -> dict[str, Any]:
        return {"position": self.position, "topic": self.topic, "saved_at": self.saved_at}

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any] | None) -> SavedPlace | None:
        """None for an empty or unusable record (older schema, hand-edited file): a lost resume, never a crash."""
        if not isinstance(attributes, dict):
            return None
        position, topic, saved_at = (attributes.get(name) for name in ("position", "topic", "saved_at"))
        # type(...) is int, not isinstance: True is an int to Python but no step number.
        if type(saved_at) is not int or saved_at < 0:
            return None
        if position is not None and (type(position) is not int or position < 1):
            position = None
        if topic is not None and not isinstance(topic, str):
            topic = None
        return cls(position=position, topic=topic, saved_at=saved_at)

    def age_s(self, now: float) -> float:
        return now - self.saved_at

    def is_fresh(self, now: float, max_age_s: float) -> bool:
        """Saved within `max_age_s` and not in the future (a clock moved back makes a record suspect, not fresh)."""
        return 0 <= self.age_s(now) <= max_age_s
