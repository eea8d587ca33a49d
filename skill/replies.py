"""The skill's replies: each picks content and phrasing for one kind of answer and leaves the state for the next turn.

Handlers (skill/handlers.py) choose which reply a request gets; the text comes from skill/content/ only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ask_sdk_model import Response

from . import display
from .content import CAUSES, NOT_COVERED, TREATMENT, Answer
from .persist import FORGOT
from .state import Offer
from .turn import Turn

log = logging.getLogger(__name__)

# Where an honest "not covered" points next: what the source does say about the same kind of question.
NOT_COVERED_OFFER = {"CauseIntent": "causes", "GroupIntent": "risk_factors", "ConcernIntent": "complications"}


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
    follow = continue_steps(turn) or turn.say("anything_else")
    return turn.reply([section.more_text(), follow], turn.say("anything_else_reprompt"), card=turn.card(section))


def continue_steps(turn: Turn) -> str | None:
    """During the steps, what follows a side answer: the offer of the step after the user's place (a "yes", "go on"
    or "next" reads it). None outside the steps."""
    if not turn.in_steps or turn.previous.position is None:
        return None
    turn.state.offer = Offer.NEXT_STEP.value
    return turn.say("offer_next_step", next=turn.previous.position + 1)


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


def give_answer(turn: Turn, answer: Answer, text: str | None = None) -> Response:
    """One specific answer (`text`: only part of its statements), then the natural next thing to offer. During the
    steps the user's place stays where it was; outside them, the answer's own step is offered."""
    section = turn.content.sections[answer.section]
    text = text or turn.content.read(answer.says)
    turn.state.topic, turn.state.answer = answer.section, answer.id
    if answer.section == CAUSES and answer.id not in turn.state.causes_given:
        turn.state.causes_given = (*turn.state.causes_given, answer.id)
    offer = continue_steps(turn)
    reprompt = turn.say("step_reprompt") if offer else turn.say("more_reprompt")
    offer = offer or _offer_after(turn, answer)
    return turn.reply([*turn.opening(), text, offer], reprompt, card=turn.card(section, text))


def _offer_after(turn: Turn, answer: Answer) -> str:
    """Outside the steps: what an answer offers next (its step, its section's detail, or a question)."""
    section = turn.content.sections[answer.section]
    if answer.step is not None:
        # "next" continues from this step; a yes reads on from here if the steps were read to the end, else from
        # the start.
        finished = turn.previous.position is not None
        turn.state.position = answer.step
        if finished and answer.step < turn.step_count:
            turn.state.offer = Offer.NEXT_STEP.value
            return turn.say("offer_next_step", next=answer.step + 1)
        turn.state.offer = Offer.STEPS.value
        return turn.say("offer_steps")
    if section.more or section.is_steps:
        turn.state.offer = Offer.STEPS.value if section.is_steps else section.id
        if section.is_steps:
            return turn.say("offer_steps")
        return turn.say("offer_more", about=turn.say(f"about_{section.id}"))
    return turn.say("anything_else")


def give_red_flag(turn: Turn, flag_id: str | None) -> Response:
    flag = turn.content.red_flags.get(flag_id or "")
    if flag is None:  # a red-flag request we could not place: the general warning signs
        return answer_topic(turn, "see_doctor")
    section = turn.content.sections["see_doctor"]
    text = turn.content.read(flag.says)
    turn.state.topic, turn.state.answer = section.id, flag.id
    log.info("red flag: %s", flag.id)
    turn.safety, turn.note = False, None  # the red flag's own guidance says more than the safety net or a note
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
    offer = continue_steps(turn)
    if offer is None:
        topic = NOT_COVERED_OFFER.get(intent, TREATMENT)
        turn.state.offer = Offer.STEPS.value if topic == TREATMENT else topic
        offer = turn.say("offer_steps_instead") if topic == TREATMENT else turn.say(
            "offer_more", about=turn.say(f"about_{topic}"))
    return turn.reply([*turn.opening(), text, offer], turn.say("more_reprompt"), card=turn.card(section, text))


def courtesy(turn: Turn, key: str) -> Response:
    """A thanks or a hello in the middle of a conversation: said back, and the conversation left where it was (the
    step being read, the offer, the last answer), so the next "next", "yes" or follow-up carries on."""
    previous, state = turn.previous, turn.state
    state.topic, state.step, state.offer, state.answer = previous.topic, previous.step, previous.offer, previous.answer
    if previous.step is not None and previous.step < turn.step_count:
        pending = turn.say("step_prompt", next=previous.step + 1)
    elif previous.offer and previous.last_reprompt:
        pending = previous.last_reprompt
    else:
        pending = turn.say("anything_else")
    return turn.reply([turn.say(key), pending], previous.last_reprompt or turn.say("anything_else_reprompt"))


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
    # A miss is never a plain apology: it may have been a warning sign told in words nobody wrote down.
    turn.safety = True
    return turn.reply([turn.say("fallback"), turn.say("fallback_hint")], turn.say("anything_else_reprompt"))


# Navigation: one code path for the spoken intent and the touch (APL UserEvent) that stands for it ----------------
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


def forget(turn: Turn) -> Response:
    """"forget me": delete the saved place now (not at the end of the turn) and say so."""
    turn.state.position = None
    if not turn.has_store:
        return turn.reply([turn.say("nothing_stored"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
    turn.handler_input.attributes_manager.delete_persistent_attributes()
    turn.place(FORGOT)
    return turn.reply([turn.say("forgotten"), turn.say("anything_else")], turn.say("anything_else_reprompt"))
