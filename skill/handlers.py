"""The Alexa skill: ask-sdk-core handlers. They pick content and phrasing; all text comes from skill/content/.

`build_skill(choice)` is the one skill object that Alexa (Flask or Lambda), the CLI and the offline assistant all
call; `choice` says where the user's saved place persists (skill/store; None: nowhere). The language facts come
precompiled (intents/runtime.py), so no template is parsed on a cold start.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Directive, IntentRequest, Response

from intents.runtime import load_runtime

from . import display
from .content import NOT_COVERED, TREATMENT, Answer, Content, Dialog, Section, load_content, load_dialog
from .persist import CLEAR, FORGOT, PLACE_ACTION, RESUMED, LoadPlaceInterceptor, SavePlaceInterceptor
from .reply import Reply, respond
from .slots import SlotReading, read_slot, slot_texts
from .state import ConversationState, StateLimits
from .store.place import SavedPlace

if TYPE_CHECKING:
    from .store.settings import StoreChoice

log = logging.getLogger(__name__)

RED_FLAG_INTENT = "RedFlagIntent"
# Question intents whose slot names the subject: intent -> (slot, asked about prevention?)
QUESTION_SLOTS: dict[str, tuple[str, bool]] = {
    "RemedyIntent": ("remedy", False),
    "PreventWithIntent": ("remedy", True),
    "ActionIntent": ("action", False),
    "CauseIntent": ("factor", False),
    "ConcernIntent": ("concern", False),
    "GroupIntent": ("group", False),
}
# Where an honest "not covered" points next: what the source does say about the same kind of question.
NOT_COVERED_OFFER = {"CauseIntent": "causes", "GroupIntent": "risk_factors", "ConcernIntent": "complications"}


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

    @property
    def step_count(self) -> int:
        return len(self.content.sections[TREATMENT].steps)

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


@lru_cache(maxsize=1)
def state_limits() -> StateLimits:
    content = load_content()
    answers = set(content.answers) | set(content.red_flags) | {NOT_COVERED}
    return StateLimits(frozenset(content.sections), len(content.sections[TREATMENT].steps), frozenset(answers))


def _turn(handler_input: HandlerInput) -> Turn:
    request = handler_input.request_envelope.request
    # A request without a session (malformed, or a type that never has one) has no attributes, and ask-sdk raises
    # when asked for them.
    in_session = handler_input.request_envelope.session is not None
    attributes = handler_input.attributes_manager.session_attributes if in_session else {}
    previous = ConversationState.from_attributes(attributes, state_limits())
    # Seeded by the request id: varied across requests, identical when a recorded request is replayed.
    rng = random.Random(getattr(request, "request_id", None) or "")
    resumed = handler_input.attributes_manager.request_attributes.get(RESUMED)
    return Turn(handler_input, load_content(), load_dialog(), rng, previous, previous.for_next_turn(),
                resumed=resumed if isinstance(resumed, SavedPlace) else None,
                screen=display.supports_apl(handler_input.request_envelope))


# -- shared replies --------------------------------------------------------------------------------------------------
def answer_topic(turn: Turn, topic: str) -> Response:
    if topic == TREATMENT:
        return read_step(turn, 1, intro=True)
    section = turn.content.sections[topic]
    turn.state.topic = topic
    turn.state.offer = topic if section.more else None
    follow = turn.say("more_prompt") if section.more else turn.say("anything_else")
    reprompt = turn.say("more_reprompt") if section.more else turn.say("anything_else_reprompt")
    return turn.reply([*turn.opening(), section.short_text(), follow], reprompt, card=turn.card(section))


def give_more(turn: Turn, topic: str) -> Response:
    section = turn.content.sections[topic]
    turn.state.topic = topic
    return turn.reply(
        [section.more_text(), turn.say("anything_else")], turn.say("anything_else_reprompt"), card=turn.card(section)
    )


def read_step(turn: Turn, number: int, intro: bool = False, note: str | None = None) -> Response:
    section = turn.content.sections[TREATMENT]
    turn.state.topic, turn.state.step, turn.state.position = TREATMENT, number, number
    parts = [*turn.opening()]
    if intro:
        parts.append(turn.say("treatment_intro"))
    if note:
        parts.append(note)
    text = section.step_text(number)
    parts += [turn.say("step_label", n=number), text]
    if number < len(section.steps):
        parts.append(turn.say("step_prompt", next=number + 1))
        reprompt = turn.say("step_reprompt")
    else:
        parts += [turn.say("last_step"), turn.say("anything_else")]
        reprompt = turn.say("anything_else_reprompt")
    screen = display.step_directive(number, len(section.steps), text, title=section.title) if turn.screen else None
    return turn.reply(parts, reprompt, card=turn.card(section), screen=screen)


def resume_note(turn: Turn) -> str | None:
    """In a new session that picked up a saved place, say so before the step: the user may not remember."""
    if turn.resumed is None or turn.resumed.position is None:
        return None
    return turn.say("resuming", n=turn.resumed.position, total=turn.step_count)


def next_step(turn: Turn, note: str | None = None) -> Response:
    position = turn.previous.position
    if position is None:
        return not_in_steps(turn)
    if position >= turn.step_count:
        turn.state.topic = TREATMENT
        return turn.reply([turn.say("last_step"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
    return read_step(turn, position + 1, note=note or resume_note(turn))


def give_answer(turn: Turn, answer: Answer) -> Response:
    """One specific answer: its statements, then the natural next thing to offer."""
    section = turn.content.sections[answer.section]
    text = turn.content.read(answer.says)
    turn.state.topic, turn.state.answer = answer.section, answer.id
    steps = len(turn.content.sections[TREATMENT].steps)
    if answer.step is not None:
        # "next" continues from this step; a yes reads on from here if the steps were under way, else from the start.
        was_reading = turn.previous.position is not None
        turn.state.position = answer.step
        if was_reading and answer.step < steps:
            turn.state.offer = "next_step"
            offer = turn.say("offer_next_step", next=answer.step + 1)
        else:
            turn.state.offer = "steps"
            offer = turn.say("offer_steps")
    elif section.more or section.is_steps:
        turn.state.offer = "steps" if section.is_steps else section.id
        if section.is_steps:
            offer = turn.say("offer_steps")
        else:
            offer = turn.say("offer_more", about=turn.say(f"about_{section.id}"))
    else:
        offer = turn.say("anything_else")
    return turn.reply([*turn.opening(), text, offer], turn.say("more_reprompt"), card=turn.card(section, text))


def give_red_flag(turn: Turn, flag_id: str | None) -> Response:
    flag = turn.content.red_flags.get(flag_id or "")
    if flag is None:  # a red-flag request we could not place: the general warning signs
        return answer_topic(turn, "see_doctor")
    section = turn.content.sections["see_doctor"]
    text = turn.content.read(flag.says)
    turn.state.topic, turn.state.answer = section.id, flag.id
    log.info("red flag: %s", flag.id)
    # The warning comes first, even before the once-a-session disclaimer.
    if flag.is_emergency:
        # Free the device at once: the next thing to do is a phone call, not another question.
        return turn.reply([text, *turn.opening()], None, card=turn.card(section, text), end_session=True)
    parts = [text, *turn.opening(), turn.say("anything_else")]
    return turn.reply(parts, turn.say("anything_else_reprompt"), card=turn.card(section, text))


def not_covered(turn: Turn, intent: str, value_id: str | None) -> Response:
    section = turn.content.sections["see_doctor"]
    text = turn.content.read(turn.content.not_covered.says, subject=turn.content.not_covered.name_of(value_id))
    turn.state.topic, turn.state.answer = None, NOT_COVERED
    topic = NOT_COVERED_OFFER.get(intent, TREATMENT)
    turn.state.offer = "steps" if topic == TREATMENT else topic
    offer = turn.say("offer_steps_instead") if topic == TREATMENT else turn.say(
        "offer_more", about=turn.say(f"about_{topic}"))
    return turn.reply([*turn.opening(), text, offer], turn.say("more_reprompt"), card=turn.card(section, text))


def not_in_steps(turn: Turn) -> Response:
    return turn.reply([turn.say("not_in_steps")], turn.say("anything_else_reprompt"))


def goodbye(turn: Turn) -> Response:
    return turn.reply([turn.say("goodbye")], None, end_session=True)


def welcome(turn: Turn, greeting_key: str) -> Response:
    turn.state.position = None
    parts = [turn.say(greeting_key), *turn.opening()]
    if greeting_key == "welcome":
        parts.append(turn.say("welcome_question"))
    return turn.reply(parts, turn.say("anything_else_reprompt"))


def fallback(turn: Turn) -> Response:
    # Keep the offer and the step position: a misheard "next" must not lose the user's place.
    turn.state.offer = turn.previous.offer
    return turn.reply([turn.say("fallback"), turn.say("fallback_hint")], turn.say("anything_else_reprompt"))


# -- navigation: one code path for the spoken intent and the touch (APL UserEvent) that stands for it ----------------
def go_next(turn: Turn) -> Response:
    return next_step(turn)


def go_previous(turn: Turn) -> Response:
    position = turn.previous.position
    if position is None:
        return not_in_steps(turn)
    if position <= 1:
        return read_step(turn, 1, note=turn.say("first_step_already"))
    return read_step(turn, position - 1, note=resume_note(turn))


def go_repeat(turn: Turn) -> Response:
    if turn.previous.step is not None:
        return read_step(turn, turn.previous.step)
    if turn.resumed is not None and turn.previous.position is not None and not turn.previous.last_speech:
        # "repeat that step" as a new session's first words: the step the user was on.
        return read_step(turn, turn.previous.position, note=resume_note(turn))
    if turn.previous.last_speech:
        # Replay the plain text, not a cached SSML object; keep what the repeated turn offered.
        turn.state.topic, turn.state.offer = turn.previous.topic, turn.previous.offer
        turn.state.answer = turn.previous.answer
        card = turn.card(turn.content.sections[turn.previous.topic]) if turn.previous.topic else None
        reprompt = turn.previous.last_reprompt or turn.say("anything_else_reprompt")
        return turn.reply([turn.previous.last_speech], reprompt, card=card)
    return turn.reply([turn.say("nothing_to_repeat"), turn.say("help_question")], turn.say("anything_else_reprompt"))


NAVIGATION: dict[str, Callable[[Turn], Response]] = {
    "AMAZON.NextIntent": go_next,
    "AMAZON.PreviousIntent": go_previous,
    "AMAZON.RepeatIntent": go_repeat,
}


def resume(turn: Turn) -> Response:
    """"continue", "what step was I on": say where the user was, then carry on from there."""
    position = turn.previous.position
    if position is None:
        return turn.reply([turn.say("nothing_to_resume")], turn.say("anything_else_reprompt"))
    return next_step(turn, note=turn.say("resuming", n=position, total=turn.step_count))


def forget(turn: Turn, has_store: bool) -> Response:
    """"forget me": delete the saved place now (not at the end of the turn) and say so."""
    turn.state.position = None
    if not has_store:
        return turn.reply([turn.say("nothing_stored"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
    turn.handler_input.attributes_manager.delete_persistent_attributes()
    turn.place(FORGOT)
    return turn.reply([turn.say("forgotten"), turn.say("anything_else")], turn.say("anything_else_reprompt"))


def user_event_intent(handler_input: HandlerInput) -> str | None:
    return display.intent_for_user_event(handler_input.request_envelope.request)


# -- predicates -------------------------------------------------------------------------------------------------------
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
    "my swollen leg" into a remedy slot; the warning must not be lost to the question)."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest):
        return None
    for said in slot_texts(request):
        hit = load_runtime().red_flags.detect(said)
        if hit is not None:
            return hit.id
    if intent_name(handler_input) == RED_FLAG_INTENT:
        return read_slot(request, "red_flag").value_id
    return None


def has_red_flag(handler_input: HandlerInput) -> bool:
    request = handler_input.request_envelope.request
    return isinstance(request, IntentRequest) and (
        intent_name(handler_input) == RED_FLAG_INTENT or red_flag_in(handler_input) is not None
    )


# -- the skill --------------------------------------------------------------------------------------------------------
def build_skill_builder(store: AbstractPersistenceAdapter | None = None,
                        clock: Callable[[], float] = time.time) -> CustomSkillBuilder:
    """`store`: where the saved place persists (None: nowhere; the skill then works from session attributes only).
    `clock` (unix seconds) decides whether a saved place is fresh; tests move it."""
    sb = CustomSkillBuilder(persistence_adapter=cast(AbstractPersistenceAdapter, store))  # None is ask-sdk's default
    runtime = load_runtime()
    if store is not None:
        # Registered once for every request, not called from each handler.
        sb.add_global_request_interceptor(LoadPlaceInterceptor(state_limits, clock))
        sb.add_global_response_interceptor(SavePlaceInterceptor(state_limits, clock))

    @sb.request_handler(can_handle_func=is_request_type("LaunchRequest"))
    def launch(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        if turn.resumed is not None and turn.previous.position is not None:
            # An unfinished treatment within the resume window: offer it ("yes" reads on, "no" starts fresh).
            turn.state.offer = "resume"
            parts = [turn.say("welcome"), *turn.opening(),
                     turn.say("resume_offer", n=turn.previous.position, total=turn.step_count)]
            return turn.reply(parts, turn.say("resume_reprompt"))
        return welcome(turn, "welcome")

    # Before any other answer: a request that mentions a red flag gets see-a-doctor guidance.
    @sb.request_handler(can_handle_func=has_red_flag)
    def red_flag(handler_input: HandlerInput) -> Response:
        return give_red_flag(_turn(handler_input), red_flag_in(handler_input))

    @sb.request_handler(can_handle_func=is_any_intent(*runtime.topic_by_intent))
    def topic(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        section = runtime.topic_by_intent[intent_name(handler_input)]
        if turn.previous.offer == section and section != TREATMENT:
            # Asked again right after its short answer ("what else causes it"): the rest of it.
            return give_more(turn, section)
        return answer_topic(turn, section)

    @sb.request_handler(can_handle_func=is_any_intent(*QUESTION_SLOTS, *runtime.answer_by_intent))
    def question(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        request = intent_request(handler_input)
        name = intent_name(handler_input)
        if name in runtime.answer_by_intent:
            return give_answer(turn, turn.content.answers[runtime.answer_by_intent[name]])
        slot, preventing = QUESTION_SLOTS[name]
        reading: SlotReading = read_slot(request, slot)
        answer = turn.content.answer_for(reading.value_id, preventing)
        if answer is not None:
            return give_answer(turn, answer)
        return not_covered(turn, name, reading.value_id)

    @sb.request_handler(can_handle_func=is_any_intent("AMAZON.YesIntent", "MoreIntent"))
    def yes_or_more(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        offer = turn.previous.offer
        if offer == "steps":
            return read_step(turn, 1, intro=True)
        if offer in ("next_step", "resume") and turn.previous.position is not None:
            return next_step(turn)
        if offer:
            return give_more(turn, offer)
        if turn.previous.step is not None:
            return next_step(turn)
        if is_intent_name("MoreIntent")(handler_input) and turn.previous.topic:
            turn.state.topic = turn.previous.topic
            return turn.reply([turn.say("more_done"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
        return turn.reply([turn.say("acknowledge"), turn.say("help_question")], turn.say("anything_else_reprompt"))

    @sb.request_handler(can_handle_func=is_intent_name("AMAZON.NoIntent"))
    def no(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        if turn.previous.offer == "resume":
            # Declined the saved place: start fresh, and do not offer it again.
            turn.state.position = None
            turn.place(CLEAR)
            return turn.reply([turn.say("fresh_start"), turn.say("help_question")], turn.say("anything_else_reprompt"))
        if turn.previous.offer or turn.previous.step is not None:
            return turn.reply([turn.say("acknowledge"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
        return goodbye(turn)

    @sb.request_handler(can_handle_func=is_any_intent(*NAVIGATION))
    def navigation(handler_input: HandlerInput) -> Response:
        return NAVIGATION[intent_name(handler_input)](_turn(handler_input))

    # A touch on the step document's Previous / Next / Repeat: the same action as the spoken intent.
    @sb.request_handler(can_handle_func=lambda i: user_event_intent(cast(HandlerInput, i)) is not None)
    def touch(handler_input: HandlerInput) -> Response:
        return NAVIGATION[user_event_intent(handler_input) or ""](_turn(handler_input))

    @sb.request_handler(can_handle_func=is_intent_name("ResumeIntent"))
    def resume_intent(handler_input: HandlerInput) -> Response:
        return resume(_turn(handler_input))

    @sb.request_handler(can_handle_func=is_intent_name("ForgetIntent"))
    def forget_intent(handler_input: HandlerInput) -> Response:
        return forget(_turn(handler_input), store is not None)

    @sb.request_handler(can_handle_func=is_intent_name("AMAZON.StartOverIntent"))
    def start_over(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        turn.place(CLEAR)  # "start over" means the saved place is no longer wanted
        if turn.previous.position is not None:
            return read_step(turn, 1)
        return welcome(turn, "welcome_back")

    @sb.request_handler(can_handle_func=is_intent_name("GoToStepIntent"))
    def go_to_step(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        count = len(turn.content.sections[TREATMENT].steps)
        raw = read_slot(intent_request(handler_input), "step").said
        number = int(raw) if raw and raw.isdigit() and len(raw) <= 3 else None
        if number is None or not 1 <= number <= count:
            return turn.reply([turn.say("no_such_step", count=count)], turn.say("step_reprompt"))
        return read_step(turn, number)

    @sb.request_handler(can_handle_func=is_intent_name("AMAZON.HelpIntent"))
    def help_intent(handler_input: HandlerInput) -> Response:
        turn = _turn(handler_input)
        help_text = turn.say("help")
        card = (turn.say("card_title", title="Help"), f"{help_text}\n\n{turn.content.disclaimer_full}")
        turn.state.disclaimed = True
        parts = [help_text, turn.content.disclaimer_spoken, turn.say("help_question")]
        return turn.reply(parts, turn.say("anything_else_reprompt"), card=card)

    @sb.request_handler(can_handle_func=is_any_intent("AMAZON.StopIntent", "AMAZON.CancelIntent"))
    def stop(handler_input: HandlerInput) -> Response:
        return goodbye(_turn(handler_input))

    @sb.request_handler(can_handle_func=is_intent_name("AMAZON.NavigateHomeIntent"))
    def navigate_home(handler_input: HandlerInput) -> Response:
        return welcome(_turn(handler_input), "welcome_back")

    @sb.request_handler(can_handle_func=is_request_type("SessionEndedRequest"))
    def session_ended(handler_input: HandlerInput) -> Response:
        reason = getattr(handler_input.request_envelope.request, "reason", None)
        log.info("session ended: %s", getattr(reason, "value", reason))
        return handler_input.response_builder.response

    # Registered last: AMAZON.FallbackIntent, and any intent this code does not know (a model newer than the code),
    # get the fallback answer; request types nobody claims get an empty, valid response.
    @sb.request_handler(can_handle_func=is_request_type("IntentRequest"))
    def fallback_or_unknown_intent(handler_input: HandlerInput) -> Response:
        return fallback(_turn(handler_input))

    @sb.request_handler(can_handle_func=lambda _: True)
    def unknown_request(handler_input: HandlerInput) -> Response:
        log.info("unhandled request type: %s", getattr(handler_input.request_envelope.request, "object_type", None))
        return handler_input.response_builder.response

    @sb.exception_handler(can_handle_func=lambda _i, _e: True)
    def on_error(handler_input: HandlerInput, exception: Exception) -> Response:
        # The type and the frames only: an exception's message can quote the request.
        frames = "".join(traceback.format_tb(exception.__traceback__))
        log.error("skill error: %s\n%s", type(exception).__name__, frames)
        turn = _turn(handler_input)
        return turn.reply([turn.say("error"), turn.say("error_reprompt")], turn.say("error_reprompt"))

    return sb


def create_skill(store: AbstractPersistenceAdapter | None = None,
                 clock: Callable[[], float] = time.time) -> CustomSkill:
    return build_skill_builder(store, clock).create()


@lru_cache(maxsize=4)
def build_skill(choice: StoreChoice | None = None) -> CustomSkill:
    """The skill with the store `choice` names (open_store: fail-soft, and None when off), made once per choice.
    Raises StoreConfigError for a store the environment describes badly."""
    if choice is None:  # no store: a cold start loads none of the store modules
        return create_skill(None)
    from .store.settings import open_store

    return create_skill(open_store(choice))
