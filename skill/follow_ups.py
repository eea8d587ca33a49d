"""Elliptical follow-ups, read against what the skill said last (the previous turn's answer, topic and step, as
skill/state.py keeps them): "how long for", "is that why", "what else causes it".

Each follow-up is a value of the `follow_up` slot of FollowUpIntent (intents/sentences/en.yaml), so Alexa sends it
as the offline matcher does, and the reading happens here, where the conversation's state is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ask_sdk_model import Response

from .content import CAUSES, TREATMENT, Statement
from .replies import answer_topic, continue_steps, give_answer, give_more, read_step
from .turn import Turn

DURATION = "duration"  # the answer to "how long does a cramp last": how long for, when nothing said gave a time
# A statement that gives a time: "for 10 to 15 minutes", "within about ten minutes", "within a few minutes".
_TIME = re.compile(
    r"\b(\d+|a few|a couple of|one|two|three|four|five|ten|fifteen|twenty|thirty)( to \d+)?"
    r" (seconds|minutes|hours|days)\b"
)


def _timed(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
    return tuple(s for s in statements if _TIME.search(s.say))


def how_long(turn: Turn) -> Response:
    """The time the last answer gave (only its statements that give one), else the time of the step being read,
    else how long a cramp lasts."""
    answer = turn.content.answers.get(turn.previous.answer or "")
    if answer is not None:
        timed = _timed(tuple(turn.content.by_id[i] for i in answer.says))
        if timed:
            return give_answer(turn, answer, " ".join(s.say for s in timed))
    step = turn.previous.step
    if step is not None and _timed(turn.content.sections[TREATMENT].steps[step - 1]):
        return read_step(turn, step)
    return give_answer(turn, turn.content.answers[DURATION])


def why(turn: Turn) -> Response:
    """"Is that why": after a cause, that cause again; otherwise what the causes are."""
    answer = turn.content.answers.get(turn.previous.answer or "")
    if answer is not None and answer.section == CAUSES:
        return give_answer(turn, answer)
    return answer_topic(turn, CAUSES)


def other_causes(turn: Turn) -> Response:
    """"What else causes it": right after the causes' short answer, the rest of it; otherwise the next cause answer
    not yet given in this session (one whose cause, its first statement, was not said yet), until none is left."""
    previous = turn.previous
    if previous.offer == CAUSES and previous.answer is None:
        return give_more(turn, CAUSES)
    said = {turn.content.answers[given].says[0] for given in previous.causes_given}
    for answer in turn.content.cause_answers():
        if answer.says[0] not in said:
            return give_answer(turn, answer)
    turn.state.topic = CAUSES
    follow = continue_steps(turn) or turn.say("anything_else")
    return turn.reply([turn.say("more_done"), follow], turn.say("anything_else_reprompt"))


FOLLOW_UPS: dict[str, Callable[[Turn], Response]] = {
    "how_long": how_long,
    "why": why,
    "other_causes": other_causes,
}
