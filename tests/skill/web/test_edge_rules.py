"""Issue 23 items 3-7, the web edge: the simulator API's input shapes, the loopback rule on every endpoint of an
unverified server, security headers, and no implicit routes. Through the real app (Flask's test client) and
`hamstring serve` itself on loopback."""

from __future__ import annotations

import json
import logging
import sqlite3
from functools import partial

import pytest

from skill.builder import build_skill
from skill.conversation import LOCAL_USER_ID
from skill.invoke import invoke_checked
from skill.store import choose_store, hash_user_id
from skill.web.app import app_from_environment, create_app
from tests.kit.project import DATA
from tests.kit.servers import hamstring_serve, request

JSON = {"Content-Type": "application/json"}


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def errors():
    handler = Errors()
    logging.getLogger().addHandler(handler)
    try:
        yield handler.lines
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture
def stored(tmp_path):
    """The simulator as `serve --no-verify --state` composes it, over a real SQLite file; and that file's path."""
    path = tmp_path / "state.sqlite3"
    skill = build_skill(choose_store(str(path), False, {}))
    app = create_app(None, skill=partial(invoke_checked, skill=skill), simulator=True, store=skill.persistence_adapter)
    return app.test_client(), path


def saved_rows(path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM attributes").fetchone()[0]


def turn(client, payload: object):
    return client.post("/simulator/api/turn", data=json.dumps(payload), content_type="application/json")


@pytest.fixture(scope="module")
def no_verify(tmp_path_factory):
    """`hamstring serve --no-verify` with a state file, as a local user runs it."""
    state = tmp_path_factory.mktemp("state") / "state.sqlite3"
    with hamstring_serve("--no-verify", "--state", str(state)) as (port, process):
        yield port, process, state


def envelope(name: str, **request: object) -> bytes:
    body = json.loads((DATA / "envelopes" / name).read_text())
    body["context"]["System"]["user"]["userId"] = body["session"]["user"]["userId"] = LOCAL_USER_ID
    body["request"].update(request)
    return json.dumps(body).encode()


def place_of(state) -> int:
    with sqlite3.connect(state) as connection:
        return connection.execute("SELECT count(*) FROM attributes WHERE key = ?",
                                  (hash_user_id(LOCAL_USER_ID),)).fetchone()[0]


# -- items 3 and 4: the simulator API's shapes and encodings ---------------------------------------------------------
OPEN = {"id": "amzn1.echo-api.session.test", "attributes": {"topic": "treatment", "step": 1, "position": 1}}


@pytest.mark.parametrize("payload", [
    {"touch": ["next"]},
    {"touch": {"word": "next"}},
    {"touch": "next", "token": ["hamstring.step"]},
    {"touch": "next", "token": {"token": "hamstring.step"}},
    {"session": OPEN, "device": "screen", "touch": ["next"]},
    {"session": OPEN, "device": "screen", "touch": "next", "token": ["hamstring.step"]},
    {"utterance": ["what causes cramps"]},
    {"utterance": "next", "speak": "yes"},
    {"utterance": "next", "device": ["screen"]},
    {"utterance": "next", "session": {"id": 5}},
    {"utterance": "next", "session": {"id": "amzn1.echo-api.session.x", "attributes": {}, "extra": 1}},
    {"utterance": "next", "end": True},
    {"end": 1},
    {"utterance": "next", "token": "hamstring.step"},
    {"utterance": "next", "surprise": True},
], ids=str)
def test_a_turn_of_the_wrong_shape_is_a_400(stored, errors, payload):
    client, path = stored
    answer = turn(client, payload)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert set(answer.get_json()) == {"error"} and len(answer.get_json()["error"]) < 120
    assert not errors and saved_rows(path) == 0


@pytest.mark.parametrize("body", [
    b'{"utterance": "what causes \\ud800 cramps"}',
    b'{"utterance": "what causes cramps", "session": {"id": "amzn1.echo-api.session.x", "attributes": '
    b'{"last_speech": "\\udfff"}}}',
    b'{"utterance": "what causes cramps", "x\\ud800": 1}',
    b'\xef\xbb\xbf{"utterance": "what causes cramps"}',
    '{"utterance": "what causes cramps"}'.encode("utf-16"),
    b'{"utterance": "what causes cramps", "speak": NaN}',
], ids=["lone surrogate in the utterance", "in an attribute", "in a key", "byte-order mark", "UTF-16", "NaN"])
def test_a_turn_that_is_not_strict_json_is_refused_before_the_skill_runs(stored, errors, body):
    client, path = stored
    answer = client.post("/simulator/api/turn", data=body, content_type="application/json")
    assert answer.status_code == 400 and set(answer.get_json()) == {"error"}
    assert not errors and saved_rows(path) == 0  # the skill never ran: nothing was saved


def test_the_voice_and_forget_endpoints_hold_their_shapes_too(stored, errors):
    client, _ = stored
    for path, payload in [("/simulator/api/voice", {"audio": ["UklGRg=="]}),
                          ("/simulator/api/voice", {"utterance": "x"}),
                          ("/simulator/api/forget", {"everything": True})]:
        answer = client.post(path, data=json.dumps(payload), content_type="application/json")
        assert answer.status_code == 400 and set(answer.get_json()) == {"error"}, (path, answer.get_json())
    assert not errors


def test_a_well_formed_turn_still_works(stored, errors):
    client, path = stored
    first = turn(client, {"utterance": "what do i do for a hamstring cramp", "speak": False}).get_json()
    second = turn(client, {"session": first["session"], "device": "screen", "touch": "next",
                           "token": "hamstring.step"}).get_json()
    assert second["turn"]["step"] == 2 and saved_rows(path) == 1 and not errors


# -- item 5: DNS rebinding against POST / -------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {"Host": "attacker.example"},
    {"Host": "attacker.example:5000", "Origin": "http://attacker.example:5000"},
    {"Origin": "http://attacker.example"},  # the right name, but sent by another site's page
    {"Origin": "null"},  # a sandboxed frame or a file
], ids=["host", "host and origin", "origin", "null origin"])
def test_a_page_on_another_name_cannot_reach_the_alexa_endpoint(no_verify, headers):
    port, _, state = no_verify
    status, _, _ = request(port, "POST", "/", envelope("intent_one_shot_treatment.json"), JSON)
    assert status == 200 and place_of(state) == 1  # the local user has a saved place
    forget = envelope("intent_go_to_step.json", intent={"name": "ForgetIntent", "confirmationStatus": "NONE"})
    for path, body in [("/", envelope("launch.json")), ("/", forget), ("/health", b"")]:
        status, _, answer = request(port, "POST" if body else "GET", path, body, JSON | headers)
        assert status == 404 and json.loads(answer) == {"error": "not found"}, (path, answer[:200])
    assert place_of(state) == 1  # not deleted by the other site
    status, _, answer = request(port, "POST", "/", envelope("launch.json"), JSON | {"Origin": f"http://localhost:{port}"})
    assert status == 200 and b"step" in answer  # the simulator page itself (a loopback origin) still resumes


