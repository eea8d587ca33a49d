"""Speech out with pyttsx3 (espeak-ng on Linux, SAPI5 on Windows, NSSpeechSynthesizer on macOS), headless too.

On Linux pyttsx3 needs libespeak-ng: the system package when installed, else the one in the `espeakng-loader`
wheel, preloaded so pyttsx3's own loader finds it. With no backend at all, answers are printed and a warning is
given once.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Protocol


class Speaker(Protocol):
    description: str

    def say(self, text: str) -> None: ...

    def save(self, text: str, path: Path) -> None: ...


def _ensure_espeak() -> None:
    """Make libespeak-ng loadable for pyttsx3 on Linux without a system install."""
    if not sys.platform.startswith("linux") or ctypes.util.find_library("espeak-ng"):
        return
    try:
        import espeakng_loader
    except ImportError:
        return
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    os.environ.setdefault("ESPEAK_DATA_PATH", espeakng_loader.get_data_path())


class Pyttsx3Speaker:
    def __init__(self, voice: str | None = None, rate: int | None = None) -> None:
        _ensure_espeak()
        import pyttsx3

        self._lock = threading.Lock()
        self._engine = pyttsx3.init()
        if rate:
            self._engine.setProperty("rate", rate)
        if voice:
            matches = [v for v in self._engine.getProperty("voices") if voice.lower() in (v.id + " " + v.name).lower()]
            if not matches:
                raise ValueError(f"no speech voice matches {voice!r}")
            self._engine.setProperty("voice", matches[0].id)
        self.description = f"pyttsx3 ({type(self._engine.proxy._driver).__module__.rsplit('.', 1)[-1]})"
        # On Linux pyttsx3's espeak driver plays through `aplay`; without it (or a sound card) it would print a
        # shell error every turn.
        self._player_problem = _linux_player_problem() if sys.platform.startswith("linux") else None
        self._warned = False

    def say(self, text: str) -> None:
        if self._player_problem:
            if not self._warned:
                sys.stderr.write(f"hamstring: warning: cannot play speech: {self._player_problem}; "
                                 "answers are printed only\n")
                self._warned = True
            return
        with self._lock:
            self._engine.say(text)
            self._engine.runAndWait()

    def save(self, text: str, path: Path) -> None:
        path = Path(path)
        path.unlink(missing_ok=True)
        # The espeak driver prints "Audio saved to ..." on stdout, which belongs to our --json lines.
        with self._lock, contextlib.redirect_stdout(io.StringIO()):
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
        _wait_for_file(path)


def _linux_player_problem() -> str | None:
    if shutil.which("aplay") is None:
        return "`aplay` is missing (Debian/Ubuntu: apt-get install alsa-utils)"
    try:
        listing = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "`aplay` does not run"
    if "no soundcards found" in listing.stdout + listing.stderr:
        return "no sound card found"
    return None


def _wait_for_file(path: Path, timeout_s: float = 10.0) -> None:
    """pyttsx3's espeak driver may return from runAndWait before its callback has written the file."""
    deadline = time.monotonic() + timeout_s
    last = -1
    while time.monotonic() < deadline:
        size = path.stat().st_size if path.exists() else -1
        if size > 44 and size == last:
            return
        last = size
        time.sleep(0.02)
    raise RuntimeError(f"speech engine did not write {path}")


class SilentSpeaker:
    """No speech backend: the answer is printed by the caller anyway; warn once."""

    description = "none (answers are printed only)"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self._warned = False

    def say(self, text: str) -> None:
        if not self._warned:
            sys.stderr.write(f"hamstring: warning: no speech output ({self.reason}); answers are printed only\n")
            self._warned = True

    def save(self, text: str, path: Path) -> None:
        raise RuntimeError(f"cannot write speech: {self.reason}")


def make_speaker(voice: str | None = None, rate: int | None = None) -> Speaker:
    try:
        return Pyttsx3Speaker(voice, rate)
    except ValueError:
        raise
    except Exception as error:  # pyttsx3 raises anything from ImportError to RuntimeError per platform
        return SilentSpeaker(str(error).splitlines()[0] if str(error) else type(error).__name__)
