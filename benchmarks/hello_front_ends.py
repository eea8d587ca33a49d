"""Hello-world front ends: the least a program doing each front end's job can do, for benchmarks/startup.py to set
ours against. Each builds the hello-world ask-sdk-core skill (benchmarks/hello_skill.py) and answers with it.

    python -m benchmarks.hello_front_ends ask TEXT       one IntentRequest answered, the speech printed
    python -m benchmarks.hello_front_ends chat           one IntentRequest per line of stdin, each answer printed
    python -m benchmarks.hello_front_ends voice WAV      pocketsphinx with its own default model and dictionary
                                                         decodes the file (16 kHz mono PCM), the skill answers
    python -m benchmarks.hello_front_ends listen WAV     the same decoder fed the file in real time, as a microphone
                                                         would; "listening" on stderr once it can hear, and the
                                                         answer with the ms from the end of the audio to it
"""

from __future__ import annotations

import json
import sys
import time
import wave
from typing import Any

FRAME_S = 0.03


def intent_request(text: str) -> dict[str, Any]:
    user = {"userId": "amzn1.ask.account.HELLO"}
    application = {"applicationId": "amzn1.ask.skill.hello"}
    return {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.hello", "application": application,
                    "attributes": {}, "user": user},
        "context": {"System": {"application": application, "user": user, "device": {"supportedInterfaces": {}}}},
        "request": {"type": "IntentRequest", "requestId": "amzn1.echo-api.request.hello", "locale": "en-US",
                    "timestamp": "2024-01-01T00:00:00Z",
                    "intent": {"name": "HelloIntent", "confirmationStatus": "NONE",
                               "slots": {"text": {"name": "text", "value": text, "confirmationStatus": "NONE"}}}},
    }


def answer(text: str) -> str:
    from benchmarks.hello_skill import invoke_hello

    return str(invoke_hello(intent_request(text))["response"]["outputSpeech"]["ssml"])


def decoder() -> Any:
    import pocketsphinx

    return pocketsphinx.Decoder(loglevel="FATAL")  # the bundled en-us model, its own language model and dictionary


def pcm(path: str) -> bytes:
    with wave.open(path, "rb") as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (16000, 1, 2), path
        return audio.readframes(audio.getnframes())


def voice(path: str) -> None:
    heard = decoder()
    heard.start_utt()
    heard.process_raw(pcm(path), False, True)
    heard.end_utt()
    hypothesis = heard.hyp()
    text = hypothesis.hypstr if hypothesis is not None else ""
    print(json.dumps({"transcript": text, "speech": answer(text)}), flush=True)


def listen(path: str) -> None:
    heard = decoder()
    answer("")  # the skill is ready before listening starts, as ours is
    audio = pcm(path) + bytes(int(16000 * 2 * 1.0))  # and a second of quiet, as benchmarks/startup.py's file has
    print("listening", file=sys.stderr, flush=True)
    step = int(16000 * FRAME_S) * 2
    started = time.monotonic()
    heard.start_utt()
    for index, begin in enumerate(range(0, len(audio) - step + 1, step)):
        wait = started + (index + 1) * FRAME_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        heard.process_raw(audio[begin : begin + step], False, False)
    ended = time.perf_counter()
    heard.end_utt()
    hypothesis = heard.hyp()
    text = hypothesis.hypstr if hypothesis is not None else ""
    speech = answer(text)
    print(json.dumps({"transcript": text, "speech": speech, "latency_ms": (time.perf_counter() - ended) * 1000}),
          flush=True)


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "ask":
        print(answer(" ".join(rest)), flush=True)
    elif command == "chat":
        for line in sys.stdin:
            print(answer(line.strip()), flush=True)
    elif command == "voice":
        voice(rest[0])
    elif command == "listen":
        listen(rest[0])
    else:
        raise SystemExit(f"unknown command {command!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