# -- item 6: security headers on every page ----------------------------------------------------------------------
@pytest.mark.parametrize("method,path", [("GET", "/simulator"), ("GET", "/simulator/static/simulator.js"),
                                         ("GET", "/health"), ("POST", "/"), ("GET", "/nowhere")])
def test_no_page_can_be_framed(no_verify, method, path):
    port, _, _ = no_verify
    _, headers, _ = request(port, method, path, b"{}" if method == "POST" else b"", JSON)
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


# -- item 7: no implicit routes ------------------------------------------------------------------------------------
def test_the_app_has_only_its_own_routes(monkeypatch):
    monkeypatch.setenv("ALEXA_SKILL_ID", "amzn1.ask.skill.test")
    production = app_from_environment(no_verify=False)
    assert {rule.endpoint for rule in production.url_map.iter_rules()} == {"alexa", "health"}
    local = app_from_environment(no_verify=True)
    assert {rule.endpoint for rule in local.url_map.iter_rules()} == {
        "alexa", "health", "simulator.page", "simulator.turn", "simulator.spoken", "simulator.forget",
        "simulator.replay",
        "simulator.static"}


def test_a_verifying_server_started_in_a_folder_with_static_files_serves_none(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "notes.txt").write_text("private notes")
    with hamstring_serve(env={"ALEXA_SKILL_ID": "amzn1.ask.skill.test"}, cwd=tmp_path) as (port, _):
        status, _, body = request(port, "GET", "/static/notes.txt")
    assert status == 404 and b"private" not in body
