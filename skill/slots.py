"""Reading slots as Alexa sends them: the words said, and the id entity resolution matched them to.

Alexa resolves a custom slot's words to a value id (ER_SUCCESS_MATCH) or says it could not (ER_SUCCESS_NO_MATCH,
the words still arrive). A request without resolutions (a hand-written test request, a local tool) is resolved
here from the compiled value table, so every front end reaches the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ask_sdk_model import IntentRequest

MATCH = "ER_SUCCESS_MATCH"
# Slot words longer than this are not a value anyone said to us; they are not read (nor scanned) past it.
MAX_SLOT_CHARS = 200
# AMAZON.NUMBER arrives as ASCII digits. Not str.isdigit(): it accepts "²", "③" and other scripts' digits, some of
# which int() then refuses. No step, and no number we ask for, has more than three digits.
_NUMBER = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True)
class SlotReading:
    said: str | None  # the words, as heard
    value_id: str | None  # the list value they resolved to, when they did


def _words_of(slot: object) -> str | None:
    value = getattr(slot, "value", None)
    return value[:MAX_SLOT_CHARS] if isinstance(value, str) and value.strip() else None


def _resolved_id(slot: object) -> str | None:
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or ():
        code = getattr(getattr(authority, "status", None), "code", None)
        if getattr(code, "value", code) != MATCH:
            continue
        for wrapper in getattr(authority, "values", None) or ():
            value_id = getattr(getattr(wrapper, "value", None), "id", None)
            if isinstance(value_id, str) and value_id:
                return value_id
    return None


def read_slot(request: IntentRequest, name: str) -> SlotReading:
    slot = (request.intent.slots or {}).get(name) if request.intent else None
    said = _words_of(slot)
    value_id = _resolved_id(slot)
    if value_id is None and said is not None:
        from intents.runtime import load_runtime  # here: most slots arrive resolved, and a launch has none

        value_id = load_runtime().resolve(name, said)
    return SlotReading(said, value_id)


def slot_number(said: str | None) -> int | None:
    """A number slot's words as a number, or None for anything that is not one (the one parser of slot numbers)."""
    if said is None:
        return None
    text = said.strip()
    return int(text) if _NUMBER.fullmatch(text) else None


def slot_texts(request: IntentRequest, but: str | None = None) -> list[str]:
    """The words of every slot the request carries (`but`: except that one's)."""
    slots = request.intent.slots if request.intent else None
    return [said for name, slot in (slots or {}).items() if name != but and (said := _words_of(slot)) is not None]
