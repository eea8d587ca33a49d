"""The SQLite state store, for real: round trips, several processes writing at once, and a store that cannot be
written (read-only, locked, not a database) degrading to one warning line while the call still returns."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import stat
import tempfile
import time
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import PersistenceException

from skill.store import FailSoftAdapter, SavedPlace, SqliteAdapter, hash_user_id, hashed_user_id_keygen
from tests.kit.envelopes import Lines, capture, envelope

USER = "amzn1.ask.account.AEXAMPLEUSERIDTHATISLONG"


@pytest.fixture
def lines():
    handler = capture()
    yield handler
    logging.getLogger("skill.store").removeHandler(handler)


def test_round_trip_delete_and_separate_users(tmp_path: Path) -> None:
    store = SqliteAdapter(tmp_path / "deep" / "dir" / "state.sqlite3")
    alice, bob = envelope("amzn1.ask.account.ALICE"), envelope("amzn1.ask.account.BOB")
    assert store.get_attributes(alice) == {}
    place = {"position": 3, "topic": "treatment", "saved_at": 1_790_000_000}
    store.save_attributes(alice, place)
    store.save_attributes(bob, {"position": 1, "topic": None, "saved_at": 5})
    assert store.get_attributes(alice) == place
    store.save_attributes(alice, {**place, "position": 4})  # an update replaces, it does not merge or duplicate
    assert store.get_attributes(alice)["position"] == 4
    store.delete_attributes(alice)
    assert store.get_attributes(alice) == {}
    assert store.get_attributes(bob)["position"] == 1
    store.delete_attributes(alice)  # forgetting twice is fine


def test_file_is_private_in_wal_mode_and_holds_no_user_id(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = SqliteAdapter(path)
    store.save_attributes(envelope(USER), {"position": 2, "topic": "treatment", "saved_at": 1})
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        keys = [row[0] for row in raw.execute("SELECT key FROM attributes")]
    assert keys == [hash_user_id(USER)]
    everything = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert USER.encode() not in everything and b"AEXAMPLEUSERID" not in everything


def test_hashed_key() -> None:
    key = hashed_user_id_keygen(envelope(USER))
    assert len(key) == 64 and USER not in key
    assert key == hash_user_id(USER) != hash_user_id(USER + "x")
    with pytest.raises(PersistenceException):
        hashed_user_id_keygen(envelope(None))


def test_refuses_what_is_not_small_plain_json(tmp_path: Path) -> None:
    store = SqliteAdapter(tmp_path / "s.sqlite3")
    for bad in ({"t": object()}, {"x": float("nan")}, {"big": "x" * 10_000}, ["not", "a", "dict"]):
        with pytest.raises(PersistenceException):
            store.save_attributes(envelope(USER), bad)  # type: ignore[arg-type]
    assert store.get_attributes(envelope(USER)) == {}


def test_damaged_row_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteAdapter(path)
    store.save_attributes(envelope(USER), {"position": 1})
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE attributes SET attributes = '{not json'")
    assert store.get_attributes(envelope(USER)) == {}


def test_purge_removes_only_abandoned_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = SqliteAdapter(path)
    store.save_attributes(envelope("amzn1.ask.account.OLD"), {"position": 1})
    store.save_attributes(envelope("amzn1.ask.account.NEW"), {"position": 2})
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE attributes SET updated_at = 1000 WHERE key = ?", (hash_user_id("amzn1.ask.account.OLD"),))
    assert store.purge(older_than_s=3600) == 1
    assert store.get_attributes(envelope("amzn1.ask.account.OLD")) == {}
    assert store.get_attributes(envelope("amzn1.ask.account.NEW")) == {"position": 2}


# -- several processes at once --------------------------------------------------------------------------------------
WORKERS = 4
SAVES_EACH = 60


def _writer(store: SqliteAdapter, worker: int, start: multiprocessing.synchronize.Event, errors) -> None:
    start.wait()
    try:
        for n in range(1, SAVES_EACH + 1):
            # Each worker its own user, plus one user everybody writes: contention on the same row too.
            store.save_attributes(envelope(f"amzn1.ask.account.W{worker}", f"r{worker}-{n}"),
                                  {"position": n, "worker": worker})
            store.save_attributes(envelope("amzn1.ask.account.SHARED", f"s{worker}-{n}"), {"position": n})
            assert store.get_attributes(envelope(f"amzn1.ask.account.W{worker}"))["position"] == n
    except BaseException as error:  # reported to the parent: an assertion in a child would be silent
        errors.put(f"worker {worker}: {type(error).__name__}: {error}")


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    store = SqliteAdapter(tmp_path / "state.sqlite3", busy_timeout_s=10)
    # The parent uses the store before forking, as a gunicorn master with --preload could: children must open
    # their own connections instead of sharing this one.
    store.save_attributes(envelope("amzn1.ask.account.PARENT"), {"position": 8})
    context = multiprocessing.get_context("fork")
    start, errors = context.Event(), context.Queue()
    workers = [context.Process(target=_writer, args=(store, w, start, errors)) for w in range(WORKERS)]
    for process in workers:
        process.start()
    began = time.perf_counter()
    start.set()
    for process in workers:
        process.join(timeout=120)
    elapsed = time.perf_counter() - began
    problems = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert problems == [] and [p.exitcode for p in workers] == [0] * WORKERS
    for worker in range(WORKERS):
        assert store.get_attributes(envelope(f"amzn1.ask.account.W{worker}")) == {"position": SAVES_EACH,
                                                                                   "worker": worker}
    assert store.get_attributes(envelope("amzn1.ask.account.SHARED")) == {"position": SAVES_EACH}
    assert store.get_attributes(envelope("amzn1.ask.account.PARENT")) == {"position": 8}
    with sqlite3.connect(tmp_path / "state.sqlite3") as raw:
        assert raw.execute("SELECT count(*) FROM attributes").fetchone()[0] == WORKERS + 2
    assert elapsed < 60, f"{WORKERS * SAVES_EACH * 3} operations took {elapsed:.1f} s"


def _open_new_file_at_once(path: str, start, errors) -> None:
    start.wait()
    try:
        SqliteAdapter(path, busy_timeout_s=10).save_attributes(envelope(f"amzn1.ask.account.P{os.getpid()}"),
                                                               {"position": 1})
    except BaseException as error:
        errors.put(f"{type(error).__name__}: {error}")


def test_workers_creating_the_file_at_once(tmp_path: Path) -> None:
    """Every gunicorn worker opens a brand-new file on the first requests: the switch to WAL races."""
    context = multiprocessing.get_context("fork")
    start, errors = context.Event(), context.Queue()
    path = str(tmp_path / "new.sqlite3")
    workers = [context.Process(target=_open_new_file_at_once, args=(path, start, errors)) for _ in range(6)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=60)
    assert errors.empty() and [p.exitcode for p in workers] == [0] * 6
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM attributes").fetchone()[0] == 6


# -- failing softly ----------------------------------------------------------------------------------------------------
def test_locked_database_fails_soft_with_one_line(tmp_path: Path, lines: Lines) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteAdapter(path).save_attributes(envelope(USER), {"position": 2})
    store = FailSoftAdapter(SqliteAdapter(path, busy_timeout_s=0.2), "test store")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a long write
    try:
        assert store.get_attributes(envelope(USER, "r1")) == {"position": 2}  # WAL: readers are not blocked
        began = time.perf_counter()
        store.save_attributes(envelope(USER, "r1"), {"position": 3})  # waits the busy timeout, then gives up
        assert time.perf_counter() - began < 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    warnings = lines.warnings()
    assert len(warnings) == 1 and "save failed" in warnings[0] and "locked" in warnings[0]
    assert "\n" not in warnings[0]
    store.save_attributes(envelope(USER, "r2"), {"position": 3})  # the lock is gone: saving works again
    assert store.get_attributes(envelope(USER, "r3")) == {"position": 3}
    assert len(lines.warnings()) == 1


def test_locked_before_first_open(tmp_path: Path, lines: Lines) -> None:
    """A file another program holds locked in rollback-journal mode: not even the switch to WAL can happen."""
    path = tmp_path / "state.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = FailSoftAdapter(SqliteAdapter(path, busy_timeout_s=0.1))
        assert store.get_attributes(envelope(USER, "r1")) == {}
        store.save_attributes(envelope(USER, "r1"), {"position": 1})  # skipped: this request's load failed
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(lines.warnings()) == 1 and "load failed" in lines.warnings()[0]


def _as_reader_who_cannot_write(path: str, conn) -> None:
    """Runs in a child: as root, become `nobody` so file permissions apply (root ignores them)."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    handler = capture()
    store = FailSoftAdapter(SqliteAdapter(path, busy_timeout_s=0.2))
    got = store.get_attributes(envelope(USER, "r1"))
    store.save_attributes(envelope(USER, "r2"), {"position": 5})
    store.delete_attributes(envelope(USER, "r3"))
    conn.send((got, handler.warnings()))


