"""The per-request `Turn` every handler works with, built once by a request interceptor (the ask-sdk samples' way).

A Turn holds the request, the content, a phrasing source seeded by the request id, the state the last turn left and
the state this turn will leave. `TurnInterceptor` makes it after the saved place is loaded (skill/persist.py), so a
resumed place is already in the session attributes it reads.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Directive, IntentRequest, Response

from . import display
from .content import NOT_COVERED, TREATMENT, Content, Dialog, Section, load_content, load_dialog
from .persist import PLACE_ACTION, RESUMED
from .predicates import noted_red_flag
from .reply import Reply, respond
from .state import ConversationState, StateLimits

if TYPE_CHECKING:
    from .store.place import SavedPlace

TURN = "hamstring.turn"  # request attribute: this request's Turn


@dataclass
class Turn:
    """What every handler works with: the request, the content, a seeded phrasing source and the state."""

    handler_input: HandlerInput
    content: Content
    dialog: Dialog
    rng: random.Random
    previous: ConversationState  # as the last turn left it
    state: ConversationState  # what this turn will leave
    resumed: SavedPlace | None = None  # the saved place a new session picked up (persist.py), if any
    screen: bool = False  # the device shows APL documents
    has_store: bool = False  # a persistence adapter keeps the saved place ("forget me" has something to delete)
    safety: bool = False  # the reply carries the safety net: pain or injury was mentioned (a miss sets it too)
    note: str | None = None  # a red flag's guidance beside the answer, in the safety net's place (noted_red_flag)

    @property
    def step_count(self) -> int:
        return len(self.content.sections[TREATMENT].steps)

    @property
    def in_steps(self) -> bool:
        """The treatment steps are under way: a step was read this session (or a saved place resumed) and it was not
        the last one. A question now is a side question: the place stays where it is."""
        position = self.previous.position
        return position is not None and position < self.step_count

    def place(self, action: str) -> None:
        """Tell the save interceptor what became of the saved place (persist.CLEAR or persist.FORGOT)."""
        self.handler_input.attributes_manager.request_attributes[PLACE_ACTION] = action

    def say(self, key: str, **values: object) -> str:
        return self.dialog.pick(key, self.rng, **values)

    def opening(self) -> list[str]:
        """The disclaimer, once per session, before the first answer."""
        if self.state.disclaimed:
            return []
        self.state.disclaimed = True
        return [self.content.disclaimer_spoken]

    def card(self, section: Section, text: str | None = None) -> tuple[str, str]:
        title = self.say("card_title", title=section.title)
        return title, f"{text or section.card_text()}\n\n{self.content.disclaimer_full}"

    def reply(self, parts: list[str], reprompt: str | None, *, screen: Directive | None = None,
              card: tuple[str, str] | None = None, end_session: bool = False) -> Response:
        """`screen`: the document for an APL device (a step's); by default answers show the card, and prompts the
        speech. Devices without APL never get a directive (a certification rule)."""
        if self.note or self.safety:
            parts = with_safety_line(parts, self.note or self.content.safety_line)
        directives: list[Directive] = []
        if self.screen:
            if screen is None and (card is not None or not end_session):
                title, text = card if card else (self.say("card_title", title="Hamstring Cramp Helper"),
                                                 " ".join(p for p in parts if p))
                screen = display.answer_directive(title, text)
            if screen is not None:
                directives.append(screen)
        return respond(self.handler_input, Reply(parts, reprompt, state=self.state, card=card,
                                                 end_session=end_session, directives=directives))


def with_safety_line(parts: list[str], line: str) -> list[str]:
    """The safety net before the closing question (the last part), so the reply still ends by asking."""
    if not line or line in parts:
        return parts
    return [*parts[:-1], line, parts[-1]] if len(parts) > 1 else [*parts, line]


def mentions_harm(handler_input: HandlerInput) -> bool:
    """Pain, an injury, a fall, swelling or not moving, in any slot's words (offline, the matcher passes them as the
    `harm` slot; on Alexa, they arrive in whichever slot heard them)."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest):
        return False
    from intents.runtime import load_runtime  # here, as the slots: a launch never loads the language's facts

    from .slots import slot_texts

    finder = load_runtime().harm
    return any(finder.find(said) is not None for said in slot_texts(request))


def red_flag_note(handler_input: HandlerInput) -> str | None:
    """The guidance of the red flag told beside the question (skill/predicates.py: `noted_red_flag`), if one was."""
    flag = noted_red_flag(handler_input)
    red_flag = load_content().red_flags.get(flag) if flag else None
    return load_content().read(red_flag.says) if red_flag else None


@lru_cache(maxsize=1)
def state_limits() -> StateLimits:
    content = load_content()
    answers = set(content.answers) | set(content.red_flags) | {NOT_COVERED}
    detailed = frozenset(name for name, section in content.sections.items() if section.more)
    causes = frozenset(a.id for a in content.cause_answers())
    return StateLimits(frozenset(content.sections), len(content.sections[TREATMENT].steps), frozenset(answers),
                       detailed=detailed, causes=causes)


def build_turn(handler_input: HandlerInput, has_store: bool = False) -> Turn:
    request = handler_input.request_envelope.request
    # A request without a session (malformed, or a type that never has one) has no attributes, and ask-sdk raises
    # when asked for them.
    in_session = handler_input.request_envelope.session is not None
    attributes = handler_input.attributes_manager.session_attributes if in_session else {}
    previous = ConversationState.from_attributes(attributes, state_limits())
    # Seeded by the request id: varied across requests, identical when a recorded request is replayed.
    rng = random.Random(getattr(request, "request_id", None) or "")
    resumed = handler_input.attributes_manager.request_attributes.get(RESUMED)  # only the store's load sets it
    if resumed is not None:
        from .store.place import SavedPlace

        resumed = resumed if isinstance(resumed, SavedPlace) else None
    return Turn(handler_input, load_content(), load_dialog(), rng, previous, previous.for_next_turn(),
                resumed=resumed,
                screen=display.supports_apl(handler_input.request_envelope), has_store=has_store,
                safety=mentions_harm(handler_input), note=red_flag_note(handler_input))


class TurnInterceptor(AbstractRequestInterceptor):
    """Registered after the saved place's load: builds this request's Turn once, for whichever handler answers."""

    def __init__(self, has_store: bool) -> None:
        self.has_store = has_store

    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes[TURN] = build_turn(handler_input, self.has_store)


def turn_of(handler_input: HandlerInput) -> Turn:
    """This request's Turn; built here when the interceptors did not run to the end (the exception handler)."""
    turn = handler_input.attributes_manager.request_attributes.get(TURN)
    return turn if isinstance(turn, Turn) else build_turn(handler_input)
