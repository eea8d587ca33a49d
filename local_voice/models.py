"""`hamstring model download`: fetch a Vosk model from the official model list, verified and unpacked atomically.

Nothing here runs unless asked: the assistant never downloads on its own.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

MODEL_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
TIMEOUT_S = 15
CHUNK = 1 << 16
MAX_LIST_BYTES = 4 << 20  # the official list is about 60 KB
_MD5 = re.compile(r"[0-9a-f]{32}")


class DownloadError(Exception):
    """One line: why the model could not be installed."""


def _open(url: str):
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "file"):
        raise DownloadError(f"not a URL: {url!r} (expected http:// or https://)")
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "hamstring-cramp-helper"}),
                                      timeout=TIMEOUT_S)
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{url} answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"cannot reach {url} ({reason}); are you offline?") from None
    except (ValueError, http.client.HTTPException) as error:  # a URL urllib cannot use (bad port, spaces...)
        raise DownloadError(f"cannot use URL {url!r}: {type(error).__name__}") from None


def find_entry(name: str, list_url: str) -> dict:
    with _open(list_url) as response:
        try:
            entries = json.loads(response.read(MAX_LIST_BYTES + 1))
        except (ValueError, RecursionError):
            raise DownloadError(f"{list_url} is not a model list") from None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise DownloadError(f"no model named {name!r} in {list_url}")


def download(name: str, dest: Path, list_url: str = MODEL_LIST_URL,
             progress: Callable[[int, int], None] | None = None) -> Path:
    """Returns the installed folder. Leaves nothing behind on failure; an existing model is kept as it is."""
    target = dest / name
    if target.is_dir():
        return target
    entry = find_entry(name, list_url)
    url, expected_md5, size = entry.get("url"), entry.get("md5"), entry.get("size")
    if not isinstance(url, str) or not url or not isinstance(expected_md5, str) or not _MD5.fullmatch(expected_md5):
        raise DownloadError(f"model list entry for {name} has no usable url or md5")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise DownloadError(f"model list entry for {name} has a size that is not a number of bytes")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=f".{name}.") as work:
        archive = Path(work) / "model.zip"
        digest = hashlib.md5()
        with _open(url) as response, open(archive, "wb") as handle:
            length = response.headers.get("Content-Length") or ""
            total = int(length) if length.isdigit() else (size or 0)
            done = 0
            while chunk := response.read(CHUNK):
                handle.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if digest.hexdigest() != expected_md5:
            raise DownloadError(f"checksum mismatch for {name}: got md5 {digest.hexdigest()}, list says {expected_md5}")
        unpacked = Path(work) / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise DownloadError(f"archive for {name} has an unsafe path: {member}")
                if any(info.flag_bits & 0x1 for info in zipped.infolist()):
                    raise DownloadError(f"archive for {name} is encrypted; a model archive never is")
                zipped.extractall(unpacked)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as error:
            # RuntimeError/NotImplementedError: zipfile's way to say "password needed" or "compression unknown".
            raise DownloadError(f"download of {name} is not a usable zip archive ({type(error).__name__})") from None
        folders = [p for p in unpacked.iterdir() if p.is_dir()]
        source = folders[0] if len(folders) == 1 else unpacked
        os.replace(source, target)  # atomic on one filesystem: the model appears whole or not at all
    return target

