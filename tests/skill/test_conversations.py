"""Golden conversations (tests/data/conversations.yaml) through the real matcher and skill, plus the invariants
every response must keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.builder import create_skill
from skill.content import load_content
from skill.conversation import Conversation, TurnRecord
from skill.invoke import invoker
from skill.reply import MAX_CARD_CHARS, MAX_RESPONSE_BYTES, MAX_SPEECH_CHARS
from skill.store import FailSoftAdapter, SqliteAdapter
from tests.kit.project import counting_ids, load_data

CONVERSATIONS = load_data("conversations.yaml")


def check_invariants(record: TurnRecord) -> None:
    """Alexa's limits and our own rules, for any response."""
    body = record.response["response"]
    assert len(json.dumps(record.response).encode()) <= MAX_RESPONSE_BYTES
    assert len(record.ssml) <= MAX_SPEECH_CHARS
    if not record.end_session:
        assert record.reprompt, f"open session without a reprompt after {record.utterance!r}"
    if record.topic:
        section = load_content().sections[record.topic]
        answer = section.step_text(record.step) if record.step else section.short_text()
        if answer and answer in record.speech:
            card = body.get("card")
            assert card, f"an answer without a card: {record.utterance!r}"
            assert answer in card["content"] and "not medical advice" in card["content"]
            assert len(card["title"]) + len(card["content"]) <= MAX_CARD_CHARS


class Clock:
    """The skill's clock in golden conversations: `hours_later` moves it, so freshness is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now


def golden_chat(conversation: dict, tmp_path: Path) -> tuple[Conversation, Clock]:
    """`store: true` gives the conversation a real SQLite store (in tmp_path); `device: screen` an Echo Show."""
    clock = Clock()
    store = FailSoftAdapter(SqliteAdapter(tmp_path / "state.sqlite3")) if conversation.get("store") else None
    skill = invoker(create_skill(store, clock))
    chat = Conversation(new_id=counting_ids(conversation["name"]), skill=skill, store=store,
                        screen=conversation.get("device") == "screen")
    return chat, clock


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_golden_conversation(conversation, tmp_path):
    chat, clock = golden_chat(conversation, tmp_path)
    for number, turn in enumerate(conversation["turns"], 1):
        if turn.get("new_session") or turn.get("hours_later"):
            chat.close()  # the session timed out (Alexa sends SessionEndedRequest); the next turn opens a new one
        clock.now += 3600 * turn.get("hours_later", 0)
        record = chat.touch(turn["touch"]) if "touch" in turn else chat.say(turn["say"])
        where = f"turn {number} ({turn.get('say') or turn.get('touch')!r}): heard {record.speech!r}"
        for key in ("intent", "slots", "topic", "step", "answer", "end_session"):
            if key in turn:
                assert getattr(record, key) == turn[key], f"{key} at {where}"
        if "new_session" in turn or "hours_later" in turn:
            assert record.request["session"]["new"] is True, where
        if "position" in turn:  # the saved place after the turn (null: nothing saved)
            assert (record.persisted or {}).get("position") == turn["position"], f"saved position at {where}"
        if "screen" in turn:  # the APL document the turn sent: step, answer, or null (none)
            tokens = [d.get("token") for d in record.directives]
            assert tokens == ([f"hamstring.{turn['screen']}"] if turn["screen"] else []), f"directives at {where}"
        if conversation.get("device") != "screen":
            assert record.directives == [], f"a directive to a device without a screen at {where}"
        speech = record.speech.lower()
        # Each entry must be heard; a list entry names phrasing variants of which one must be heard.
        for wanted in turn.get("says", []):
            options = [wanted] if isinstance(wanted, str) else wanted
            assert any(o.lower() in speech for o in options), f"missing {wanted!r} at {where}"
        for s in turn.get("not_says", []):
            assert s.lower() not in speech, f"unexpected {s!r} at {where}"
        if turn.get("reprompt"):
            assert record.reprompt, where
        check_invariants(record)


def test_session_state_travels_only_in_attributes():
    """Two conversation objects (think: two servers) can share one session by passing the attributes along."""
    first = Conversation()
    first.say("what do i do for a cramp")
    second = Conversation()
    second.session_id, second.attributes = first.session_id, dict(first.attributes)
    assert second.say("next").step == 2


def test_tampered_attributes_do_not_crash_the_skill():
    chat = Conversation()
    chat.say("open hamstring helper")
    chat.attributes = {"position": "seven", "step": True, "offer": 5, "disclaimed": "yes", "topic": ["x"]}
    record = chat.say("next")
    assert "not reading any steps" in record.speech.lower()
    check_invariants(record)


def test_phrasing_varies_between_requests_but_replays_identically():
    speeches = {Conversation().say("what causes hamstring cramps").speech for _ in range(12)}
    assert len(speeches) > 1, "the 'want to hear more' prompt never varied"
    record = Conversation().say("what causes hamstring cramps")
    from skill.invoke import invoke

    assert invoke(record.request) == record.response
