"""The simulator's endpoints without a browser: served only by an unverified server, the same path as a POST to `/`,
and bad input refused with a short 4xx reason that never quotes it."""

from __future__ import annotations

import base64
import json

import pytest

from local_voice.web import SpokenTurns
from skill.builder import build_skill
from skill.web.app import app_from_environment, create_app
from skill.web.verify import RequestVerifier
from tests.kit import tools


def client(**kwargs):
    """The simulator as `hamstring serve --no-verify` composes it: with the voice pipeline's spoken turns."""
    return create_app(None, simulator=True, voice=SpokenTurns(), **kwargs).test_client()


def post(test_client, path: str, payload: object, **kwargs):
    return test_client.post(path, data=json.dumps(payload), content_type="application/json", **kwargs)


def test_a_verifying_server_never_serves_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALEXA_SKILL_ID", "amzn1.ask.skill.test")
    production = app_from_environment(no_verify=False).test_client()
    for path in ("/simulator", "/simulator/static/simulator.js"):
        assert production.get(path).status_code == 404
    assert post(production, "/simulator/api/turn", {"utterance": "next"}).status_code in (404, 405)
    with pytest.raises(ValueError, match="only by an unverified"):
        create_app(RequestVerifier(frozenset({"amzn1.ask.skill.test"})), simulator=True)
    assert create_app(None).test_client().get("/simulator").status_code == 404  # off unless asked for


