"""Speech for the voice tests and benchmarks: espeak-ng and flite speech (cached per text), noise to mix in, and a
fake Vosk model server for the download tests."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from local_voice.audio import load_wav

from .project import ROOT

CACHE = ROOT / ".cache" / "voice-bench"
FRAME = 2048  # samples per frame when finding the loudest part of a clip (128 ms at 16 kHz)
FAMILIES = {
    "espeak": ["espeak-ng", "-v", "en-us", "-s", "160", "-w", "{out}", "{text}"],
    "flite": ["flite", "-voice", "slt", "-t", "{text}", "-o", "{out}"],
}


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def speak_to_wav(text: str, path: Path, voice: str = "en-us", speed: int = 160) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                   capture_output=True)
    return path


def speak_pcm(text: str, tmp: Path, voice: str = "en-us") -> bytes:
    return load_wav(speak_to_wav(text, tmp / f"{abs(hash((text, voice)))}.wav", voice))


def peak_frame_energy(x: np.ndarray) -> float:
    frames = len(x) // FRAME
    if frames == 0:
        return float(np.mean(x**2))
    return float(np.max(np.mean(x[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1)))


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = np.resize(noise, speech.shape)
    scale = np.sqrt(peak_frame_energy(speech) / (peak_frame_energy(noise) * 10 ** (snr_db / 10)))
    mixed = speech + scale * noise
    peak = np.max(np.abs(mixed))
    return mixed / peak * 0.9 if peak > 0.99 else mixed


def pink_noise(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    pink = np.fft.irfft(spectrum, n)
    return (pink / np.max(np.abs(pink)) * 0.5).astype(np.float32)


def babble(pool: list[np.ndarray], n: int, seed: int, talkers: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(n, dtype=np.float32)
    for index in rng.choice(len(pool), size=talkers, replace=False):
        out += np.resize(pool[index], n) * rng.uniform(0.6, 1.0)
    return out / talkers


def synthesize(text: str, family: str) -> np.ndarray:
    """Cached per family and text; padded with the little quiet a microphone's VAD hands over."""
    from local_voice.audio import read_wav

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{family}-{hashlib.sha1(text.encode()).hexdigest()[:16]}.wav"
    if not path.exists():
        partial = path.with_suffix(".part.wav")
        command = [arg.format(out=partial, text=text) for arg in FAMILIES[family]]
        subprocess.run(command, check=True, capture_output=True)
        partial.rename(path)
    pad = np.zeros(int(0.3 * 16000), dtype=np.float32)
    return np.concatenate([pad, read_wav(path).samples(), pad])


# -- a Vosk model list and archive served on loopback, for the download tests ------------------------------------------
def model_zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/am/final.mdl", b"acoustic model")
        archive.writestr(f"{name}/conf/model.conf", b"--sample-frequency=16000")
        archive.writestr(f"{name}/README", b"test model")
    return buffer.getvalue()


@contextmanager
def model_server(name: str, payload: bytes, md5: str) -> Iterator[str]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_port}"
    files["/model.zip"] = payload
    files["/list.json"] = json.dumps([{"name": name, "url": f"{base}/model.zip", "md5": md5,
                                       "size": len(payload), "lang": "en-us"}]).encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{base}/list.json"
    finally:
        server.shutdown()


MODEL_NAME = "vosk-model-small-en-us-test"  # a fake Vosk model the download tests fetch from loopback
