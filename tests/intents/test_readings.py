"""The matcher's readings of words around a request (tests/data/readings.yaml): a remark ending in words that move
the conversation on, red flags told as what happened, and pain words said innocently."""

from __future__ import annotations

import pytest
import yaml

from intents.matcher import MatchContext, default_matcher
from intents.names import RED_FLAG_LIST
from tests.kit.project import DATA

READINGS = yaml.safe_load((DATA / "readings.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("item", READINGS["moving_on"], ids=lambda item: item["text"])
def test_moving_on(item):
    match = default_matcher().match(item["text"], MatchContext(in_session=not item.get("new")))
    assert match.intent == item["intent"]


@pytest.mark.parametrize("item", READINGS["red_flag_signs"], ids=lambda item: item["text"])
def test_red_flag_signs(item):
    matcher = default_matcher()
    hit = matcher.red_flags.detect(item["text"])
    assert hit is not None and hit.id == item["flag"]
    assert matcher.match(item["text"]).resolved.get(RED_FLAG_LIST) == item["flag"]


@pytest.mark.parametrize("text", READINGS["not_red_flags"])
def test_innocent_pain_words_are_no_sign(text):
    assert default_matcher().red_flags.detect(text) is None