@pytest.mark.parametrize("kind", ["read-only file", "read-only directory"])
def test_read_only_database_fails_soft(kind: str) -> None:
    # Not tmp_path: its parents are private to root, and the reader must be able to reach the file.
    folder = Path(tempfile.mkdtemp(prefix="hamstring-ro-"))
    try:
        path = folder / "state.sqlite3"
        SqliteAdapter(path).save_attributes(envelope(USER), {"position": 2})
        os.chmod(path, 0o444 if kind == "read-only file" else 0o644)
        for side in folder.glob("state.sqlite3-*"):
            os.chmod(side, 0o444 if kind == "read-only file" else 0o644)
        os.chmod(folder, 0o555)
        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        process = context.Process(target=_as_reader_who_cannot_write, args=(str(path), child))
        process.start()
        got, warnings = parent.recv()
        process.join(timeout=30)
        assert process.exitcode == 0
        assert got in ({}, {"position": 2})  # whether SQLite can still read depends on its -shm file; never a crash
        assert 1 <= len(warnings) <= 3 and all("\n" not in line for line in warnings)
        assert all("answering without the saved place" in line for line in warnings)
        os.chmod(folder, 0o755)
        assert SqliteAdapter(path).get_attributes(envelope(USER)) == {"position": 2}  # untouched
    finally:
        os.chmod(folder, 0o755)
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()


