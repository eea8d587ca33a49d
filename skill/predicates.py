"""Predicates over a request, for the handlers' `can_handle` (small functions, as in the ask-sdk samples)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest

from intents.names import HARM_SLOT, RED_FLAG_INTENT, RED_FLAG_LIST

from . import display


def is_any_intent(*names: str) -> Callable[[HandlerInput], bool]:
    """Predicate: the request is an IntentRequest for one of `names`."""
    wanted = frozenset(names)

    def predicate(handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return isinstance(request, IntentRequest) and intent_name(handler_input) in wanted

    return predicate


def intent_name(handler_input: HandlerInput) -> str:
    intent = getattr(handler_input.request_envelope.request, "intent", None)
    return getattr(intent, "name", None) or ""


def intent_request(handler_input: HandlerInput) -> IntentRequest:
    """The request of a handler whose predicate already checked that it is an IntentRequest."""
    return cast(IntentRequest, handler_input.request_envelope.request)


def red_flag_in(handler_input: HandlerInput) -> str | None:
    """The red flag a request carries: RedFlagIntent's resolved value, or a cue in any slot's words (Alexa may put
    "my swollen leg" into a remedy slot; the warning must not be lost to the question). A flag that may go beside a
    question, in the `harm` slot, is not one: it is a note to the answer (`noted_red_flag`)."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest):
        return None
    from intents.runtime import load_runtime  # here, as the slots: a request without an intent never loads them

    from .slots import read_slot, slot_texts

    noted = noted_red_flag(handler_input)
    for said in slot_texts(request, but=HARM_SLOT if noted else None):
        hit = load_runtime().red_flags.detect(said)
        if hit is not None:
            return hit.id
    if intent_name(handler_input) == RED_FLAG_INTENT:
        return read_slot(request, RED_FLAG_LIST).value_id
    return None


def noted_red_flag(handler_input: HandlerInput) -> str | None:
    """The red flag whose guidance goes beside the answer: one the language lets go with a question (cues of
    everyday time words), told in the `harm` slot of a request that is not RedFlagIntent (offline, the matcher's
    reading of "i do yoga every morning would that help with cramps"). Any other flag there is the answer."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or intent_name(handler_input) == RED_FLAG_INTENT:
        return None
    from .slots import read_slot

    said = read_slot(request, HARM_SLOT).said
    if not said:
        return None
    from intents.runtime import load_runtime

    hit = load_runtime().red_flags.detect(said)
    return hit.id if hit is not None and hit.id in load_runtime().beside_a_question else None


def has_red_flag(handler_input: HandlerInput) -> bool:
    request = handler_input.request_envelope.request
    return isinstance(request, IntentRequest) and (
        intent_name(handler_input) == RED_FLAG_INTENT or red_flag_in(handler_input) is not None
    )


def user_event_intent(handler_input: HandlerInput) -> str | None:
    """The navigation intent a touch (APL UserEvent) stands for, if the request is one."""
    return display.intent_for_user_event(handler_input.request_envelope.request)
