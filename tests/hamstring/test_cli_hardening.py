"""Issue 9, the command line and audio: every reproduction is a one-line error with a non-zero exit (or a correct
answer), never a traceback. Real processes, real files, real audio, a loopback model server."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile

from local_voice.audio import MAX_AUDIO_S
from tests.kit.project import ROOT, run_cli
from tests.kit.speech import MODEL_NAME, espeak_available, model_server, model_zip, speak_to_wav


def one_line_error(result, code: int | None = None, fragment: str = "") -> str:
    err = result.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    assert result.returncode != 0 and (code is None or result.returncode == code), (result.returncode, err)
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("hamstring: error:"), err
    assert fragment in lines[0], lines[0]
    return lines[0]


# -- text input -------------------------------------------------------------------------------------------------------
def test_chat_with_non_utf8_input_is_one_line():
    one_line_error(run_cli("chat", stdin=b"what causes cramps\n\xff\xfe oops\n"), 1, "line 2 is not valid UTF-8")


def test_voice_text_with_non_utf8_input_is_one_line():
    one_line_error(run_cli("voice", "--text", "--no-tts", stdin=b"\xff what causes cramps\n"), 1, "not valid UTF-8")


def test_ask_with_non_utf8_argument_is_one_line():
    result = subprocess.run([sys.executable, "-m", "hamstring", "ask", b"what causes \xff cramps"], capture_output=True,
                            cwd=ROOT, timeout=60)
    one_line_error(result, 1, "not valid UTF-8")


@pytest.mark.parametrize(
    "stdin,fragment",
    [
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested"),
        (json.dumps({"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r", "locale": "en-US",
                                                   "timestamp": "2026-01-01T00:00:00Z",
                                                   "intent": {"name": "CausesIntent"}}}).encode(), "'session' missing"),
        (b'{"n": ' + b"9" * 5000 + b"}", "digits"),
    ],
    ids=["deeply nested", "intent request without a session", "huge integer"],
)
def test_simulate_refuses_with_one_line(stdin, fragment):
    one_line_error(run_cli("simulate", stdin=stdin), 1, fragment)


def test_simulate_dev_zero_ends():
    one_line_error(run_cli("simulate", "/dev/zero", timeout=30), 1, "over 131072 bytes")


def test_serve_port_out_of_range_is_one_line():
    one_line_error(run_cli("serve", "--no-verify", "--port", "70000", timeout=30), 2, "between 1 and 65535")


# -- only the chosen command's module is loaded ------------------------------------------------------------------------
@pytest.mark.parametrize("argv,forbidden", [
    (["--help"], ["flask", "gunicorn", "numpy", "skill.conversation", "ask_sdk_core"]),
    (["ask", "what causes hamstring cramps"], ["flask", "gunicorn", "gevent", "numpy", "cryptography", "tqdm"]),
])
def test_cli_loads_only_the_chosen_command(argv, forbidden):
    script = ("import sys; from hamstring.main import main\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
              "print(' '.join(m for m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, cwd=ROOT, timeout=60)
    loaded = set(result.stderr.decode().split())
    assert not loaded & set(forbidden), loaded & set(forbidden)


# -- voice: output path and audio caps ---------------------------------------------------------------------------------
@pytest.mark.parametrize("where,fragment", [("missing/answer.wav", "does not exist"), (".", "is a folder")],
                         ids=["missing folder", "a directory"])
def test_tts_out_bad_path_is_one_line(tmp_path, where, fragment):
    target = tmp_path / where
    one_line_error(run_cli("voice", "--text", "--tts-out", str(target), stdin="what causes cramps\n"), 2, fragment)


def _wav(path, rate: int, frames: int):
    soundfile.write(str(path), np.zeros(frames, dtype=np.int16), rate, subtype="PCM_16")
    return path


@pytest.mark.parametrize("rate,frames,fragment", [
    (1, 100_000, "sample rate 1 Hz"),
    (1, 2_000, "sample rate 1 Hz"),
    (16000, int(16000 * (MAX_AUDIO_S + 5)), "at most"),
], ids=["1 Hz, 100,000 frames", "1 Hz, 2,000 frames", "too long"])
def test_audio_caps(tmp_path, rate, frames, fragment):
    path = _wav(tmp_path / "x.wav", rate, frames)
    one_line_error(run_cli("voice", "--no-tts", "--json", "--input", str(path), timeout=60), 1, fragment)


needs_espeak = pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")


@needs_espeak
def test_a_tone_is_not_heard_as_no_but_speech_still_is(tmp_path):
    """Item 11: a one-second 440 Hz tone used to be recognized as "no" and end the session."""
    t = np.arange(16000) / 16000
    tone = tmp_path / "tone.wav"
    soundfile.write(str(tone), (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16), 16000)
    spoken = speak_to_wav("no", tmp_path / "no.wav")
    result = run_cli("voice", "--no-tts", "--json", "--engine", "pocketsphinx", "--input", str(tone), str(spoken),
                     timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    tone_turn, speech_turn = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert tone_turn["transcript"] == "" and tone_turn["intent"] != "AMAZON.NoIntent"
    assert speech_turn["transcript"] == "no"


# -- model download ----------------------------------------------------------------------------------------------------
def _encrypted_zip(name: str) -> bytes:
    """zipfile cannot encrypt; set the "encrypted" flag (bit 0) in the local and central headers, as an encrypted
    archive has it, which is what makes extraction fail for want of a password."""
    data = bytearray(model_zip(name))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as check:
        assert all(info.flag_bits & 0x1 for info in check.infolist())
    return bytes(data)


def test_model_download_bad_list_url(tmp_path):
    one_line_error(run_cli("model", "download", "--dest", str(tmp_path), "--list-url", "notaurl"), 1, "not a URL")


def test_model_download_dest_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    one_line_error(run_cli("model", "download", "--dest", str(target), "--list-url", "http://127.0.0.1:9/x"), 2,
                   "is a file")


def test_model_download_encrypted_zip(tmp_path):
    payload = _encrypted_zip(MODEL_NAME)
    with model_server(MODEL_NAME, payload, hashlib.md5(payload).hexdigest()) as list_url:
        result = run_cli("model", "download", MODEL_NAME, "--dest", str(tmp_path), "--list-url", list_url)
    one_line_error(result, 1, "encrypted")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("entry", [{"url": 5}, {"url": ["x"]}, {"size": "big"}, {"md5": 7}],
                         ids=["url a number", "url a list", "size a string", "md5 a number"])
def test_model_list_entry_with_wrong_types(tmp_path, entry):
    payload = model_zip(MODEL_NAME)
    with model_server(MODEL_NAME, payload, hashlib.md5(payload).hexdigest()) as list_url:
        # Rewrite the served list through the same loopback server: a list whose entry has wrong types.
        listing = json.loads(subprocess.run([sys.executable, "-c", f"import urllib.request;print(urllib.request."
                                             f"urlopen('{list_url}').read().decode())"],
                                            capture_output=True, timeout=30).stdout)
        listing[0].update(entry)
        bad = tmp_path / "list.json"
        bad.write_text(json.dumps(listing))
        result = run_cli("model", "download", MODEL_NAME, "--dest", str(tmp_path / "models"), "--list-url",
                         bad.as_uri())
    one_line_error(result, 1, "model list entry")
