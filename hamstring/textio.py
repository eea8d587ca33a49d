"""Text in and out of the command line: stdin lines as checked UTF-8, arguments the OS could not decode, turns as
text or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, TextIO

from .errors import CliError

if TYPE_CHECKING:
    from skill.conversation import TurnRecord


def print_turn(record: TurnRecord, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(record.speech + "\n")
    out.flush()


def checked_text(value: str, what: str) -> str:
    """Arguments the OS could not decode arrive with surrogate escapes; they are not text we can match or print."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CliError(f"{what} is not valid UTF-8 text") from None
    return value


def lines(stream: BinaryIO, limit: int = 64 * 1024) -> Iterator[str]:
    """Lines of stdin as UTF-8 text; a line that is not, or is absurdly long, is a one-line error."""
    number = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit:
            raise CliError(f"input line {number} is longer than {limit} bytes")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CliError(f"input line {number} is not valid UTF-8 text") from None


def read_bounded(path: str, limit: int, what: str = "") -> bytes:
    """A file's bytes, at most `limit` + 1 of them (a device or a huge file must end), or a one-line CliError."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as error:
        raise CliError(f"cannot read {what or path}: {error.strerror}") from None
