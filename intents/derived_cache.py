"""Data derived from the language source, built once per machine and then only read: an on-disk cache keyed by a
hash of everything the build reads (the source, the code that builds, the library that parses it), so a change to
any of them builds again, and nothing else does.

Why a cache and not generated files in git (as en.runtime.json is): the derived data is megabytes that change all
over with any template edit, and a first start after such an edit pays the build once (docs/startup.md measures both).
Where: `.cache/derived/` of a checkout (git-ignored, beside the npm cache), else the user's cache folder;
HAMSTRING_CACHE_DIR overrides both. A file that cannot be read back as what was stored is built again; a place that
cannot be written is said once, and the build is used all the same.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import json
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

CACHE_ENV = "HAMSTRING_CACHE_DIR"
KEEP = 4  # builds of one kind kept side by side (branches, checkouts sharing the user's cache folder)
T = TypeVar("T")
log = logging.getLogger(__name__)
builds: dict[str, int] = {}  # kind -> builds in this process (tests read it: a warm start builds nothing)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    explicit = os.environ.get(CACHE_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    root = project_root()
    if (root / "pyproject.toml").is_file():  # a checkout
        return root / ".cache" / "derived"
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "hamstring-cramp-helper"


def library_version(name: str) -> str:
    """The installed distribution of a library, by its metadata folder's name (importlib.metadata takes ~100 ms to
    say the same; the library itself is not imported)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name} missing"
    folder = Path(spec.origin).resolve().parent.parent
    return ",".join(sorted(path.name for path in folder.glob(f"{name}-*.dist-info"))) or f"{name} at {folder}"


def input_key(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """A hash of the files' names and bytes and of `extra` (format versions, library versions)."""
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.name}:{len(data)}:".encode())
        digest.update(data)
    for text in extra:
        digest.update(f"{len(text)}:{text}".encode())
    return digest.hexdigest()[:32]


def cached(kind: str, key: str, build: Callable[[], dict[str, Any]], parse: Callable[[dict[str, Any]], T]) -> T:
    """`parse` of the stored build for `key`, or of a new `build()` (stored for next time) when there is none or it
    does not parse (a truncated write, an edit by hand)."""
    path = cache_dir() / f"{kind}-{key}.json"
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    data = build()
    value = parse(data)  # what is stored must read back, or it is not stored
    _store(path, kind, data)
    return value


def cached_object(kind: str, key: str, build: Callable[[], T]) -> T:
    """`cached` for Python values that JSON does not hold (the matcher's sets and tuples): pickled, in the same
    place, pruned and replaced the same way. Our own file in the user's own cache, named by its inputs."""
    path = cache_dir() / f"{kind}-{key}.pickle"
    try:
        with path.open("rb") as stored, _no_cyclic_gc():
            return pickle.load(stored)  # noqa: S301
    except FileNotFoundError:
        pass
    except Exception as error:  # noqa: BLE001 - a damaged file is built again, never trusted
        log.warning("the %s build in %s does not load (%s): building it again", kind, path, type(error).__name__)
    value = build()
    builds[kind] = builds.get(kind, 0) + 1
    _write(path, kind, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Unpickling makes hundreds of thousands of objects, none of them garbage; the cycle collector would walk them
    all several times over (a third of the load's time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def cached_folder(kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """A folder of files for `key` (for a library that reads files itself), made by `build(folder)` into a new
    folder when there is none. It appears whole or not at all; where it cannot be kept, the build is used from a
    temporary folder (left for the system to clear)."""
    folder = cache_dir() / f"{kind}-{key}"
    if folder.is_dir():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=folder.parent))
    except OSError as error:
        _cannot_keep(kind, folder.parent, error)
        work = Path(tempfile.mkdtemp(prefix=f"hamstring-{kind}-"))
        build(work)
        return work
    try:
        build(work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        os.rename(work, folder)  # atomic
    except OSError as error:
        if not folder.is_dir():  # not another process's identical build, put there first
            _cannot_keep(kind, folder.parent, error)
            return work
        shutil.rmtree(work, ignore_errors=True)
    _prune(folder.parent, f"{kind}-*", {folder})
    return folder


def forget(kind: str, key: str) -> None:
    """Removes the stored build for `key` (one that did not load), so the next call builds it again."""
    shutil.rmtree(cache_dir() / f"{kind}-{key}", ignore_errors=True)
    with contextlib.suppress(OSError):
        (cache_dir() / f"{kind}-{key}.json").unlink(missing_ok=True)


def _prune(folder: Path, pattern: str, keep: set[Path]) -> None:
    """All but the newest KEEP builds of one kind."""
    builds = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in builds[KEEP:]:
        if old not in keep:
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)


def _cannot_keep(kind: str, where: Path, error: OSError) -> None:
    log.warning("cannot keep the %s build in %s (%s): it is built again at every start", kind, where,
                error.strerror or error)


def _store(path: Path, kind: str, data: dict[str, Any]) -> None:
    _write(path, kind, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _write(path: Path, kind: str, data: bytes) -> None:
    """Atomically (another process may be reading, or building the same), keeping the newest KEEP of the kind."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, path)
        _prune(path.parent, f"{kind}-*{path.suffix}", {path})
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        _cannot_keep(kind, path.parent, error)