def test_unusable_paths_fail_soft(tmp_path: Path, lines: Lines) -> None:
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "garbage.sqlite3").write_bytes(b"this is not a database" * 100)
    for path in (tmp_path / "a-file" / "state.sqlite3", tmp_path / "garbage.sqlite3"):
        store = FailSoftAdapter(SqliteAdapter(path))
        assert store.get_attributes(envelope(USER, f"{path}")) == {}
        store.save_attributes(envelope(USER, f"{path}-2"), {"position": 1})
        store.delete_attributes(envelope(USER, f"{path}-3"))
    assert len(lines.warnings()) == 6


def test_missing_user_id_fails_soft(tmp_path: Path, lines: Lines) -> None:
    store = FailSoftAdapter(SqliteAdapter(tmp_path / "s.sqlite3"))
    assert store.get_attributes(envelope(None, "r1")) == {}
    assert len(lines.warnings()) == 1 and "no user id" in lines.warnings()[0]


def test_saved_place() -> None:
    place = SavedPlace(position=3, topic="treatment", saved_at=1_000)
    assert SavedPlace.from_attributes(place.to_attributes()) == place
    assert place.is_fresh(now=1_000 + 3600, max_age_s=4 * 3600)
    assert not place.is_fresh(now=1_000 + 5 * 3600, max_age_s=4 * 3600)
    assert not place.is_fresh(now=500, max_age_s=4 * 3600)  # saved "in the future": a clock went back
    assert SavedPlace.from_attributes({}) is None
    assert SavedPlace.from_attributes({"saved_at": True}) is None
    assert SavedPlace.from_attributes({"saved_at": 5, "position": True, "topic": 7}) == SavedPlace(None, None, 5)
    assert SavedPlace.from_attributes({"saved_at": 5, "position": 0}) == SavedPlace(None, None, 5)


# -- through ask-sdk, as the skill's interceptors will use it ----------------------------------------------------------
def _counting_skill(adapter):
    """A minimal ask-sdk skill that loads, changes and saves persistent attributes through the AttributesManager."""
    from ask_sdk_core.skill_builder import CustomSkillBuilder

    builder = CustomSkillBuilder(persistence_adapter=adapter)

    @builder.request_handler(can_handle_func=lambda _: True)
    def handle(handler_input):
        attributes = handler_input.attributes_manager.persistent_attributes
        attributes["position"] = attributes.get("position", 0) + 1
        handler_input.attributes_manager.save_persistent_attributes()
        return handler_input.response_builder.speak(f"step {attributes['position']}").response

    return builder.create()


def _speech(skill, request_id: str) -> str:
    from ask_sdk_core.serialize import DefaultSerializer

    body = DefaultSerializer().serialize(skill.invoke(request_envelope=envelope(USER, request_id), context=None))
    return body["response"]["outputSpeech"]["ssml"]


def test_through_ask_sdk_attributes_manager(tmp_path: Path, lines: Lines) -> None:
    from skill.store import choose_store, open_store

    skill = _counting_skill(open_store(choose_store(tmp_path / "state.sqlite3")))
    assert [_speech(skill, f"r{n}") for n in range(3)] == [f"<speak>step {n}</speak>" for n in (1, 2, 3)]
    # A new skill object (a restarted server) continues from the file.
    again = _counting_skill(open_store(choose_store(tmp_path / "state.sqlite3")))
    assert _speech(again, "r4") == "<speak>step 4</speak>"
    # A store that cannot work: the answer still comes, with one warning line.
    (tmp_path / "a-file").write_text("x")
    broken = _counting_skill(open_store(choose_store(tmp_path / "a-file" / "state.sqlite3")))
    assert _speech(broken, "r5") == "<speak>step 1</speak>"
    assert len(lines.warnings()) == 1
