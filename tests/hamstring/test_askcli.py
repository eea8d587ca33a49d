"""The ASK CLI's dialog files: `hamstring chat --replay` plays replay files shaped as `ask dialog` records them (the
recorded and the append-quit forms, and the indented one its docs show), `.record` writes them back, and
`--save-skill-io` writes the skill-io file in the shape the ASK CLI writes (and reads back: captions and
shouldEndSession where its dialog controller looks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skill.askcli import ReplayError, parse_replay
from tests.kit.project import run_cli

SKILL_ID = "amzn1.ask.skill.7b1c7e4e-1111-2222-3333-444455556666"


def recorded_form(*utterances: str, locale: str = "en-US") -> str:
    """What `.record FILE` writes: fs-extra's outputJSONSync, one line of JSON and a newline."""
    return json.dumps({"skillId": SKILL_ID, "locale": locale, "type": "text", "userInput": list(utterances)},
                      separators=(",", ":")) + "\n"


def documented_form(*utterances: str) -> str:
    """The indented file the ASK CLI's dialog documentation shows."""
    return json.dumps({"skillId": SKILL_ID, "locale": "en-US", "type": "text", "userInput": list(utterances)},
                      indent=2)


def chat(tmp_path: Path, replay: str, *extra: str, stdin: str = ""):
    path = tmp_path / "replay.json"
    path.write_text(replay, encoding="utf-8")
    return run_cli("chat", "--json", "--replay", str(path), *extra, stdin=stdin)


def records(result) -> list[dict]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


@pytest.mark.parametrize("form", [recorded_form, documented_form])
def test_an_append_quit_replay_plays_through_and_quits(tmp_path: Path, form) -> None:
    text = form("open hamstring helper", "what do i do for a hamstring cramp", "next", ".quit", "stop")
    turns = records(chat(tmp_path, text, stdin="what causes cramps\n"))
    assert [t["utterance"] for t in turns] == ["open hamstring helper", "what do i do for a hamstring cramp", "next"]
    assert [t["request"]["request"]["type"] for t in turns] == ["LaunchRequest", "IntentRequest", "IntentRequest"]
    assert [t["step"] for t in turns] == [None, 1, 2]
    # The file's skill and locale are the requests': the replay speaks as the skill it was recorded against.
    assert {t["request"]["session"]["application"]["applicationId"] for t in turns} == {SKILL_ID}
    assert {t["request"]["request"]["locale"] for t in turns} == {"en-US"}


def test_a_recorded_replay_without_quit_carries_on_with_stdin_in_the_same_session(tmp_path: Path) -> None:
    """The ASK CLI switches to its interactive prompt after a replay without `.quit`; so does chat, on stdin."""
    turns = records(chat(tmp_path, recorded_form("what do i do for a hamstring cramp", locale="en-GB"),
                         stdin="next\n.quit\nnext\n"))
    assert [t["utterance"] for t in turns] == ["what do i do for a hamstring cramp", "next"]
    assert [t["step"] for t in turns] == [1, 2]
    assert turns[1]["request"]["session"]["new"] is False and turns[1]["request"]["request"]["locale"] == "en-GB"


def test_record_writes_the_session_as_the_ask_cli_does_and_it_replays(tmp_path: Path) -> None:
    out, quitting = tmp_path / "out.json", tmp_path / "out-quit.json"
    first = records(run_cli("chat", "--json", stdin=f"how do i treat a cramp\nnext\n.record {out}\n"
                                                    f".record {quitting} --append-quit\n"))
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.count("\n") == 1  # one line of JSON, as outputJSONSync writes
    saved = json.loads(text)
    assert list(saved) == ["skillId", "locale", "type", "userInput"]
    assert saved["type"] == "text" and saved["locale"] == "en-US" and saved["skillId"].startswith("amzn1.ask.skill.")
    assert saved["userInput"] == ["how do i treat a cramp", "next"]
    assert json.loads(quitting.read_text())["userInput"] == ["how do i treat a cramp", "next", ".quit"]
    again = records(run_cli("chat", "--json", "--replay", str(quitting), stdin=""))
    assert [t["intent"] for t in again] == [t["intent"] for t in first]
    assert [t["step"] for t in again] == [1, 2]


def test_record_forgets_a_session_that_ended(tmp_path: Path) -> None:
    """The ASK CLI clears its utterance cache when the skill ends the session; `.record` then has nothing of it."""
    out = tmp_path / "after-stop.json"
    records(run_cli("chat", "--json", stdin=f"what causes cramps\nstop\nwhat is a cramp\n.record {out}\n"))
    assert json.loads(out.read_text())["userInput"] == ["what is a cramp"]


