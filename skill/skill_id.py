"""Which skill a request is for. Dependency-free, so the Lambda entry can use it without the web stack."""

from __future__ import annotations


class VerificationFailed(ValueError):
    """The request is not provably from Alexa for this skill. str() is a short reason, safe to return."""


def parse_skill_ids(value: str | None) -> frozenset[str]:
    """ALEXA_SKILL_ID holds one id or several, comma-separated."""
    return frozenset(s.strip() for s in (value or "").split(",") if s.strip())


def application_id(envelope: dict) -> str | None:
    system = (envelope.get("context") or {}).get("System") or {}
    session = envelope.get("session") or {}
    for holder in (system.get("application"), session.get("application")):
        if isinstance(holder, dict) and isinstance(holder.get("applicationId"), str):
            return holder["applicationId"]
    return None


def check_skill_id(envelope: dict, allowed: frozenset[str]) -> None:
    if application_id(envelope) not in allowed:
        raise VerificationFailed("request is for another skill")
