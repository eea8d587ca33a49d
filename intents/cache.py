"""A derived value built once and kept on disk, keyed by a hash of everything it is derived from.

    index = cached("matcher-index", [source_text, code_text], build)

The file is `<cache dir>/<name>-<hash>.pickle`: a change to any input is a new key, so a stale value is never read;
older files of the same name are removed when a new one is written. The cache dir is $HAMSTRING_CACHE, else the
user's cache directory (XDG on Linux). A value that cannot be read or written is built again (and a warning logged):
the cache only ever saves time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
CACHE_ENV = "HAMSTRING_CACHE"
APP_DIR = "hamstring-cramp-helper"
log = logging.getLogger(__name__)
builds: dict[str, int] = {}  # name -> how often this process built it (tests read it: a warm start builds nothing)


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / APP_DIR


def key_of(parts: Iterable[str | bytes]) -> str:
    digest = hashlib.sha256(f"python {sys.version_info[:2]}".encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:24]


def cached(name: str, parts: Iterable[str | bytes], build: Callable[[], T]) -> T:
    folder = cache_dir()
    path = folder / f"{name}-{key_of(parts)}.pickle"
    try:
        with path.open("rb") as stored:
            return pickle.load(stored)  # noqa: S301 - our own file in the user's own cache, named by its inputs
    except FileNotFoundError:
        pass
    except Exception as error:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
        log.warning("cache %s unreadable (%s): rebuilding", path, type(error).__name__)
    value = build()
    builds[name] = builds.get(name, 0) + 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}-", delete=False) as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
        for old in folder.glob(f"{name}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("cache %s not written (%s)", path, error.strerror or type(error).__name__)
    return value
