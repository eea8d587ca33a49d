"""Which store to use: SQLite in the user's data directory by default, moved by `--state PATH` or HAMSTRING_STATE,
off with `--no-state`, DynamoDB when HAMSTRING_DYNAMODB_TABLE is set. The CLI owns the flags and passes them in."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

from .dynamodb import DynamoDbSettings, StoreConfigError
from .dynamodb_env import TABLE_ENV
from .failsoft import FailSoftAdapter

log = logging.getLogger(__name__)

STATE_ENV = "HAMSTRING_STATE"  # a path for the SQLite file, or "off"
APP_DIR = "hamstring-cramp-helper"
FILE_NAME = "state.sqlite3"
_OFF_WORDS = frozenset({"off", "none", "no", "false", "0"})
# Settings only boto honours (its own endpoint settings, FIPS or dual-stack endpoints, proxies): with one set, the
# official DynamoDB adapter is used. (AWS_CA_BUNDLE, boto's too, our adapter honours as boto does.)
BOTO_ONLY_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
                 "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")

StoreKind = Literal["sqlite", "dynamodb", "off"]


@dataclass(frozen=True)
class StoreChoice:
    kind: StoreKind
    reason: str  # one line for a start-up banner or --json: where the state lives and why
    path: Path | None = None  # sqlite
    dynamodb: DynamoDbSettings | None = None  # dynamodb


def choose_store(
    state_path: str | os.PathLike[str] | None = None,
    no_state: bool = False,
    environ: Mapping[str, str] | None = None,
    *,
    platform: str = sys.platform,
    home: Path | None = None,
) -> StoreChoice:
    """Precedence: --no-state, --state PATH, HAMSTRING_DYNAMODB_TABLE, HAMSTRING_STATE, then the default.

    On AWS Lambda (AWS_LAMBDA_FUNCTION_NAME set) the default is off: the home directory is read-only there and /tmp
    belongs to one instance, so a SQLite file would resume at random. Lambda persists through DynamoDB."""
    env = os.environ if environ is None else environ
    if no_state:
        return StoreChoice("off", "state: off (--no-state)")
    if state_path is not None and str(state_path).strip():
        path = _file_path(_absolute(Path(state_path), home), "--state")
        return StoreChoice("sqlite", f"state: SQLite at {path} (--state)", path=path)
    dynamodb = dynamodb_choice(env)
    if dynamodb is not None:
        return dynamodb
    raw = env.get(STATE_ENV, "").strip()
    if raw.lower() in _OFF_WORDS:
        return StoreChoice("off", f"state: off ({STATE_ENV}={raw})")
    if raw:
        path = _file_path(_absolute(Path(raw), home), STATE_ENV)
        return StoreChoice("sqlite", f"state: SQLite at {path} ({STATE_ENV})", path=path)
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        return StoreChoice("off", f"state: off (on AWS Lambda without {TABLE_ENV})")
    path = _file_path(default_state_path(env, platform=platform, home=home), "the default state path")
    return StoreChoice("sqlite", f"state: SQLite at {path} (default)", path=path)


def dynamodb_choice(environ: Mapping[str, str]) -> StoreChoice | None:
    """DynamoDB when HAMSTRING_DYNAMODB_TABLE names a table (the Lambda's only store), else None."""
    settings = DynamoDbSettings.from_env(environ)
    if settings is None:
        return None
    return StoreChoice("dynamodb", f"state: {settings.describe()} ({TABLE_ENV})", dynamodb=settings)


def default_state_path(environ: Mapping[str, str] | None = None, *, platform: str = sys.platform,
                       home: Path | None = None) -> Path:
    """The per-user data directory of each platform, as other tools use it (XDG on Linux and the BSDs)."""
    env = os.environ if environ is None else environ
    home = home or Path.home()
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform == "win32":
        base = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData" / "Local"
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # The XDG spec: a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / APP_DIR / FILE_NAME


def open_store(choice: StoreChoice) -> AbstractPersistenceAdapter | None:
    """The adapter for `choice`, wrapped in FailSoftAdapter; None when state is off.

    Nothing here touches the disk or the network, except DynamoDB table creation when asked for: a failure of that
    is one warning and the adapter is returned anyway (the table may be created later). A configuration that cannot
    work (no AWS region, a bad number) raises StoreConfigError, for the caller to report at start-up."""
    if choice.kind == "off":
        return None
    if choice.kind == "sqlite":
        assert choice.path is not None
        from .sqlite import SqliteAdapter  # here, not at the top: a Lambda with DynamoDB never imports sqlite3

        return FailSoftAdapter(SqliteAdapter(choice.path), f"SQLite {choice.path}")
    assert choice.dynamodb is not None
    settings = choice.dynamodb
    try:
        inner = dynamodb_adapter(settings)
    except PersistenceException as error:
        if not settings.create_table:
            raise
        log.warning("state store %s: could not create the table (%s); carrying on without creating it",
                    settings.describe(), " ".join(str(error).split())[:240])
        inner = dynamodb_adapter(DynamoDbSettings(**{**vars(settings), "create_table": False}))
    return FailSoftAdapter(inner, settings.describe())


def dynamodb_adapter(settings: DynamoDbSettings,
                     environ: Mapping[str, str] | None = None) -> AbstractPersistenceAdapter:
    """Our adapter (dynamodb_store) where it does all the official one would (`uses_own_adapter`), else the official
    one (dynamodb_boto). Raises StoreConfigError when no region is known or the official adapter is needed but not
    installed, and (with create_table) ask-sdk's PersistenceException when the table cannot be created."""
    env = os.environ if environ is None else environ
    if uses_own_adapter(settings, env):
        from .dynamodb_store import DynamoDbStore, create_table

        if settings.create_table:
            create_table(settings, env)
        return DynamoDbStore(settings, env)
    from .dynamodb_boto import official_adapter

    return official_adapter(settings)


def uses_own_adapter(settings: DynamoDbSettings, environ: Mapping[str, str]) -> bool:
    """Where the credentials are in the environment (always, on Lambda), a region is known and nothing asks for what
    only boto does (BOTO_ONLY_ENV). botocore would take those same credentials: its environment provider comes
    first. Elsewhere (profiles, SSO, assumed roles, container and instance roles, credential_process) resolving
    credentials is boto's job; a second home for it here would be a second chance to get it wrong."""
    return (bool(settings.region) and settings.url() is not None and bool(environ.get("AWS_ACCESS_KEY_ID"))
            and bool(environ.get("AWS_SECRET_ACCESS_KEY")) and not any(environ.get(name) for name in BOTO_ONLY_ENV))


def _file_path(path: Path, source: str) -> Path:
    """`path` if SQLite can keep a file there: a regular file, or nothing yet.
    A device or a folder is refused (StoreConfigError): SQLite would open /dev/null, create /dev/null-journal next to
    it (world-writable, as root) and fail on every request."""
    if path.is_dir():
        raise StoreConfigError(f"{source}: {path} is a folder; give the path of a file, e.g. {path / FILE_NAME}")
    if path.exists() and not path.is_file():
        raise StoreConfigError(f"{source}: {path} is not a regular file (a device?); give the path of a file")
    # A path under a file ("a-file/state.sqlite3") is left to fail soft, as any store that cannot work: the
    # answer still comes, with one warning line.
    return path


def _absolute(path: Path, home: Path | None) -> Path:
    """~ and ~/... against `home` when given (tests), else the user's; relative paths against the working directory."""
    text = str(path)
    if home is not None and (text == "~" or text.startswith("~/")):
        path = home / text[2:]
    return path.expanduser().absolute()


__all__ = ["STATE_ENV", "StoreChoice", "StoreConfigError", "choose_store", "default_state_path", "dynamodb_adapter",
           "dynamodb_choice", "open_store", "uses_own_adapter"]
