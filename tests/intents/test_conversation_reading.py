"""How the offline matcher reads conversational words around a request: discourse markers in front ("ok and ...",
"right, go on", "hi, ..."), and a story that ends in a broad question."""

from __future__ import annotations

import pytest

from intents.matcher import MatchContext, default_matcher

IN_SESSION = MatchContext(in_session=True)


@pytest.mark.parametrize(
    "text,intent",
    [
        ("ok and how can i avoid them", "PreventionIntent"),
        ("and what does one feel like", "SymptomsIntent"),
        ("right go on", "AMAZON.YesIntent"),
        ("ok carry on", "AMAZON.YesIntent"),
        ("alright and the next step", "AMAZON.NextIntent"),
        ("fine what next", "AMAZON.NextIntent"),
        ("hi there what do i do for a hamstring cramp", "TreatmentIntent"),
        ("so um what causes hamstring cramps", "CausesIntent"),
        # markers alone are what they are, not an empty request
        ("ok", "AMAZON.YesIntent"),
        ("hello there", "GreetingIntent"),
    ],
)
def test_discourse_markers_in_front_are_read_past(text, intent):
    match = default_matcher().match(text, IN_SESSION)
    assert (match.intent, match.method) == (intent, "template")


@pytest.mark.parametrize(
    "text,intent",
    [
        ("so i was sprinting for the bus and my hamstring seized up what should i do", "TreatmentIntent"),
        ("i flopped down on the sofa after my run and then it cramped what should i do", "TreatmentIntent"),
        ("i got a cramp last night for the first time ever what causes them", "CausesIntent"),
        ("i fell asleep on the sofa and woke up with the back of my thigh cramping how long do they usually go on",
         "DurationIntent"),
    ],
)
def test_a_story_that_ends_in_a_broad_question_is_that_question(text, intent):
    assert default_matcher().match(text).intent == intent


@pytest.mark.parametrize(
    "text,not_intent",
    [
        # not about our leg: the question at the end does not make it ours
        ("my shoulder has been stiff for a week what should i do", "TreatmentIntent"),
        ("my neck has been sore for days and now my back what should i do", "TreatmentIntent"),
        # a cause named in the story is asked about, not the causes in general
        ("my legs are knackered from training every day this week could that be why", "CausesIntent"),
    ],
)
def test_a_story_question_is_not_taken_where_it_does_not_belong(text, not_intent):
    assert default_matcher().match(text, IN_SESSION).intent != not_intent
