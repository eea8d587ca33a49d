"""An embedded SQLite store for ask-sdk persistent attributes: the default for `hamstring serve`, chat, ask, voice.

Several gunicorn workers (processes, possibly with threads) share one file. WAL lets readers run while one writer
commits; every statement is its own short transaction; a busy timeout makes a writer wait for another instead of
failing at once. Connections are per process and per thread: a SQLite connection must not cross a fork (gunicorn
forks its workers) nor, used as here, a thread.

Each call that may wait for the file runs through `run_blocking`: in place, unless a cooperative server hands it
OS threads (`use_blocking_runner`; the gevent worker does), so that waiting out another process's lock costs one
thread, not the event loop every other request is served by.

A deletion reaches the disk: deleted rows are overwritten with zeros (secure_delete) and the write-ahead log, which
still holds every earlier version of the row's page, is checkpointed into the file and truncated.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

from .keys import hashed_user_id_keygen

DEFAULT_BUSY_TIMEOUT_S = 1.0  # a request waits at most this long for another writer before going on without a save
MAX_ATTRIBUTES_BYTES = 4096  # what we persist is a few small fields; anything bigger is a bug, not data to keep
T = TypeVar("T")
Runner = Callable[[Callable[[], Any]], Any]


def _in_place(call: Callable[[], T]) -> T:
    return call()


_runner: Runner = _in_place


def use_blocking_runner(runner: Runner) -> None:
    """Run every SQLite call that may wait through `runner` (a thread pool's apply) from now on, in this process."""
    global _runner
    _runner = runner


def run_blocking(call: Callable[[], T]) -> T:
    result: T = _runner(call)
    return result

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attributes (
    key TEXT PRIMARY KEY,          -- hashed Alexa user id (keys.py), never the id itself
    attributes TEXT NOT NULL,      -- JSON object
    updated_at INTEGER NOT NULL    -- unix seconds, for purging abandoned rows
) WITHOUT ROWID
"""


class SqliteAdapter(AbstractPersistenceAdapter):
    """ask-sdk `AbstractPersistenceAdapter` over one SQLite file. Errors raise (sqlite3.Error, OSError,
    PersistenceException); wrap it in `FailSoftAdapter` so that a broken store never costs the user an answer."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        partition_keygen: Callable[[RequestEnvelope], str] = hashed_user_id_keygen,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.partition_keygen = partition_keygen
        self._local = threading.local()  # .connection and .pid, per thread

    def __repr__(self) -> str:
        return f"SqliteAdapter({str(self.path)!r})"

    # -- ask-sdk interface ---------------------------------------------------------------------------------------
    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        key = self.partition_keygen(request_envelope)
        row = run_blocking(partial(self._fetch, "SELECT attributes FROM attributes WHERE key = ?", (key,)))
        if row is None:
            return {}
        try:
            value = json.loads(row[0])
        except ValueError:
            return {}  # a damaged row is a lost place, not an error on every later request: the next save fixes it
        return value if isinstance(value, dict) else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        key = self.partition_keygen(request_envelope)
        if not isinstance(attributes, dict):
            raise PersistenceException(f"attributes must be a dict, not {type(attributes).__name__}")
        try:
            text = json.dumps(attributes, separators=(",", ":"), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise PersistenceException(f"attributes are not plain JSON: {error}") from error
        if len(text.encode("utf-8")) > MAX_ATTRIBUTES_BYTES:
            raise PersistenceException(f"attributes are over {MAX_ATTRIBUTES_BYTES} bytes")
        run_blocking(partial(
            self._change,
            "INSERT INTO attributes (key, attributes, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at",
            (key, text, int(time.time())),
        ))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        key = self.partition_keygen(request_envelope)
        run_blocking(partial(self._delete, "DELETE FROM attributes WHERE key = ?", (key,)))

    # -- housekeeping ---------------------------------------------------------------------------------------------
    def purge(self, older_than_s: float, now: float | None = None) -> int:
        """Delete rows not saved for `older_than_s` seconds (users who never came back); returns how many."""
        cutoff = int((time.time() if now is None else now) - older_than_s)
        return run_blocking(partial(self._delete, "DELETE FROM attributes WHERE updated_at < ?", (cutoff,)))

    def close(self) -> None:
        """Close this thread's connection (others close when their thread or process ends)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            connection.close()
        self._local.connection = None

    # -- statements, each on the calling thread's connection --------------------------------------------------------
    def _fetch(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        return self._connection().execute(sql, parameters).fetchone()

    def _change(self, sql: str, parameters: tuple[Any, ...]) -> int:
        return self._connection().execute(sql, parameters).rowcount

    def _delete(self, sql: str, parameters: tuple[Any, ...]) -> int:
        """A deletion, then the log checkpointed into the file and truncated: until then the log still holds the
        deleted rows as they were saved, time after time (secure_delete only zeroes them in the newest page)."""
        connection = self._connection()
        count = connection.execute(sql, parameters).rowcount
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            # Another connection is mid-transaction past the busy timeout: the rows are deleted, their old copies
            # stay in the log until a later checkpoint. Said, so that "forget me" is never silently partial.
            raise PersistenceException("deleted, but another connection kept the write-ahead log from being cleared")
        return count

    # -- connections ------------------------------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        # None, or inherited through a fork: never use (nor close) the parent's connection in a child.
        connection = self._open()
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private(self.path)
        # isolation_level=None: autocommit, so each statement is one short transaction and no lock is held between
        # statements. `timeout` is SQLite's busy timeout: wait for another process's write instead of failing.
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                                     check_same_thread=True)
        try:
            _prepare(connection, self.busy_timeout_s)
        except BaseException:
            connection.close()
            raise
        return connection


def _create_private(path: Path) -> None:
    """Create the file owner-only before SQLite does (it would use the umask, often world-readable); SQLite gives
    its -wal and -shm files the database file's permissions."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass


def _prepare(connection: sqlite3.Connection, busy_timeout_s: float) -> None:
    """WAL mode and the table. Switching to WAL needs a moment of exclusive access and, when several workers open a
    new file at once, can report SQLITE_BUSY without waiting on the busy handler: retry within the busy timeout."""
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
                if mode != "wal":  # e.g. a read-only file keeps its journal mode
                    raise PersistenceException(f"could not switch {connection} to WAL (journal mode {mode})")
            connection.execute(_SCHEMA)
            break
        except sqlite3.OperationalError as error:
            if not ("locked" in str(error) or "busy" in str(error)) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    # WAL with synchronous=NORMAL is safe against a crashed process; a power cut may lose the last saves, which
    # costs a resume position at worst, and it saves an fsync per request.
    connection.execute("PRAGMA synchronous=NORMAL")
    # What is deleted is overwritten, not just unlinked from the tree: "forget me" must not leave it in the file.
    connection.execute("PRAGMA secure_delete=ON")
