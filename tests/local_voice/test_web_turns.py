"""Issue 23 items 1 and 2 and the speech size, the simulator's spoken turns (local_voice/web.py): every recording gets
the speech check `hamstring voice --input` makes, the first spoken or spoken-back turn does not stall the worker
(`hamstring serve` itself, on loopback), and the speech sent back is bounded."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from functools import partial

import pytest

from tests.kit import tools

tools.require_module("pocketsphinx")
tools.require_module("soundfile")
tools.require_program("espeak-ng")

import numpy as np  # noqa: E402 - after the skips: the voice extra provides it
import soundfile  # noqa: E402

from local_voice.web import SpokenTurns  # noqa: E402
from skill.builder import build_skill  # noqa: E402
from skill.invoke import invoke_checked  # noqa: E402
from skill.store import choose_store  # noqa: E402
from skill.web.app import create_app  # noqa: E402
from tests.kit.project import run_cli  # noqa: E402
from tests.kit.servers import hamstring_serve, request  # noqa: E402
from tests.kit.speech import speak_to_wav  # noqa: E402

RATE = 16000
JSON = {"Content-Type": "application/json"}


def sounds() -> dict[str, np.ndarray]:
    """One second each, in the order the red team sent them; the last three are one tone, or one sweeping tone."""
    t = np.arange(RATE) / RATE
    noise = np.random.default_rng(23).standard_normal(RATE)
    return {
        "noise": 0.3 * noise,
        "buzz": 0.3 * (2 * ((120 * t) % 1) - 1),  # a sawtooth: harmonics, as a voice has
        "square wave": 0.3 * np.sign(np.sin(2 * np.pi * 440 * t)),
        "chirp": 0.3 * np.sin(2 * np.pi * (200 * t + 900 * t**2)),  # 200 -> 2000 Hz
        "440 Hz beep": 0.3 * np.sin(2 * np.pi * 440 * t),
    }


TONES = ("square wave", "chirp", "440 Hz beep")  # no voice in them at all: the speech check's to refuse


def saved_places(state) -> int:
    if not state.exists():
        return 0
    with sqlite3.connect(state) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        return connection.execute("SELECT count(*) FROM attributes").fetchone()[0] if "attributes" in tables else 0


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sounds")
    paths = {}
    for name, samples in sounds().items():
        paths[name] = folder / f"{name.replace(' ', '-')}.wav"
        soundfile.write(paths[name], samples.astype(np.float32), RATE, subtype="PCM_16")
    return paths


def test_non_speech_is_not_heard_as_a_question(tmp_path, recordings):
    """Each recording in turn, one session: no tone is heard as words, answered or saved as the user's place, and
    `hamstring voice --input` says "nothing recognized" for the same files."""
    state = tmp_path / "state.sqlite3"
    skill = build_skill(choose_store(str(state), False, {}))
    client = create_app(None, skill=partial(invoke_checked, skill=skill), simulator=True,
                        store=skill.persistence_adapter, voice=SpokenTurns()).test_client()
    session, pending, heard = None, None, {}
    for name, path in recordings.items():
        body = {"audio": base64.b64encode(path.read_bytes()).decode(), "pending": pending}
        if session is not None:
            body["session"] = session
        answer = client.post("/simulator/api/voice", data=json.dumps(body), content_type="application/json")
        assert answer.status_code == 200, answer.get_json()
        data = answer.get_json()
        session, pending, heard[name] = data["session"], data["pending"], data
    for name in TONES:
        assert heard[name]["transcript"] == "" and heard[name]["outcome"] == "reject", (name, heard[name])
        assert heard[name]["turn"] is None and heard[name]["pending"] is None
    assert saved_places(state) == 0
    result = run_cli("voice", "--no-tts", "--json", "--input", *(str(p) for p in recordings.values()), timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-500:]
    cli = dict(zip(recordings, (json.loads(line) for line in result.stdout.decode().splitlines()), strict=True))
    for name in TONES:
        assert cli[name]["transcript"] == "" == heard[name]["transcript"]


# -- item 2: the first spoken (or spoken-back) turn and the worker's other requests ----------------------------------
def health_during(port: int, path: str, body: bytes) -> tuple[int, float]:
    """(status of the turn, the longest /health took while the turn ran)."""
    outcome: dict[str, int] = {}

    def run() -> None:
        outcome["status"] = request(port, "POST", path, body, JSON, timeout=180)[0]

    worker = threading.Thread(target=run)
    worker.start()
    longest = 0.0
    while worker.is_alive():
        started = time.monotonic()
        assert request(port, "GET", "/health")[0] == 200
        longest = max(longest, time.monotonic() - started)
        time.sleep(0.05)
    worker.join()
    return outcome["status"], longest


def test_the_first_typed_turn_spoken_back_does_not_stall_the_worker():
    """It used to build the language's matcher and set up speech on the event loop: /health waited about 3 s."""
    with hamstring_serve("--no-verify") as (port, _):
        body = json.dumps({"utterance": "what causes hamstring cramps", "speak": True}).encode()
        status, longest = health_during(port, "/simulator/api/turn", body)
    assert status == 200 and longest < 0.5, longest


def test_the_first_spoken_turn_does_not_stall_the_worker(tmp_path):
    """It built the matcher and imported the voice modules on the event loop: /health waited 3-6 s here (3.4-4.2 s
    in the issue). What is left is the recognizer's one-time load, whose native grammar compilation holds the
    interpreter's lock for a second or more on a busy machine (pocketsphinx's add_fsg, in any thread); later turns
    wait on nothing but slices of the decoding."""
    wav = speak_to_wav("what causes hamstring cramps", tmp_path / "question.wav").read_bytes()
    body = json.dumps({"audio": base64.b64encode(wav).decode()}).encode()
    with hamstring_serve("--no-verify") as (port, _):
        first, first_longest = health_during(port, "/simulator/api/voice", body)
        later, later_longest = health_during(port, "/simulator/api/voice", body)
    assert first == later == 200
    assert first_longest < 3.0 and later_longest < 1.0, (first_longest, later_longest)


# -- also seen: the speech sent back is bounded -------------------------------------------------------------------
def test_a_forged_long_last_speech_spoken_back_is_bounded():
    tools.require_module("pyttsx3")
    client = create_app(None, simulator=True, voice=SpokenTurns()).test_client()
    last = "Stretch the muscle gently and hold it. " * 205  # 8,000 characters, Alexa's limit and the state's
    session = {"id": "amzn1.echo-api.session.forged", "attributes": {"last_speech": last[:8000]}}
    answer = client.post("/simulator/api/turn", data=json.dumps({"session": session, "utterance": "repeat that",
                                                                   "speak": True}), content_type="application/json")
    data = answer.get_json()
    assert answer.status_code == 200 and data["audio"], data.get("audio_note")
    assert len(answer.data) < 4_000_000  # it was 21 MB
    assert data["turn"]["intent"] == "AMAZON.RepeatIntent" and len(data["turn"]["speech"]) > 7000
    assert "characters of the answer are spoken" in data["audio_note"]
