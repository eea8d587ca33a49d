"""The browser simulator's spoken turns (skill/web/simulator's `VoiceSupport`), handed in by `hamstring serve`.

A spoken turn is decided as `hamstring voice` decides it (local_voice.decision): answered, checked ("Did you ask
...?") or not caught, by the same confidence and rules. A check is a turn of the assistant's own, not sent to the
skill: the answer has "turn": null, "local" (its speech and outcome) and "pending", the question being checked.
The voice modules (numpy, pocketsphinx, the synthesizer) are imported on first use: a server without the voice extra
answers spoken turns with a 501 and typed ones as usual. In `serve`'s gevent worker that first use, like every
recognition, runs in gevent's thread pool: imports and model loads take seconds, and on the event loop they would
stall every other request of the worker (/health took 4 s during a first spoken turn).

Every recording passes the speech check `hamstring voice --input` makes (local_voice.vad.has_speech) before the
recognizer hears it: a beep, a tone or a chirp is "nothing recognized", not the grammar's nearest phrase.
"""

from __future__ import annotations

import base64
import importlib
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skill.conversation import Conversation

if TYPE_CHECKING:  # the voice extra; imported where a spoken turn needs it
    from local_voice.decision import Decider, VoiceTurn

from skill.web.simulator.turns import MAX_RECORDING_S, NO_VOICE, BadTurn, Pending, result

# What a spoken turn imports (about a second, numpy and pocketsphinx first), imported once, off the loop.
VOICE_MODULES = ("soundfile", "local_voice.audio", "local_voice.vad", "local_voice.asr", "local_voice.decision")
# The longest answer spoken back, bounded as the page's other input and output is: the skill's longest answers are
# about 500 characters (half a minute of speech), and 1,000 make some 3 MB of WAV in the reply. A forged 8,000-
# character "last speech" (Alexa's limit) made a 21 MB one. Longer speech is cut at a sentence end, and said so.
MAX_SPOKEN_CHARS = 1000


def checking_assistant(talk: Conversation, pending: Pending | None) -> Decider:
    """The voice assistant's decision over this page's session, holding the question being checked, if any."""
    try:
        from local_voice.decision import Decider
    except ImportError:
        raise BadTurn(501, NO_VOICE) from None
    helper = Decider(talk)
    if pending is not None and not helper.hold(*pending):
        raise BadTurn(400, "the pending question is not one the skill understands")
    return helper


def decided(talk: Conversation, helper: Decider, spoken_turn: VoiceTurn) -> dict[str, Any]:
    """A turn the voice assistant decided: the skill's answer, or a turn of its own (a check, "not caught",
    "ask again") with the question it holds, if any."""
    held = helper.held()
    answer = result(talk, spoken_turn.record if spoken_turn.outcome == "answer" else None)
    answer.update(outcome=spoken_turn.outcome, pending=None if held is None else {
        "utterance": held[0], "confidence": round(held[1], 3)})
    answer["local"] = None if answer["turn"] is not None else {
        "speech": spoken_turn.record.speech, "outcome": spoken_turn.outcome, "confirm": spoken_turn.confirm}
    return answer


def in_gevent_worker() -> bool:
    try:
        from gevent.monkey import is_module_patched
    except ImportError:
        return False
    return bool(is_module_patched("threading"))


def off_the_loop(function: Callable[..., Any], *args: Any) -> Any:
    """Run blocking work (imports, model loads, recognition: seconds) in gevent's thread pool when this is the gevent
    worker: the event loop keeps serving other connections and gunicorn's heartbeat, which would otherwise kill the
    worker after its 30 s timeout. Elsewhere (Flask's test client, a plain WSGI server) it is a plain call. Not for
    work that starts processes: gevent watches children from the loop only."""
    if not in_gevent_worker():
        return function(*args)
    from skill.web.worker import in_thread_pool

    return in_thread_pool(lambda: function(*args))


def import_voice_modules() -> None:
    for name in VOICE_MODULES:
        importlib.import_module(name)


def heard_in(engine: Any, pcm: bytes) -> Any:
    """What the recognizer heard in a recording, or nothing when it holds no speech: the same check as `hamstring
    voice --input` (pipeline.Assistant.run_files), before the grammar maps any sound to its nearest phrase."""
    from local_voice.asr import NOTHING, transcribe
    from local_voice.vad import has_speech

    return transcribe(engine, pcm) if has_speech(pcm) else NOTHING