def test_no_verify_serves_the_page_and_its_assets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)
    local = app_from_environment(no_verify=True).test_client()
    page = local.get("/simulator")
    assert page.status_code == 200 and b'<label for="utterance">' in page.data
    assert local.get("/simulator/static/simulator.js").status_code == 200
    assert local.get("/simulator/static/simulator.css").status_code == 200
    # Not from another machine, whatever mounted the app.
    assert local.get("/simulator", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 404
    # Nor to a page on another name that re-resolves to loopback (DNS rebinding).
    assert local.get("/simulator", headers={"Host": "attacker.example:5000"}).status_code == 404
    assert local.get("/simulator", headers={"Host": "[::1]:5000"}).status_code == 200


def test_turns_keep_the_session_the_page_sends_back() -> None:
    test_client = client()
    first = post(test_client, "/simulator/api/turn", {"utterance": "what do i do for a hamstring cramp"}).get_json()
    assert first["turn"]["intent"] == "TreatmentIntent" and first["turn"]["request"]["session"]["new"] is True
    second = post(test_client, "/simulator/api/turn", {"session": first["session"], "utterance": "next"}).get_json()
    assert second["turn"]["step"] == 2 and second["turn"]["request"]["session"]["new"] is False
    assert second["session"]["id"] == first["session"]["id"]
    touch = post(test_client, "/simulator/api/turn", {"session": second["session"], "device": "screen",
                                                     "touch": "previous", "token": "hamstring.step"}).get_json()
    assert touch["turn"]["request"]["request"]["type"] == "Alexa.Presentation.APL.UserEvent"
    assert touch["turn"]["step"] == 1 and touch["turn"]["directives"][0]["token"] == "hamstring.step"
    ended = post(test_client, "/simulator/api/turn", {"session": touch["session"], "end": True}).get_json()
    assert ended["turn"]["request"]["request"]["type"] == "SessionEndedRequest" and ended["session"]["id"] is None


def test_the_configured_skill_id_is_checked_as_on_the_endpoint() -> None:
    test_client = client(skill_ids=frozenset({"amzn1.ask.skill.mine"}))
    answer = post(test_client, "/simulator/api/turn", {"utterance": "what causes hamstring cramps"}).get_json()
    assert answer["turn"]["request"]["session"]["application"]["applicationId"] == "amzn1.ask.skill.mine"


SECRET = "zq-secret-zq"
DEEP: object = SECRET
for _ in range(40):
    DEEP = [DEEP]


@pytest.mark.parametrize(("payload", "status"), [
    ({"utterance": ""}, 400),
    ({"utterance": "   \t"}, 400),
    ({"utterance": 42}, 400),
    ({}, 400),
    ({"utterance": SECRET * 40}, 413),
    ({"utterance": "next", "device": SECRET}, 400),
    ({"utterance": "next", "session": {"id": SECRET, "attributes": {}}}, 400),
    ({"utterance": "next", "session": {"id": "amzn1.echo-api.session.x", "attributes": [SECRET]}}, 400),
    # Checked by the endpoint's own envelope checks (skill.envelope): JSON deeper than Alexa ever sends.
    ({"utterance": "next", "session": {"id": "amzn1.echo-api.session.x", "attributes": {"a": DEEP}}}, 400),
    ({"touch": SECRET}, 400),
    ({"touch": "next"}, 409),
    ({"end": True}, 409),
    ([SECRET], 400),
])
def test_bad_turns_are_short_4xx_reasons(payload: object, status: int) -> None:
    answer = post(client(), "/simulator/api/turn", payload)
    assert answer.status_code == status, answer.get_json()
    assert set(answer.get_json()) == {"error"} and SECRET not in answer.get_data(as_text=True)


def test_bad_bodies() -> None:
    test_client = client()
    assert test_client.post("/simulator/api/turn", data="x", content_type="text/plain").status_code == 415
    assert test_client.post("/simulator/api/turn", data=b"\xff{", content_type="application/json").status_code == 400
    assert test_client.post("/simulator/api/turn", data="[" * 100_000,
                            content_type="application/json").status_code == 413
    assert test_client.post("/simulator/api/turn", data="[" * 10_000,
                            content_type="application/json").status_code == 400


CHECKED = {"utterance": "how can i prevent hamstring cramps", "confidence": 0.3}


@pytest.mark.parametrize(("reply", "outcome", "intent"), [
    ("yes", "answer", "PreventionIntent"),  # the question held by the check is sent
    ("no", "ask_again", None),  # nothing is sent; the page is asked to say it again
    ("what causes hamstring cramps", "answer", "CausesIntent"),  # a new question, and the check is over
])
def test_a_typed_reply_settles_a_spoken_check(reply: str, outcome: str, intent: str | None) -> None:
    tools.require_module("pocketsphinx")
    answer = post(client(), "/simulator/api/turn", {"utterance": reply, "pending": CHECKED}).get_json()
    assert answer["outcome"] == outcome and answer["pending"] is None
    if intent is None:
        assert answer["turn"] is None and answer["local"]["outcome"] == outcome and answer["session"]["id"] is None
    else:
        assert answer["turn"]["intent"] == intent and answer["local"] is None
        assert answer["turn"]["utterance"] == (CHECKED["utterance"] if reply == "yes" else reply)


@pytest.mark.parametrize("pending", [
    "how can i prevent hamstring cramps",
    {"utterance": "how can i prevent hamstring cramps"},
    {"utterance": "how can i prevent hamstring cramps", "confidence": 2},
    {"utterance": "how can i prevent hamstring cramps", "confidence": True},
    {"utterance": "x" * 400, "confidence": 0.3},
    {"utterance": "what is the weather like in paris tomorrow", "confidence": 0.3},
    {"utterance": "yes", "confidence": 0.3, "request": {"type": "IntentRequest"}},
])
def test_a_pending_question_from_the_page_is_checked_like_any_input(pending: object) -> None:
    tools.require_module("pocketsphinx")
    answer = post(client(), "/simulator/api/turn", {"utterance": "yes", "pending": pending})
    assert 400 <= answer.status_code < 500 and set(answer.get_json()) == {"error"}
    assert "paris" not in answer.get_data(as_text=True)


def test_a_spoken_turn_is_decided_as_the_voice_assistant_decides(tmp_path) -> None:
    """Real speech through the endpoint: out-of-domain speech is not caught (nothing reaches the skill), a check
    holds its question for the page, and a spoken "yes" sends it."""
    tools.require_module("pocketsphinx")
    from tests.kit.speech import espeak_available, speak_to_wav

    if not espeak_available():
        tools.require_program("espeak-ng")

    def spoken(text: str, pending: object = None) -> dict:
        wav = speak_to_wav(text, tmp_path / "said.wav").read_bytes()
        return post(test_client, "/simulator/api/voice", {"audio": base64.b64encode(wav).decode(),
                                                          "pending": pending}).get_json()

    test_client = client()
    for warm in ("when should i see a doctor", "what causes hamstring cramps"):
        spoken(warm)  # a few turns in: the first after start-up is the least sure
    weather = spoken("what is the weather like tomorrow in paris")
    assert weather["outcome"] == "reject" and weather["turn"] is None and weather["pending"] is None
    assert "didn't" in weather["local"]["speech"] and weather["audio"] or weather["audio_note"]
    yes = spoken("yes", CHECKED)
    assert yes["outcome"] == "answer" and yes["turn"]["intent"] == "PreventionIntent" and yes["pending"] is None
    assert yes["transcript"] == "yes" and yes["turn"]["utterance"] == CHECKED["utterance"]


@pytest.mark.parametrize(("audio", "status"), [
    (None, 400),
    ("not base64!", 400),
    (base64.b64encode(b"hello, this is not a recording").decode(), 400),
    (base64.b64encode(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk").decode(), 400),
])
def test_bad_recordings(audio: object, status: int) -> None:
    answer = post(client(), "/simulator/api/voice", {"audio": audio})
    assert answer.status_code == status and set(answer.get_json()) == {"error"}


def test_a_recording_over_the_limit_is_refused_before_recognition() -> None:
    tools.require_module("soundfile")
    import io

    import numpy as np
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(8000 * 20, dtype="<i2"), 8000, format="WAV", subtype="PCM_16")
    answer = post(client(), "/simulator/api/voice", {"audio": base64.b64encode(buffer.getvalue()).decode()})
    assert answer.status_code == 413 and "15 s" in answer.get_json()["error"]


def test_forget_clears_the_saved_place(tmp_path) -> None:
    from skill.store import choose_store

    skill = build_skill(choose_store(str(tmp_path / "state.sqlite3"), False, {}))
    from functools import partial

    from skill.invoke import invoke_checked

    test_client = create_app(None, skill=partial(invoke_checked, skill=skill), simulator=True,
                             store=skill.persistence_adapter).test_client()
    turn = post(test_client, "/simulator/api/turn", {"utterance": "what do i do for a hamstring cramp"}).get_json()
    assert turn["turn"]["persisted"]["position"] == 1
    assert post(test_client, "/simulator/api/forget", {}).get_json() == {"persisted": {}}
    assert post(client(), "/simulator/api/forget", {}).status_code == 409  # no store


def test_typed_answers_can_be_spoken_too() -> None:
    tools.require_module("pyttsx3")
    answer = post(client(), "/simulator/api/turn", {"utterance": "what causes hamstring cramps", "speak": True})
    data = answer.get_json()
    assert answer.status_code == 200
    assert data["audio_note"] is None and base64.b64decode(data["audio"])[:4] == b"RIFF"
    quiet = post(client(), "/simulator/api/turn", {"utterance": "what causes hamstring cramps"}).get_json()
    assert "audio" not in quiet


ASK_REPLAY = '{"skillId":"amzn1.ask.skill.x","locale":"en-GB","type":"text","userInput":["what causes cramps",' \
             '"yes",".quit","never"]}\n'


@pytest.mark.parametrize("file,expected", [
    (ASK_REPLAY, {"utterances": ["what causes cramps", "yes"], "format": "ask-replay", "quits": True,
                  "locale": "en-GB"}),
    ("what causes cramps\r\n\n  yes  \n", {"utterances": ["what causes cramps", "yes"], "format": "lines"}),
])
def test_load_reads_an_ask_cli_replay_file_or_lines(file: str, expected: dict) -> None:
    answer = post(client(), "/simulator/api/replay", {"file": file})
    assert answer.status_code == 200 and answer.get_json() == expected


@pytest.mark.parametrize("file,status,reason", [
    (42, 400, "file must be"),
    ("", 400, "no utterances"),
    ("{" + SECRET, 400, "not JSON"),
    ('{"skillId": "amzn1.ask.skill.x", "locale": "en-US", "type": "voice", "userInput": ["x"]}', 400, "unknown type"),
    ('{"skillId": "amzn1.ask.skill.x", "locale": "en-US", "userInput": [".quit"]}', 400, "no utterances"),
    ("next\n" * 201, 413, "over 200"),
    (SECRET * 40, 413, "utterance 1"),
])
def test_load_refuses_a_file_it_cannot_play(file: object, status: int, reason: str) -> None:
    answer = post(client(), "/simulator/api/replay", {"file": file})
    assert answer.status_code == status and reason in answer.get_json()["error"]
    assert SECRET not in answer.get_data(as_text=True)


def test_the_page_knows_the_skill_id_it_saves_replays_for() -> None:
    page = client().get("/simulator").get_data(as_text=True)
    assert 'data-skill-id="amzn1.ask.skill.' in page and 'data-locale="en-US"' in page
