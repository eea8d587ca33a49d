"""Echo Show building blocks: APL RenderDocument directives for a treatment step and for any other answer, and the
touch events (Previous / Next / Repeat) mapped back to the intents they stand for.

The documents, sample datasources, illustrations (AVG vector graphics) and the step -> illustration table are JSON
data in content/apl/; this module only fills them in. A directive goes only to devices that declare
Alexa.Presentation.APL: sending one elsewhere fails certification.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ask_sdk_model import RequestEnvelope

if TYPE_CHECKING:  # the APL model package costs a speaker-only cold start ~10 ms: imported when a screen needs it
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

from .content import content_dir

USER_EVENT = "Alexa.Presentation.APL.UserEvent"
STEP_TOKEN = "hamstring.step"  # the token of each document: UserEvents carry it back
ANSWER_TOKEN = "hamstring.answer"
TOKENS = frozenset({STEP_TOKEN, ANSWER_TOKEN})

# The words the step document's buttons send (SendEvent arguments in content/apl/step.json) and the intents they
# stand for: a touch is handled exactly as the spoken request.
EVENT_INTENTS: dict[str, str] = {
    "next": "AMAZON.NextIntent",
    "previous": "AMAZON.PreviousIntent",
    "repeat": "AMAZON.RepeatIntent",
}
GENERIC_ILLUSTRATION = "generic"


def supports_apl(request_envelope: RequestEnvelope | None) -> bool:
    """True only when the device lists Alexa.Presentation.APL in context.System.device.supportedInterfaces."""
    try:
        interfaces = request_envelope.context.system.device.supported_interfaces  # type: ignore[union-attr]
    except AttributeError:
        return False
    return getattr(interfaces, "alexa_presentation_apl", None) is not None


def step_datasources(number: int, total: int, text: str, illustration: str | None = None,
                     title: str = "") -> dict[str, Any]:
    """The datasources of the step document (shape: content/apl/step.datasources.json). `illustration` defaults to
    the one content/apl/step_illustrations.json gives this step."""
    if not 1 <= number <= total:
        raise ValueError(f"step {number} is not within 1..{total}")
    name = illustration if illustration is not None else illustration_for_step(number)
    illustrations = load_illustrations()
    if name not in illustrations:
        raise ValueError(f"no illustration {name!r} in illustrations.json (known: {sorted(illustrations)})")
    return {"step": {"title": apl_text(title), "number": number, "total": total, "text": apl_text(text),
                     "illustration": name, "illustrationLabel": illustrations[name]["label"]}}


def step_directive(number: int, total: int, text: str, illustration: str | None = None,
                   title: str = "") -> RenderDocumentDirective:
    """RenderDocument for treatment step `number` of `total` (1-based)."""
    datasources = step_datasources(number, total, text, illustration, title)
    document = load_document("step")
    name = datasources["step"]["illustration"]
    # Only the graphic this step shows travels with the document: a response has a size limit, and six graphics
    # per step would be spent on nothing.
    document["graphics"] = {name: copy.deepcopy(load_illustrations()[name]["graphic"])}
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    return RenderDocumentDirective(token=STEP_TOKEN, document=document, datasources=datasources)


def answer_datasources(title: str, text: str) -> dict[str, Any]:
    return {"answer": {"title": apl_text(title), "text": apl_text(text)}}


def answer_directive(title: str, text: str) -> RenderDocumentDirective:
    """RenderDocument for any answer that is not a treatment step: title and text."""
    from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

    return RenderDocumentDirective(token=ANSWER_TOKEN, document=load_document("answer"),
                                   datasources=answer_datasources(title, text))


def intent_for_user_event(request: object) -> str | None:
    """The intent a touch stands for: an Alexa.Presentation.APL.UserEvent whose arguments are exactly one of our
    words (["next"], ["previous"], ["repeat"]) and whose token, when present, is one of our documents. Anything
    else, however it is malformed, gives None (the caller answers as for an unknown request)."""
    if getattr(request, "object_type", None) != USER_EVENT:
        return None
    token = getattr(request, "token", None)
    if token is not None and token not in TOKENS:
        return None
    arguments = getattr(request, "arguments", None)
    if not isinstance(arguments, list) or len(arguments) != 1:
        return None
    word = arguments[0]
    if type(word) is not str:  # exact: a str subclass from a custom deserializer is no word of ours either
        return None
    return EVENT_INTENTS.get(word)


def illustration_for_step(number: int) -> str:
    return load_step_illustrations().get(number, GENERIC_ILLUSTRATION)


def apl_text(text: str) -> str:
    """Plain text as APL Text markup: APL reads <, > and & as markup, and a newline is a <br>."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


# -- data --------------------------------------------------------------------------------------------------------------
def load_document(name: str) -> dict[str, Any]:
    """A fresh copy of content/apl/<name>.json: callers may add to it without touching the cached one."""
    return copy.deepcopy(_read("apl", f"{name}.json"))


@lru_cache(maxsize=1)
def load_illustrations() -> dict[str, dict[str, Any]]:
    """name -> {"label": text for screen readers, "graphic": AVG}; keys starting with "_" are comments."""
    return {name: value for name, value in _read("apl", "illustrations.json").items() if not name.startswith("_")}


@lru_cache(maxsize=1)
def load_step_illustrations() -> dict[int, str]:
    raw = _read("apl", "step_illustrations.json")
    return {int(step): name for step, name in raw.items() if not step.startswith("_")}


@lru_cache(maxsize=8)
def _read(*parts: str) -> Any:
    return json.loads(content_dir().joinpath(*parts).read_text(encoding="utf-8"))