def test_the_skill_io_file_has_the_ask_cli_shape(tmp_path: Path) -> None:
    io_path = tmp_path / "skill-io.json"
    turns = records(chat(tmp_path, recorded_form("open hamstring helper", "what causes cramps", "stop",
                                                 "what is a charley horse", ".quit"),
                         "--save-skill-io", str(io_path)))
    text = io_path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "invocations": [\n    {\n      "request": {')  # JSON.stringify(content, null, 2)
    saved = json.loads(text)
    assert list(saved) == ["invocations"] and len(saved["invocations"]) == len(turns) == 4
    assert [i["request"] for i in saved["invocations"]] == [
        {"utterance": "open hamstring helper", "newSession": True},
        {"utterance": "what causes cramps", "newSession": False},
        {"utterance": "stop", "newSession": False},
        {"utterance": "what is a charley horse", "newSession": True}]
    for invocation, turn in zip(saved["invocations"], turns, strict=True):
        assert list(invocation) == ["request", "response"] and list(invocation["response"]) == ["body"]
        body = invocation["response"]["body"]
        assert body["status"] == "SUCCESSFUL" and isinstance(body["id"], str)
        result = body["result"]
        # Where the ASK CLI's dialog controller reads them: the captions it prints, and shouldEndSession.
        captions = [r["content"]["caption"] for r in result["alexaExecutionInfo"]["alexaResponses"]]
        assert captions == [turn["speech"]]
        (skill,) = result["skillExecutionInfo"]["invocations"]
        assert skill["invocationRequest"]["body"] == turn["request"]
        assert skill["invocationResponse"]["body"] == turn["response"]
        assert skill["invocationResponse"]["body"]["response"]["shouldEndSession"] is turn["end_session"]
        assert isinstance(skill["metrics"]["skillExecutionTimeInMilliseconds"], int)
        considered = result["alexaExecutionInfo"]["consideredIntents"]
        assert [c["name"] for c in considered] == ([turn["intent"]] if turn["intent"] else [])


def test_skill_io_is_written_for_stdin_chat_too(tmp_path: Path) -> None:
    io_path = tmp_path / "io.json"
    result = run_cli("chat", "--save-skill-io", str(io_path), stdin="what causes cramps\n")
    assert result.returncode == 0
    assert json.loads(io_path.read_text())["invocations"][0]["request"] == {"utterance": "what causes cramps",
                                                                            "newSession": True}


BAD_REPLAYS = [
    ("not json", "{skillId: 1", "not JSON"),
    ("not an object", '["open hamstring helper"]', "not a JSON object"),
    ("no skill id", '{"locale": "en-US", "type": "text", "userInput": ["hi"]}', "must contain skillId"),
    ("blank locale", f'{{"skillId": "{SKILL_ID}", "locale": " ", "type": "text", "userInput": ["hi"]}}',
     "must contain locale"),
    ("unknown type", f'{{"skillId": "{SKILL_ID}", "locale": "en-US", "type": "voice", "userInput": ["hi"]}}',
     "unknown type"),
    ("no user input", f'{{"skillId": "{SKILL_ID}", "locale": "en-US", "type": "text"}}', "userInput must be"),
    ("empty entry", f'{{"skillId": "{SKILL_ID}", "locale": "en-US", "type": "text", "userInput": ["hi", "  "]}}',
     "cannot contain empty string"),
    ("entry not text", f'{{"skillId": "{SKILL_ID}", "locale": "en-US", "type": "text", "userInput": [3]}}',
     "userInput 1 is not text"),
    ("unknown command", recorded_form("hi", ".load x"), "unknown REPL command"),
    ("bad record", recorded_form("hi", ".record a b"), ".record <fileName>"),
    ("locale not ours", recorded_form("hi", locale="fr-FR"), "not one of the skill's"),
    ("not utf-8", b'{"skillId": "\xff"}', "not JSON"),
    ("too big", recorded_form("x" * 300_000), "over 256 KiB"),
]


@pytest.mark.parametrize("name,content,reason", BAD_REPLAYS, ids=[b[0] for b in BAD_REPLAYS])
def test_a_bad_replay_file_is_one_error_line(tmp_path: Path, name: str, content: str | bytes, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run_cli("chat", "--replay", str(path), stdin="")
    err = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b""
    assert err.count("\n") == 1 and reason in err and "Traceback" not in err
    assert "x" * 50 not in err  # never the input echoed back


def test_a_missing_replay_file_is_one_error_line(tmp_path: Path) -> None:
    result = run_cli("chat", "--replay", str(tmp_path / "nope.json"), stdin="")
    assert result.returncode == 1 and result.stderr.decode().count("\n") == 1
    assert "cannot read the replay file" in result.stderr.decode()


def test_an_unknown_command_on_stdin_is_one_error_line() -> None:
    result = run_cli("chat", stdin="what causes cramps\n.load x\n")
    assert result.returncode == 1 and result.stderr.decode().count("\n") == 1


@pytest.mark.parametrize("text,quits,utterances", [
    (recorded_form("a", "b"), False, ["a", "b"]),
    (recorded_form("a", ".quit", "b"), True, ["a"]),
    (recorded_form("  a  ", ".record x.json --append-quit", ".quit"), True, ["a"]),
])
def test_parse_replay(text: str, quits: bool, utterances: list[str]) -> None:
    replay = parse_replay(text.encode())
    assert replay.quits is quits and replay.utterances == utterances and replay.skill_id == SKILL_ID


def test_parse_replay_round_trips_what_it_writes() -> None:
    replay = parse_replay(recorded_form("open hamstring helper", ".quit").encode())
    assert replay.dumps() == recorded_form("open hamstring helper", ".quit")
    with pytest.raises(ReplayError):
        parse_replay(b"null")
