"""Turning a reply (plain text parts) into an Alexa response within Alexa's limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Directive, Response
from ask_sdk_model.ui import SimpleCard

from .state import ConversationState

# Alexa's documented limits.
MAX_SPEECH_CHARS = 8000  # outputSpeech and reprompt text, SSML included
MAX_CARD_CHARS = 8000  # card title and content together
MAX_RESPONSE_BYTES = 24 * 1024
PAUSE = '<break time="300ms"/>'


@dataclass
class Reply:
    parts: list[str]
    reprompt: str | None = None
    card: tuple[str, str] | None = None  # title, content
    end_session: bool = False
    state: ConversationState = field(default_factory=ConversationState)
    directives: list[Directive] = field(default_factory=list)  # e.g. an APL RenderDocument, for screens only

    @property
    def text(self) -> str:
        return " ".join(p for p in self.parts if p)


def to_ssml(parts: list[str]) -> str:
    """Escaped text with short pauses between parts. No <speak> wrapper: the SDK adds it."""
    return f" {PAUSE} ".join(_escape(p) for p in parts if p)


def ssml_to_text(ssml: str) -> str:
    """The plain text a listener hears: tags removed, entities decoded."""
    import html  # front ends only: the skill itself never needs it, and Lambda's cold start does not pay for it

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", ssml))).strip()


def _escape(text: str) -> str:
    # Only &, < and > are special in SSML element content; quotes and apostrophes stay readable.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(text: str, limit: int) -> str:
    """Cut at the last sentence end under `limit` (content never comes near it; this is the guard if it ever does)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut


# What a cut can leave at the end of escaped SSML: part of an entity ("&am") or of a tag ("<break ti").
_TORN_END = re.compile(r"&[^;<>\s]*$|<[^>]*$")


def _fit_ssml(ssml: str, limit: int) -> str:
    """`_fit` for SSML made by `to_ssml`: the cut keeps whole entities and tags, so what is left is still well-formed
    (Alexa refuses speech that is not). Sentence ends lie outside both, so only a cut without one can tear them."""
    return _TORN_END.sub("", _fit(ssml, limit))


def respond(handler_input: HandlerInput, reply: Reply) -> Response:
    state = reply.state
    state.last_speech = reply.text
    state.last_reprompt = reply.reprompt
    if handler_input.request_envelope.session is not None:  # ask-sdk refuses attributes out of session
        handler_input.attributes_manager.session_attributes = state.to_attributes()
    builder = handler_input.response_builder
    builder.speak(_fit_ssml(to_ssml(reply.parts), MAX_SPEECH_CHARS - len("<speak></speak>")))
    if reply.reprompt and not reply.end_session:
        builder.ask(_fit_ssml(to_ssml([reply.reprompt]), MAX_SPEECH_CHARS - len("<speak></speak>")))
    if reply.card:
        title, content = reply.card
        builder.set_card(SimpleCard(title=title, content=_fit(content, MAX_CARD_CHARS - len(title))))
    for directive in reply.directives:
        builder.add_directive(directive)
    builder.set_should_end_session(reply.end_session)
    return builder.response
