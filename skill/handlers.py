"""The skill's request handlers, in the one order that decides which answers a request (ask-sdk tries them in turn).

Each handler is a predicate over the request and a reply over the Turn the request interceptor built
(skill/turn.py). `HANDLERS` is their order, and it is behaviour: red flags before any other answer, the fallback
and the catch-all last. tests/skill/test_handlers.py pins it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import IntentRequest, Response

from intents.names import GREETING_INTENT

from .content import TREATMENT
from .persist import CLEAR
from .predicates import has_red_flag, intent_name, intent_request, is_any_intent, red_flag_in, user_event_intent
from .replies import (
    NAVIGATION,
    answer_topic,
    continue_steps,
    courtesy,
    fallback,
    forget,
    give_answer,
    give_more,
    give_red_flag,
    goodbye,
    next_step,
    not_covered,
    read_step,
    resume,
    welcome,
)
from .state import Offer
from .turn import Turn, turn_of

log = logging.getLogger(__name__)

# Question intents whose slot names the subject: intent -> (slot, asked about prevention?)
QUESTION_SLOTS: dict[str, tuple[str, bool]] = {
    "RemedyIntent": ("remedy", False),
    "PreventWithIntent": ("remedy", True),
    "ActionIntent": ("action", False),
    "CauseIntent": ("factor", False),
    "ConcernIntent": ("concern", False),
    "GroupIntent": ("group", False),
}


@dataclass(frozen=True)
class TurnHandler(AbstractRequestHandler):
    """`matches` the request; `reply` answers it from this request's Turn."""

    name: str
    matches: Callable[[HandlerInput], bool]
    reply: Callable[[Turn], Response]

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return self.matches(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.reply(turn_of(handler_input))


# -- predicates that read the language's runtime facts ----------------------------------------------------------
# intents.runtime and skill.slots are imported where they are read, here and in predicates, turn and slots: a launch
# never reads them, and a Lambda cold start answering one then skips their modules.
def is_topic_intent(handler_input: HandlerInput) -> bool:
    from intents.runtime import load_runtime

    return _is_intent(handler_input) and intent_name(handler_input) in load_runtime().topic_by_intent


def is_question_intent(handler_input: HandlerInput) -> bool:
    from intents.runtime import load_runtime

    name = intent_name(handler_input)
    return _is_intent(handler_input) and (name in QUESTION_SLOTS or name in load_runtime().answer_by_intent)


def is_touch(handler_input: HandlerInput) -> bool:
    return user_event_intent(handler_input) is not None


def _is_intent(handler_input: HandlerInput) -> bool:
    return isinstance(handler_input.request_envelope.request, IntentRequest)


def anything(_handler_input: HandlerInput) -> bool:
    return True


# -- replies by request ------------------------------------------------------------------------------------------
def launch(turn: Turn) -> Response:
    if turn.resumed is not None and turn.previous.position is not None:
        # An unfinished treatment within the resume window: offer it ("yes" reads on, "no" starts fresh).
        turn.state.offer = Offer.RESUME.value
        parts = [turn.say("welcome"), *turn.opening(),
                 turn.say("resume_offer", n=turn.previous.position, total=turn.step_count)]
        return turn.reply(parts, turn.say("resume_reprompt"))
    return welcome(turn, "welcome")


def red_flag(turn: Turn) -> Response:
    return give_red_flag(turn, red_flag_in(turn.handler_input))


def topic(turn: Turn) -> Response:
    from intents.runtime import load_runtime

    section = load_runtime().topic_by_intent[intent_name(turn.handler_input)]
    if turn.previous.offer == section and section != TREATMENT:
        # Asked again right after its short answer ("what else causes it"): the rest of it.
        return give_more(turn, section)
    return answer_topic(turn, section)


def question(turn: Turn) -> Response:
    from intents.runtime import load_runtime

    from .slots import read_slot

    name = intent_name(turn.handler_input)
    answer_by_intent = load_runtime().answer_by_intent
    if name in answer_by_intent:
        return give_answer(turn, turn.content.answers[answer_by_intent[name]])
    slot, preventing = QUESTION_SLOTS[name]
    reading = read_slot(intent_request(turn.handler_input), slot)
    answer = turn.content.answer_for(reading.value_id, preventing)
    if answer is not None:
        return give_answer(turn, answer)
    return not_covered(turn, name, reading.value_id)


def yes(turn: Turn) -> Response:
    """"yes", "go on": what the last turn offered; with no offer, during the steps, the next step."""
    offer = turn.previous.offer
    if offer == Offer.STEPS:
        return read_step(turn, 1, intro=True)
    if offer in (Offer.NEXT_STEP, Offer.RESUME):  # the state holds these only with a position (state.OFFER_NEEDS)
        return next_step(turn)
    if offer:  # a section's offer: the state holds only sections with more to say
        return give_more(turn, offer)
    if turn.previous.step is not None or turn.in_steps:
        return next_step(turn)
    return turn.reply([turn.say("acknowledge"), turn.say("help_question")], turn.say("anything_else_reprompt"))


def more(turn: Turn) -> Response:
    """"tell me more", "what else": the rest of the topic of the last answer (its section's detail); after a step,
    the next step; else what was offered, or that there is no more."""
    previous = turn.previous
    if previous.offer in turn.content.sections:
        return give_more(turn, previous.offer)
    answer = turn.content.answers.get(previous.answer or "")
    if answer is not None and turn.content.sections[answer.section].more:
        return give_more(turn, answer.section)
    if previous.step is not None or previous.offer:
        return yes(turn)
    if previous.topic:
        turn.state.topic = previous.topic
        follow = continue_steps(turn) or turn.say("anything_else")
        return turn.reply([turn.say("more_done"), follow], turn.say("anything_else_reprompt"))
    return turn.reply([turn.say("acknowledge"), turn.say("help_question")], turn.say("anything_else_reprompt"))


def greeting(turn: Turn) -> Response:
    """A session's first words (Alexa: "ask hamstring helper hello"): as a launch. Later: a hello back."""
    session = turn.handler_input.request_envelope.session
    if session is not None and session.new:
        return launch(turn)
    return courtesy(turn, "greeting_again")


def thanks(turn: Turn) -> Response:
    """A plain thanks keeps the session: a polite acknowledgement, and the conversation where it was."""
    return courtesy(turn, "you_are_welcome")


def follow_up(turn: Turn) -> Response:
    """"how long for", "is that why", "what else causes it": read against the last answer (skill/follow_ups.py,
    imported here: a launch never needs it)."""
    from .follow_ups import FOLLOW_UPS
    from .slots import read_slot

    value = read_slot(intent_request(turn.handler_input), "follow_up").value_id
    reply = FOLLOW_UPS.get(value or "")
    return reply(turn) if reply is not None else fallback(turn)


def no(turn: Turn) -> Response:
    if turn.previous.offer == Offer.RESUME:
        # Declined the saved place: start fresh, and do not offer it again.
        turn.state.position = None
        turn.place(CLEAR)
        return turn.reply([turn.say("fresh_start"), turn.say("help_question")], turn.say("anything_else_reprompt"))
    if turn.previous.offer or turn.previous.step is not None:
        return turn.reply([turn.say("acknowledge"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
    return goodbye(turn)


def navigation(turn: Turn) -> Response:
    return NAVIGATION[intent_name(turn.handler_input)](turn)


def touch(turn: Turn) -> Response:
    """A touch on the step document's Previous / Next / Repeat: the same action as the spoken intent."""
    return NAVIGATION[user_event_intent(turn.handler_input) or ""](turn)


def start_over(turn: Turn) -> Response:
    turn.place(CLEAR)  # "start over" means the saved place is no longer wanted
    if turn.previous.position is not None:
        return read_step(turn, 1)
    return welcome(turn, "welcome_back")


def go_to_step(turn: Turn) -> Response:
    from .slots import read_slot, slot_number

    count = turn.step_count
    number = slot_number(read_slot(intent_request(turn.handler_input), "step").said)
    if number is None or not 1 <= number <= count:
        return turn.reply([turn.say("no_such_step", count=count)], turn.say("step_reprompt"))
    return read_step(turn, number)


def help_reply(turn: Turn) -> Response:
    help_text = turn.say("help")
    card = (turn.say("card_title", title="Help"), f"{help_text}\n\n{turn.content.disclaimer_full}")
    turn.state.disclaimed = True
    parts = [help_text, turn.content.disclaimer_spoken, turn.say("help_question")]
    return turn.reply(parts, turn.say("anything_else_reprompt"), card=card)


def navigate_home(turn: Turn) -> Response:
    return welcome(turn, "welcome_back")


def session_ended(turn: Turn) -> Response:
    reason = getattr(turn.handler_input.request_envelope.request, "reason", None)
    log.info("session ended: %s", getattr(reason, "value", reason))
    return turn.handler_input.response_builder.response


def unknown_request(turn: Turn) -> Response:
    log.info("unhandled request type: %s", getattr(turn.handler_input.request_envelope.request, "object_type", None))
    return turn.handler_input.response_builder.response


HANDLERS: tuple[TurnHandler, ...] = (
    TurnHandler("launch", is_request_type("LaunchRequest"), launch),
    # Before any other answer: a request that mentions a red flag gets see-a-doctor guidance.
    TurnHandler("red_flag", has_red_flag, red_flag),
    TurnHandler("topic", is_topic_intent, topic),
    TurnHandler("question", is_question_intent, question),
    TurnHandler("yes", is_intent_name("AMAZON.YesIntent"), yes),
    TurnHandler("more", is_intent_name("MoreIntent"), more),
    TurnHandler("follow_up", is_intent_name("FollowUpIntent"), follow_up),
    TurnHandler("greeting", is_intent_name(GREETING_INTENT), greeting),
    TurnHandler("thanks", is_intent_name("ThanksIntent"), thanks),
    TurnHandler("no", is_intent_name("AMAZON.NoIntent"), no),
    TurnHandler("navigation", is_any_intent(*NAVIGATION), navigation),
    TurnHandler("touch", is_touch, touch),
    TurnHandler("resume", is_intent_name("ResumeIntent"), resume),
    TurnHandler("forget", is_intent_name("ForgetIntent"), forget),
    TurnHandler("start_over", is_intent_name("AMAZON.StartOverIntent"), start_over),
    TurnHandler("go_to_step", is_intent_name("GoToStepIntent"), go_to_step),
    TurnHandler("help", is_intent_name("AMAZON.HelpIntent"), help_reply),
    TurnHandler("stop", is_any_intent("AMAZON.StopIntent", "AMAZON.CancelIntent"), goodbye),
    TurnHandler("navigate_home", is_intent_name("AMAZON.NavigateHomeIntent"), navigate_home),
    TurnHandler("session_ended", is_request_type("SessionEndedRequest"), session_ended),
    # Last: AMAZON.FallbackIntent, and any intent this code does not know (a model newer than the code), get the
    # fallback answer; request types nobody claims get an empty, valid response.
    TurnHandler("fallback_or_unknown_intent", is_request_type("IntentRequest"), fallback),
    TurnHandler("unknown_request", anything, unknown_request),
)


class ErrorHandler(AbstractExceptionHandler):
    """Any exception: an apology that keeps the session open, and a log line without the exception's message."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        # The type and the frames only: an exception's message can quote the request.
        frames = "".join(traceback.format_tb(exception.__traceback__))
        log.error("skill error: %s\n%s", type(exception).__name__, frames)
        turn = turn_of(handler_input)
        return turn.reply([turn.say("error"), turn.say("error_reprompt")], turn.say("error_reprompt"))
