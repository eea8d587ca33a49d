"""The Alexa endpoint: POST / and GET /health.

Order on every POST, cheapest first, so a forged request costs us no network fetch:
declared body size (413) -> content type (415) -> the body, read whatever its framing, at most 128 KiB (413; 400 for
broken chunking; 408 when it stalls) -> strict JSON and envelope shape (400, `skill.envelope`) -> timestamp and
skill id (400) -> signature and certificate chain (400; the only step that may fetch) -> the skill (200).
Parsing before the signature is safe because the parser is bounded (size, depth, numbers) and touches nothing.
Every refusal is a short JSON reason of our own wording: neither the answer nor the log ever quotes the body.
Stateless: any worker, any instance can answer any turn.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, request

from ..envelope import MAX_BODY_BYTES, EnvelopeError, parse_envelope
from ..skill_id import VerificationFailed, check_skill_id
from .edge import Refused, is_json_content, json_response, pseudonym, read_body, refusal_response
from .verify import RequestVerifier

access_log = logging.getLogger("hamstring.access")

Skill = Callable[[dict, bytes], dict]  # a checked envelope and its raw body in, the response envelope out


def run_unverified(body: bytes, skill: Skill, skill_ids: frozenset[str],
                   fields: dict[str, Any] | None = None) -> dict:
    """What the endpoint does with a body when it verifies no signature: envelope checks, the skill id when ids
    are configured, then the skill. The simulator page's turns take exactly this path. Raises EnvelopeError or
    VerificationFailed (the caller's 400). `fields`: the access log's, filled in from the envelope."""
    envelope = parse_envelope(body)
    if fields is not None:
        describe(envelope, fields)
    if skill_ids:
        check_skill_id(envelope, skill_ids)
    return skill(envelope, body)


def describe(envelope: dict, fields: dict[str, Any]) -> None:
    """The access log's view of a request: ids pseudonymized, nothing the user said."""
    body = envelope.get("request") or {}
    fields.update(
        request_id=body.get("requestId"),
        type=body.get("type"),
        intent=(body.get("intent") or {}).get("name") if isinstance(body.get("intent"), dict) else None,
        user=pseudonym(((envelope.get("session") or {}).get("user") or {}).get("userId")),
    )


@dataclass(frozen=True)
class AlexaEndpoint:
    """verifier=None serves without signature checks (local simulators); skill_ids still filter when given."""

    verifier: RequestVerifier | None
    skill: Skill
    skill_ids: frozenset[str] = frozenset()

    def health(self) -> Response:
        return json_response(200, {"status": "ok", "verify": self.verifier is not None})

    def answer(self) -> Response:
        started = time.perf_counter()
        fields: dict[str, Any] = {}
        try:
            response = json_response(200, self._handle(fields))
        except Refused as refusal:
            fields["error"] = refusal.reason
            response = refusal_response(refusal)
        if access_log.isEnabledFor(logging.INFO):
            fields.update(status=response.status_code, latency_ms=round((time.perf_counter() - started) * 1000, 2))
            access_log.info(json.dumps(fields, separators=(",", ":")))
        return response

    def _handle(self, fields: dict[str, Any]) -> dict:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise Refused(413, f"request body over {MAX_BODY_BYTES} bytes", close=True)
        if not is_json_content(request.headers.get("Content-Type")):
            raise Refused(415, "content type must be application/json", close=True)  # body left unread
        body = read_body(request.environ)
        try:
            if self.verifier is None:
                return run_unverified(body, self.skill, self.skill_ids, fields)
            envelope = parse_envelope(body)
            describe(envelope, fields)
            self.verifier.verify_envelope(envelope)  # cheap (timestamp, skill id): before any network fetch
            self.verifier.verify_signature(request.headers, body)
            return self.skill(envelope, body)
        except (VerificationFailed, EnvelopeError) as error:
            raise Refused(400, str(error)) from None
