"""Speech for the voice tests, made with espeak-ng (the Debian package, or the espeakng-loader wheel's library)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from local_voice.audio import load_wav


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak_to_wav(text: str, path: Path, voice: str = "en-us", speed: int = 160) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   capture_output=True)
    return path


def speak_pcm(text: str, tmp: Path, voice: str = "en-us") -> bytes:
    return load_wav(speak_to_wav(text, tmp / f"{abs(hash((text, voice)))}.wav", voice))
