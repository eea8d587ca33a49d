"""Start-up of the voice assistant: a WAV file standing in for the microphone, in real time."""

from __future__ import annotations

import json
import time

import pytest

from local_voice.audio import AudioChunk, write_wav
from local_voice.sources import FRAME_SAMPLES, FileMicrophone
from tests.kit.project import run_cli
from tests.kit.speech import espeak_available, speak_to_wav

FRAME_S = FRAME_SAMPLES / 16000


def test_a_file_microphone_hears_in_real_time_and_drops_what_it_hears_while_muted(tmp_path):
    path = tmp_path / "quiet.wav"
    write_wav(path, AudioChunk.silence(0.6).audio)
    source = FileMicrophone(path, tail_s=0.0)
    started = time.monotonic()
    frames = source.frames()
    first = [next(frames) for _ in range(5)]
    assert time.monotonic() - started >= 5 * FRAME_S - 0.005  # no faster than a microphone hears it
    with source.muted():  # the assistant speaks for 0.2 s: what the microphone heard meanwhile is gone
        time.sleep(0.2)
    rest = list(frames)
    assert all(frame.frames == FRAME_SAMPLES for frame in first + rest)
    assert 20 - 8 <= len(first) + len(rest) <= 20 - 5, len(rest)  # 0.6 s is 20 frames; 0.2 s muted is 6 or 7


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is needed to make test speech")
def test_voice_mic_file_is_the_live_loop_and_says_when_it_listens(tmp_path):
    wav = speak_to_wav("when should i see a doctor", tmp_path / "question.wav")
    result = run_cli("voice", "--mic-file", str(wav), "--json", "--no-tts", "--engine", "pocketsphinx",
                     timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    (turn,) = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert turn["transcript"] and turn["timings"]["audio_s"] > 1.0  # one utterance, heard through the VAD
    # Said on stderr with --json too: a script knows when to start talking.
    assert "listening on question.wav" in result.stderr.decode()


@pytest.mark.parametrize("args,message", [
    (["--mic-file", "missing.wav"], "cannot read audio missing.wav: no such file"),
    (["--mic-file", "a.wav", "--text"], "choose one of --input, --mic-file and --text"),
])
def test_voice_mic_file_refusals_are_one_line(args, message):
    result = run_cli("voice", "--no-tts", *args, timeout=60)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1 and message in lines[0], lines
