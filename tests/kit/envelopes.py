"""Helpers for the state-store tests: real request envelopes, captured warning lines."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from .project import DATA

_serializer = DefaultSerializer()
_LAUNCH = json.loads((DATA / "envelopes" / "launch.json").read_text(encoding="utf-8"))


def envelope_json(user_id: str | None = "amzn1.ask.account.TESTUSER", request_id: str = "req-1",
                  **system: Any) -> dict[str, Any]:
    body = copy.deepcopy(_LAUNCH)
    body["request"]["requestId"] = request_id
    if user_id is None:
        del body["context"]["System"]["user"]
        del body["session"]["user"]
    else:
        body["context"]["System"]["user"]["userId"] = user_id
        body["session"]["user"]["userId"] = user_id
    body["context"]["System"].update(system)
    return body


def envelope(user_id: str | None = "amzn1.ask.account.TESTUSER", request_id: str = "req-1",
             **system: Any) -> RequestEnvelope:
    """A real launch envelope, parsed by ask-sdk's own deserializer, for `user_id`."""
    return _serializer.deserialize(json.dumps(envelope_json(user_id, request_id, **system)), RequestEnvelope)


class Lines(logging.Handler):
    """Collects formatted log lines of one logger tree."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))

    def warnings(self) -> list[str]:
        return [line for level, line in self.lines if level == logging.WARNING]


def capture(logger_name: str = "skill.store") -> Lines:
    handler = Lines()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler
