"""A store that fails costs the user the resume, nothing else: one warning line, and the answer still comes."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)

_MAX_REASON_CHARS = 240


class FailSoftAdapter(AbstractPersistenceAdapter):
    """Wraps any adapter. Every exception from it (DynamoDB unreachable or throttled, SQLite locked or read-only,
    a missing user id) becomes one WARNING line, and the call returns {} (load) or does nothing (save, delete).

    When the load of a request failed, the save of that same request is skipped: the store is unlikely to have
    recovered within the request, waiting for it a second time would double the delay, and one request then logs
    one line, not two."""

    def __init__(self, inner: AbstractPersistenceAdapter, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or repr(inner)
        self._local = threading.local()  # .failed_request: id of this thread's request whose load failed

    def __repr__(self) -> str:
        return f"FailSoftAdapter({self.name})"

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        self._local.failed_request = None
        try:
            attributes = self.inner.get_attributes(request_envelope)
        except Exception as error:  # noqa: BLE001 - any failure of the store, by design
            self._local.failed_request = _request_id(request_envelope)
            self._warn("load", error)
            return {}
        return attributes if isinstance(attributes, dict) else {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        request_id = _request_id(request_envelope)
        if request_id is not None and getattr(self._local, "failed_request", None) == request_id:
            return
        try:
            self.inner.save_attributes(request_envelope, attributes)
        except Exception as error:  # noqa: BLE001
            self._warn("save", error)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        # Never skipped: "forget me" deserves a try even when the load failed.
        try:
            self.inner.delete_attributes(request_envelope)
        except Exception as error:  # noqa: BLE001
            self._warn("delete", error)

    def _warn(self, action: str, error: Exception) -> None:
        reason = " ".join(f"{type(error).__name__}: {error}".split())  # one line, whatever the message holds
        if len(reason) > _MAX_REASON_CHARS:
            reason = reason[: _MAX_REASON_CHARS - 3] + "..."
        log.warning("state store %s: %s failed, answering without the saved place (%s)", self.name, action, reason)


def _request_id(request_envelope: RequestEnvelope) -> str | None:
    request_id = getattr(getattr(request_envelope, "request", None), "request_id", None)
    return request_id if isinstance(request_id, str) and request_id else None
