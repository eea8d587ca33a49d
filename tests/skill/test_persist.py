"""The saved place through the real skill and a real SQLite store: hostile stored values, out-of-session requests
and a broken store never cost an answer."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from skill.builder import create_skill
from skill.conversation import LOCAL_USER_ID, Conversation
from skill.envelope import EnvelopeError
from skill.invoke import invoke, invoker
from skill.persist import RESUME_WINDOW_S
from skill.store import FailSoftAdapter, SqliteAdapter
from tests.kit.envelopes import capture, envelope
from tests.kit.project import DATA

EVENTS = sorted((DATA / "envelopes").glob("*.json"))
NOW = 1_795_000_000


def chat_with(store) -> Conversation:
    return Conversation(skill=invoker(create_skill(store, lambda: NOW)), store=store)


@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
@pytest.mark.parametrize("session", [True, False], ids=["in session", "no session"])
def test_every_fixture_event_answers_with_a_store(path, session, tmp_path):
    store = FailSoftAdapter(SqliteAdapter(tmp_path / "state.sqlite3"))
    event = json.loads(path.read_text())
    if not session:
        event.pop("session", None)

    def answer(skill=None):
        """The response's parts, or the edge's refusal (an intent without a session is refused before the skill)."""
        try:
            return sorted(invoke(copy.deepcopy(event), skill=skill)["response"])
        except EnvelopeError as error:
            return str(error)

    assert answer(create_skill(store, lambda: NOW)) == answer()


@pytest.mark.parametrize("stored", [
    {"position": "three", "topic": "treatment", "saved_at": NOW},
    {"position": True, "topic": 5, "saved_at": NOW},
    {"position": 99, "topic": "treatment", "saved_at": NOW},
    {"position": 3, "topic": "treatment", "saved_at": True},
    {"position": 3, "topic": "treatment", "saved_at": NOW + 3600},  # in the future: a moved clock, not fresh
    {"position": 3, "topic": "treatment", "saved_at": NOW - RESUME_WINDOW_S - 1},
    {"position": 3},
    {"unexpected": ["a", {"b": 1}]},
])
def test_ill_typed_or_stale_saved_places_are_ignored(stored, tmp_path):
    store = SqliteAdapter(tmp_path / "state.sqlite3")
    chat = chat_with(FailSoftAdapter(store))
    store.save_attributes(envelope(LOCAL_USER_ID), stored)
    record = chat.say("ask hamstring helper for the next step")
    assert record.step is None and "not reading any steps" in record.speech.lower()


def test_a_fresh_saved_place_resumes(tmp_path):
    store = SqliteAdapter(tmp_path / "state.sqlite3")
    store.save_attributes(envelope(LOCAL_USER_ID), {"position": 3, "topic": "treatment",
                                                    "saved_at": NOW - RESUME_WINDOW_S + 60})
    assert chat_with(FailSoftAdapter(store)).say("ask hamstring helper for the next step").step == 4


def test_a_broken_store_costs_one_warning_and_no_answer(tmp_path):
    """The state path is a folder, so SQLite cannot open it: every turn is still answered, each with one warning."""
    broken = tmp_path / "not-a-file"
    broken.mkdir()
    lines = capture()
    try:
        chat = chat_with(FailSoftAdapter(SqliteAdapter(broken)))
        first = chat.say("how do i treat a hamstring cramp")
        assert first.step == 1 and first.persisted is None
        assert len(lines.warnings()) == 1 and "load failed" in lines.warnings()[0]
        second = chat.say("next")  # in session: no load, and the save fails
        assert second.step == 2 and len(lines.warnings()) == 2 and "save failed" in lines.warnings()[1]
    finally:
        logging.getLogger("skill.store").removeHandler(lines)
