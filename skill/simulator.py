"""The browser simulator `hamstring serve --no-verify` serves at /simulator: type, touch or speak to the skill and see
what Alexa would see. Never registered on a verifying (production) server: `skill.server.create_app` refuses that.

Every turn is a real request envelope built by `skill.conversation.Conversation` and run through the endpoint's own
unverified path (`skill.server.run_unverified`: envelope checks, skill id, the skill), exactly as a POST to `/`.

The session lives in the page, as Alexa keeps it on its side: each turn posts the session id and the attributes the
last response returned, and gets the new ones back. The server keeps nothing between requests, so any gunicorn worker
can answer any turn (`serve` runs several) and a restart loses nothing but what the store persisted.

Endpoints (JSON in, JSON out; a bad request is a 4xx with a short reason of our own wording, never the input):
    POST /simulator/api/turn    {"session": {"id", "attributes"}, "device", one of "utterance" | "touch" | "end",
                                 "speak": true to get the answer's speech as a WAV too}
    POST /simulator/api/voice   the same with "audio": base64 WAV instead of the utterance (the voice extra)
    POST /simulator/api/forget  {} -> deletes the local user's saved place

A spoken turn is decided as `hamstring voice` decides it (local_voice.assistant): answered, checked ("Did you ask
...?") or not caught, by the same confidence and rules. A check is a turn of the assistant's own, not sent to the
skill: the response has "turn": null, "local" (its speech and outcome) and "pending", the question being checked,
which the page sends back with its next turn ("pending": {"utterance", "confidence"}), spoken or typed: yes sends it,
no asks again, anything else is a new question. The server re-reads the pending question with the matcher, as it
would any utterance; the page cannot hand it a request of its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from flask import Blueprint, Response, render_template, request

from .conversation import DEVICES, LOCAL_APPLICATION_ID, Conversation, build_request, read_persisted, touch_request
from .display import EVENT_INTENTS, STEP_TOKEN, TOKENS
from .envelope import EnvelopeError
from .invoke import to_request_envelope
from .skill_id import VerificationFailed
from .store import FailSoftAdapter

if TYPE_CHECKING:  # the voice extra; imported where a spoken turn needs it
    from local_voice.decision import Decider, VoiceTurn

MAX_UTTERANCE_CHARS = 300  # a spoken question is a sentence; Alexa's own limit on typed test input is similar
MAX_TURN_BYTES = 64 * 1024  # the page's JSON: utterance, session attributes (a few hundred bytes in practice)
MAX_RECORDING_S = 15.0  # one question, held on a button
MAX_VOICE_BYTES = int(MAX_RECORDING_S * 48000 * 2 * 4 / 3) + MAX_TURN_BYTES  # 48 kHz 16-bit mono, base64, + JSON
_SESSION_ID = re.compile(r"amzn1\.echo-api\.session\.[A-Za-z0-9.-]{1,100}")


class BadTurn(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), status=status,
                    mimetype="application/json")


def simulator_blueprint(
    endpoint: Callable[[bytes], dict],
    *,
    skill_ids: frozenset[str] = frozenset(),
    store: AbstractPersistenceAdapter | None = None,
) -> Blueprint:
    """`endpoint`: the body of a POST to `/` in, the response envelope out (raises EnvelopeError/VerificationFailed).
    `store`: the adapter the skill persists through (None: state off)."""
    from .server import Refused, is_loopback, read_body

    pages = Blueprint("simulator", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/simulator/static")
    # With ALEXA_SKILL_ID set, the page speaks as that skill, so the id check passes as it would for Alexa.
    application_id = sorted(skill_ids)[0] if skill_ids else LOCAL_APPLICATION_ID
    voice = _Voice()

    def run(envelope: dict) -> dict:
        return endpoint(json.dumps(envelope, separators=(",", ":")).encode())

    @pages.before_request
    def loopback_only() -> Response | None:
        # `serve` already refuses --no-verify off loopback; this also holds for an app mounted some other way.
        # The Host check stops DNS rebinding: a web page whose name re-resolves to 127.0.0.1 is not let in.
        try:
            host = urlsplit(f"//{request.host}").hostname or ""
        except ValueError:
            host = ""
        if not is_loopback(request.remote_addr or "") or not is_loopback(host):
            return _json(404, {"error": "not found"})
        return None

    @pages.get("/simulator")
    def page() -> str:
        voice.warm_up()
        return render_template("simulator.html", max_utterance=MAX_UTTERANCE_CHARS,
                               max_recording_s=int(MAX_RECORDING_S), state_on=store is not None)

    def handled(work: Callable[[dict], dict[str, Any]], limit: int = MAX_TURN_BYTES) -> Response:
        try:
            if request.headers.get("Content-Type", "").split(";", 1)[0].strip().lower() != "application/json":
                raise BadTurn(415, "content type must be application/json")
            try:
                body = read_body(request.environ, limit)
            except Refused as refused:
                raise BadTurn(refused.status, refused.reason) from None
            try:
                data = json.loads(body)
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise BadTurn(400, "the request is not JSON") from None
            if not isinstance(data, dict):
                raise BadTurn(400, "the request must be a JSON object")
            return _json(200, work(data))
        except BadTurn as bad:
            return _json(bad.status, {"error": bad.reason})
        except (EnvelopeError, VerificationFailed) as error:
            return _json(400, {"error": str(error)})

    def conversation(data: dict) -> Conversation:
        device = data.get("device", "speaker")
        if device not in DEVICES:
            raise BadTurn(400, "device must be speaker or screen")
        session = data.get("session") or {}
        if not isinstance(session, dict):
            raise BadTurn(400, "session must be an object")
        session_id, attributes = session.get("id"), session.get("attributes") or {}
        if session_id is not None and not (isinstance(session_id, str) and _SESSION_ID.fullmatch(session_id)):
            raise BadTurn(400, "session id is not one this page made")
        if not isinstance(attributes, dict):
            raise BadTurn(400, "session attributes must be an object")
        talk = Conversation(skill=run, application_id=application_id, store=store, screen=device == "screen")
        talk.session_id, talk.attributes = session_id, attributes if session_id else {}
        return talk

    def result(talk: Conversation, record: Any) -> dict[str, Any]:
        return {"turn": record.to_json() if record is not None else None,
                "session": {"id": talk.session_id, "attributes": talk.attributes}}

    def decided(talk: Conversation, helper: Any, spoken_turn: Any) -> dict[str, Any]:
        """A turn the voice assistant decided: the skill's answer, or a turn of its own (a check, "not caught",
        "ask again") with the question it holds, if any."""
        held = helper.held()
        answer = result(talk, spoken_turn.record if spoken_turn.outcome == "answer" else None)
        answer.update(outcome=spoken_turn.outcome, pending=None if held is None else {
            "utterance": held[0], "confidence": round(held[1], 3)})
        answer["local"] = None if answer["turn"] is not None else {
            "speech": spoken_turn.record.speech, "outcome": spoken_turn.outcome, "confirm": spoken_turn.confirm}
        return answer

    @pages.post("/simulator/api/turn")
    def turn() -> Response:
        def work(data: dict) -> dict[str, Any]:
            talk = conversation(data)
            if data.get("end") is True:
                if not talk.open:
                    raise BadTurn(409, "no session is open")
                return result(talk, talk.close())
            if "touch" in data:
                word, token = data.get("touch"), data.get("token", STEP_TOKEN)
                if word not in EVENT_INTENTS or token not in TOKENS:
                    raise BadTurn(400, "touch must be next, previous or repeat on one of the skill's documents")
                if not talk.open:
                    raise BadTurn(409, "no session is open: a screen shows buttons only during a session")
                return result(talk, talk.send(touch_request(word, token)))
            utterance = utterance_of(data.get("utterance"))
            pending = pending_of(data.get("pending"))
            if pending is None:
                record = talk.say(utterance)
                answer = result(talk, record)
            else:  # a typed reply to a check of a spoken turn: yes or no settle it, as they would spoken
                helper = _checking_assistant(talk, pending)  # a 501 without the voice extra
                from local_voice.decision import Timings

                typed_turn = helper.respond(utterance, Timings())
                record, answer = typed_turn.record, decided(talk, helper, typed_turn)
            if data.get("speak") is True:  # "Play the answers" in the page: the same speech as a spoken turn gets
                answer.update(voice.speak(record.speech))
            return answer

        return handled(work)

    @pages.post("/simulator/api/voice")
    def spoken() -> Response:
        def work(data: dict) -> dict[str, Any]:
            talk = conversation(data)
            audio = data.get("audio")
            if not isinstance(audio, str) or not audio:
                raise BadTurn(400, "no recording received")
            try:
                wav = base64.b64decode(audio, validate=True)
            except (binascii.Error, ValueError):
                raise BadTurn(400, "the recording is not base64 data") from None
            pending = pending_of(data.get("pending"))
            helper, heard, spoken_turn = voice.hear(wav, lambda: _checking_assistant(talk, pending))
            answer = decided(talk, helper, spoken_turn)
            # The words heard this turn (a "yes" sends the question it confirms: the turn's utterance is that), and
            # the confidence the decision went by.
            answer.update(transcript=" ".join(heard.split()), confidence=round(spoken_turn.confidence, 3),
                          engine=voice.engine_name, **voice.speak(spoken_turn.record.speech))
            return answer

        return handled(work, MAX_VOICE_BYTES)

    @pages.post("/simulator/api/forget")
    def forget() -> Response:
        def work(data: dict) -> dict[str, Any]:
            if store is None:
                raise BadTurn(409, "the state store is off (--no-state): nothing is saved")
            envelope = build_request({"type": "SessionEndedRequest", "reason": "USER_INITIATED"},
                                     session_id="amzn1.echo-api.session.forget", new=False, attributes={},
                                     application_id=application_id)
            inner = store.inner if isinstance(store, FailSoftAdapter) else store
            try:
                inner.delete_attributes(to_request_envelope(envelope))
            except Exception:  # noqa: BLE001 - the store's own errors quote nothing of ours but may be anything
                raise BadTurn(409, "the state store could not be changed (read-only or locked)") from None
            return {"persisted": read_persisted(store, envelope)}

        return handled(work)

    return pages


def utterance_of(value: object) -> str:
    if not isinstance(value, str):
        raise BadTurn(400, "type something to say")
    text = " ".join(value.split())
    if not text:
        raise BadTurn(400, "type something to say")
    if len(text) > MAX_UTTERANCE_CHARS:
        raise BadTurn(413, f"that is over {MAX_UTTERANCE_CHARS} characters: say one question at a time")
    return text


def pending_of(value: object) -> tuple[str, float] | None:
    """The question a check is holding, as the page sends it back: {"utterance", "confidence"} or null."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"utterance", "confidence"}:
        raise BadTurn(400, "pending must be null or an object with utterance and confidence")
    confidence = value["confidence"]
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        raise BadTurn(400, "pending confidence must be a number from 0 to 1")
    return utterance_of(value["utterance"]), float(confidence)


