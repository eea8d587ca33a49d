"""The `hamstring` command line contract: ask, chat, simulate, and one-line errors."""

from __future__ import annotations

import json

import pytest

from .support import DATA, run_cli

CONTRACT = {"utterance", "intent", "slots", "topic", "step", "answer", "speech", "ssml", "reprompt", "end_session",
            "request", "response"}


def turns(result) -> list[dict]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_ask_json_is_one_turn_in_a_new_session():
    (turn,) = turns(run_cli("ask", "--json", "what", "causes", "hamstring", "cramps"))
    assert set(turn) == CONTRACT
    assert turn["intent"] == "CausesIntent" and turn["topic"] == "causes" and turn["step"] is None
    assert turn["request"]["session"]["new"] is True
    assert turn["request"]["request"]["intent"]["name"] == "CausesIntent"
    assert turn["response"]["response"]["outputSpeech"]["ssml"] == turn["ssml"]
    assert turn["speech"] and "<" not in turn["speech"] and turn["reprompt"] and turn["end_session"] is False


def test_ask_plain_prints_the_answer():
    result = run_cli("ask", "ask hamstring helper when should i see a doctor")
    assert result.returncode == 0 and "emergency number" in result.stdout.decode()


def test_chat_json_follows_the_contract_through_navigation_and_a_new_session():
    lines = "\n".join(["how do i treat a hamstring cramp", "next", "next", "previous", "stop", "", "what is a cramp"])
    records = turns(run_cli("chat", "--json", stdin=lines + "\n"))
    assert [r["utterance"] for r in records] == [
        "how do i treat a hamstring cramp", "next", "next", "previous", "stop", "what is a cramp"]
    assert all(set(r) == CONTRACT for r in records)
    assert [r["step"] for r in records] == [1, 2, 3, 2, None, None]
    assert [r["intent"] for r in records[:5]] == [
        "TreatmentIntent", "AMAZON.NextIntent", "AMAZON.NextIntent", "AMAZON.PreviousIntent", "AMAZON.StopIntent"]
    sessions = [r["request"]["session"]["sessionId"] for r in records]
    assert len(set(sessions[:5])) == 1 and sessions[5] != sessions[0]
    assert [r["request"]["session"]["new"] for r in records] == [True, False, False, False, False, True]
    # attributes travel: each request carries what the previous response stored
    assert records[1]["request"]["session"]["attributes"] == records[0]["response"]["sessionAttributes"]
    assert records[4]["end_session"] is True and records[5]["topic"] == "overview"


def test_chat_plain_text():
    result = run_cli("chat", stdin="open hamstring helper\nwhat causes cramps\nyes\n")
    out = result.stdout.decode().splitlines()
    assert result.returncode == 0 and len(out) == 3 and "cycling" in out[2]


def test_simulate_file_and_stdin():
    path = DATA / "envelopes" / "launch.json"
    from_file = json.loads(run_cli("simulate", str(path)).stdout)
    from_stdin = json.loads(run_cli("simulate", "-", stdin=path.read_bytes()).stdout)
    assert from_file == from_stdin
    assert "not a doctor" in from_file["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize(
    "args,stdin,code,message",
    [
        (["simulate"], "{not json", 1, "invalid JSON"),
        (["simulate"], '{"hello": "world"}', 1, "not an Alexa request envelope"),
        (["simulate"], '[1, 2]', 1, "not an Alexa request envelope"),
        (["simulate"], '{"request": {"type": "IntentRequest", "requestId": "r"}}', 1, "without 'intent.name'"),
        (["simulate"], '{"request": {"type": "LaunchRequest", "requestId": "r", "timestamp": 5}}', 1, "envelope"),
        (["simulate", "/nonexistent/request.json"], None, 1, "cannot read"),
        (["ask", "--bogus", "hi"], None, 2, "unrecognized arguments"),
        (["ask"], None, 2, "nothing to ask"),
        (["frobnicate"], None, 2, "invalid choice"),
        ([], None, 2, "required"),
    ],
    ids=["invalid json", "not an envelope", "array", "intent without name", "wrong field type", "missing file",
         "unknown option", "empty question", "unknown command", "no command"],
)
def test_bad_input_is_one_line_and_nonzero(args, stdin, code, message):
    result = run_cli(*args, stdin=stdin)
    err = result.stderr.decode().strip().splitlines()
    assert result.returncode == code
    assert len(err) == 1 and message in err[0] and err[0].startswith("hamstring: error:")
    assert "Traceback" not in result.stderr.decode()