def spoken_text(text: str) -> str:
    """The answer as spoken back: at most MAX_SPOKEN_CHARS, cut at the last sentence end within them."""
    if len(text) <= MAX_SPOKEN_CHARS:
        return text
    cut = text[:MAX_SPOKEN_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut


class SpokenTurns:
    """The offline recognizer and speech synthesizer of this worker process, made on the first spoken turn
    (pocketsphinx loads in about a second; a typed-only session never pays for it). One turn at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Any = None
        self._speaker: Any = None
        self._warming = False
        self._imported = False
        self.engine_name = ""

    def _import(self) -> None:
        """The voice modules, imported off the loop the first time; a 501 without the voice extra."""
        if self._imported:
            return
        try:
            off_the_loop(import_voice_modules)
        except ImportError:
            raise BadTurn(501, NO_VOICE) from None
        self._imported = True

    def warm_up(self) -> None:
        """Load the recognizer in the background when the page opens: the first spoken turn then costs the
        recognition only, not the model's loading too (several seconds). Only in `serve`'s worker: a test client
        or another embedding loads it on the first spoken turn."""
        if self._engine is None and not self._warming and in_gevent_worker():
            self._warming = True
            threading.Thread(target=self._load_engine, name="simulator-voice-warm-up", daemon=True).start()

    def _load_engine(self) -> None:
        try:
            self._import()
        except BadTurn:
            return
        from local_voice.asr import EngineError, choose_engine

        with self._lock:
            if self._engine is None:
                try:
                    self._engine = off_the_loop(choose_engine, "pocketsphinx")
                    self.engine_name = self._engine.name
                except EngineError:
                    pass  # said by the first spoken turn

    def reply_to_check(self, talk: Conversation, pending: Pending, utterance: str) -> tuple[str, dict[str, Any]]:
        """A typed reply to a check of a spoken turn: the speech to play, and the page's answer."""
        self._import()
        helper = checking_assistant(talk, pending)
        typed_turn = helper.respond(utterance)
        return typed_turn.record.speech, decided(talk, helper, typed_turn)

    def hear(self, talk: Conversation, wav: bytes, pending: Pending | None) -> dict[str, Any]:
        """A WAV recording heard and decided by the voice assistant over the page's session."""
        self._import()
        pcm = off_the_loop(self._pcm, wav)
        helper = checking_assistant(talk, pending)
        heard, spoken_turn = self._decide(helper, pcm)
        answer = decided(talk, helper, spoken_turn)
        # The words heard this turn (a "yes" sends the question it confirms: the turn's utterance is that), and
        # the confidence the decision went by.
        answer.update(transcript=" ".join(heard.split()), confidence=round(spoken_turn.confidence, 3),
                      engine=self.engine_name, **self.speak(spoken_turn.record.speech))
        return answer

    def _decide(self, helper: Decider, pcm: bytes) -> tuple[str, VoiceTurn]:
        """The words heard and the assistant's turn. The decision's extra passes (a second opinion, red-flag
        spotting) use the engine too, so all of it is one turn of the lock. They take a fraction of the decoding,
        and run where the skill runs (the event loop, not gevent's thread pool: the skill's state store stays on
        one thread)."""
        self._load_engine()
        if self._engine is None:
            raise BadTurn(501, "the offline speech recognizer cannot start here")
        with self._lock:
            heard = off_the_loop(heard_in, self._engine, pcm)
            helper.engine = self._engine.name
            return heard.text, helper.hear(heard)

    def _pcm(self, wav: bytes) -> bytes:
        """16 kHz mono PCM from a WAV recording, or a one-line refusal."""
        try:
            from local_voice.audio import AudioError, load_wav
        except ImportError:
            raise BadTurn(501, NO_VOICE) from None
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
            # Standard library only: cheap. make_speaker stays on the loop: it runs `aplay -l` and ldconfig, which
            # gevent can watch only from there (cooperatively); the synthesis itself is off the loop.
            from local_voice.tts import make_speaker
        except ImportError:
            return {"audio": None, "audio_note": "no speech output: the server lacks the voice extra"}

        spoken = spoken_text(text)
        with self._lock:
            if self._speaker is None:
                self._speaker = make_speaker()
            try:
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / "answer.wav"
                    off_the_loop(self._speaker.save, spoken, path)
                    data = path.read_bytes()
            except Exception as error:  # noqa: BLE001 - no speech backend: the answer is shown as text
                return {"audio": None, "audio_note": f"no speech output on the server ({type(error).__name__})"}
        note = None if spoken == text else f"only the first {len(spoken)} characters of the answer are spoken"
        return {"audio": base64.b64encode(data).decode("ascii"), "audio_note": note}