def _checking_assistant(talk: Conversation, pending: tuple[str, float] | None) -> Decider:
    """The voice assistant's decision over this page's session, holding the question being checked, if any."""
    try:
        from local_voice.decision import Decider
    except ImportError:
        raise BadTurn(501, "speech needs the voice extra: pip install 'hamstring-cramp-helper[voice]'") from None
    helper = Decider(talk)
    if pending is not None and not helper.hold(*pending):
        raise BadTurn(400, "the pending question is not one the skill understands")
    return helper


def in_gevent_worker() -> bool:
    try:
        from gevent.monkey import is_module_patched
    except ImportError:
        return False
    return bool(is_module_patched("threading"))


def off_the_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-bound work (recognition takes seconds) in gevent's thread pool when this is the gevent worker: the
    event loop keeps serving other connections and gunicorn's heartbeat, which would otherwise kill the worker after
    its 30 s timeout. Elsewhere (Flask's test client, a plain WSGI server) it is a plain call."""
    if not in_gevent_worker():
        return function(*args)
    from gevent import get_hub

    return get_hub().threadpool.apply(function, args)


class _Voice:
    """The offline recognizer and speech synthesizer of this worker process, made on the first spoken turn
    (pocketsphinx loads in about a second; a typed-only session never pays for it). One turn at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Any = None
        self._speaker: Any = None
        self._warming = False
        self.engine_name = ""

    def warm_up(self) -> None:
        """Load the recognizer in the background when the page opens: the first spoken turn then costs the
        recognition only, not the model's loading too (several seconds). Only in `serve`'s worker: a test client
        or another embedding loads it on the first spoken turn."""
        if self._engine is None and not self._warming and in_gevent_worker():
            self._warming = True
            threading.Thread(target=self._load_engine, name="simulator-voice-warm-up", daemon=True).start()

    def _load_engine(self) -> None:
        try:
            from local_voice.asr import EngineError, choose_engine
        except ImportError:
            return
        with self._lock:
            if self._engine is None:
                try:
                    self._engine = off_the_loop(choose_engine, "pocketsphinx")
                    self.engine_name = self._engine.name
                except EngineError:
                    pass  # said by the first spoken turn

    def hear(self, wav: bytes, assistant: Callable[[], Decider]) -> tuple[Decider, str, VoiceTurn]:
        """A WAV recording heard and decided by the voice assistant `assistant()` makes: the assistant (holding any
        question it now checks), the words heard, and its turn. The decision's extra passes (a second opinion,
        red-flag spotting) use the engine too, so all of it is one turn of the lock. They take a fraction of the
        decoding, and run where the skill runs (the event loop, not gevent's thread pool: the skill's state store
        stays on one thread)."""
        pcm = self._pcm(wav)
        helper = assistant()
        self._load_engine()
        if self._engine is None:
            raise BadTurn(501, "the offline speech recognizer cannot start here")
        from local_voice.asr import transcribe

        with self._lock:
            heard = off_the_loop(transcribe, self._engine, pcm)
            helper.engine = self._engine.name
            return helper, heard.text, helper.hear(heard)

    def _pcm(self, wav: bytes) -> bytes:
        """16 kHz mono PCM from a WAV recording, or a one-line refusal."""
        try:
            from local_voice.audio import AudioError, load_wav
        except ImportError:
            raise BadTurn(501, "speech needs the voice extra: pip install 'hamstring-cramp-helper[voice]'") \
                from None
        import soundfile

        if not (wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"):
            raise BadTurn(400, "the recording is not a WAV file")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "recording.wav"
            path.write_bytes(wav)
            try:
                info = soundfile.info(str(path))
            except Exception:  # noqa: BLE001 - libsndfile's errors are its own; ours is one line
                raise BadTurn(400, "the recording is not audio we can read") from None
            if info.samplerate > 0 and info.frames / info.samplerate > MAX_RECORDING_S:
                raise BadTurn(413, f"the recording is over {MAX_RECORDING_S:.0f} s: ask one short question")
            try:
                return load_wav(path)
            except AudioError:
                raise BadTurn(400, "the recording is not audio we can read") from None

    def speak(self, text: str) -> dict[str, Any]:
        """{"audio": base64 WAV of the answer} or {"audio": None, "audio_note": why not}."""
        try:
            from local_voice.tts import make_speaker
        except ImportError:
            return {"audio": None, "audio_note": "no speech output: the server lacks the voice extra"}

        with self._lock:
            if self._speaker is None:
                self._speaker = make_speaker()
            try:
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "answer.wav"
                    off_the_loop(self._speaker.save, text, path)
                    data = path.read_bytes()
            except Exception as error:  # noqa: BLE001 - no speech backend: the answer is shown as text
                return {"audio": None, "audio_note": f"no speech output on the server ({type(error).__name__})"}
        return {"audio": base64.b64encode(data).decode("ascii"), "audio_note": None}
