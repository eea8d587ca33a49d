"""Which store the flags and the environment choose, and where the default file lives on each platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.store import FailSoftAdapter, SqliteAdapter, choose_store, default_state_path, open_store

HOME = Path("/home/ann")


@pytest.mark.parametrize(
    "platform, env, expected",
    [
        ("linux", {}, "/home/ann/.local/share/hamstring-cramp-helper/state.sqlite3"),
        ("linux", {"XDG_DATA_HOME": "/data/ann"}, "/data/ann/hamstring-cramp-helper/state.sqlite3"),
        ("linux", {"XDG_DATA_HOME": "relative/dir"}, "/home/ann/.local/share/hamstring-cramp-helper/state.sqlite3"),
        ("darwin", {"XDG_DATA_HOME": "/ignored"},
         "/home/ann/Library/Application Support/hamstring-cramp-helper/state.sqlite3"),
        ("win32", {"LOCALAPPDATA": "C:/Users/ann/AppData/Local"},
         "C:/Users/ann/AppData/Local/hamstring-cramp-helper/state.sqlite3"),
    ],
)
def test_default_path_per_platform(platform: str, env: dict[str, str], expected: str) -> None:
    assert default_state_path(env, platform=platform, home=HOME) == Path(expected)


def test_precedence(tmp_path: Path) -> None:
    table = {"HAMSTRING_DYNAMODB_TABLE": "cramps", "AWS_REGION": "eu-west-1"}
    moved = {"HAMSTRING_STATE": str(tmp_path / "env.sqlite3")}

    def choose(state_path=None, no_state=False, **env: str):
        return choose_store(state_path, no_state, env, platform="linux", home=HOME)

    assert choose().kind == "sqlite" and choose().path == default_state_path({}, platform="linux", home=HOME)
    assert choose(**moved).path == tmp_path / "env.sqlite3" and "HAMSTRING_STATE" in choose(**moved).reason
    assert choose(str(tmp_path / "flag.sqlite3"), **moved).path == tmp_path / "flag.sqlite3"  # --state wins
    assert choose(**table, **moved).kind == "dynamodb"  # a table is an explicit choice of deployment
    assert choose(str(tmp_path / "f.sqlite3"), **table).kind == "sqlite"  # ... but --state is more explicit
    assert choose(str(tmp_path / "f.sqlite3"), True, **table).kind == "off"  # --no-state beats everything
    assert choose(HAMSTRING_STATE="off").kind == "off"
    assert choose("~/cramp.db").path == HOME / "cramp.db"
    relative = choose("rel/state.db").path
    assert relative.is_absolute() and relative == Path.cwd() / "rel" / "state.db"


def test_lambda_without_a_table_keeps_no_state() -> None:
    lam = {"AWS_LAMBDA_FUNCTION_NAME": "hamstring", "AWS_REGION": "us-east-1"}
    assert choose_store(environ=lam).kind == "off"
    assert choose_store(environ={**lam, "HAMSTRING_DYNAMODB_TABLE": "cramps"}).kind == "dynamodb"
    assert choose_store(environ={**lam, "HAMSTRING_STATE": "/tmp/x.sqlite3"}).kind == "sqlite"


def test_open_store(tmp_path: Path) -> None:
    assert open_store(choose_store(no_state=True)) is None
    store = open_store(choose_store(tmp_path / "s" / "state.sqlite3"))
    assert isinstance(store, FailSoftAdapter) and isinstance(store.inner, SqliteAdapter)
    assert not (tmp_path / "s").exists()  # nothing is created until the first request uses the store
