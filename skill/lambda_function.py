"""AWS Lambda entry point: handler `skill.lambda_function.handler`, the same skill object as the web service.

Alexa's Lambda trigger already proves the caller (enable skill id verification on the trigger); ALEXA_SKILL_ID,
when set, is checked here as well, for defence in depth.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .envelope import check_envelope
from .invoke import invoke
from .skill_id import check_skill_id, parse_skill_ids

logging.getLogger().setLevel(logging.INFO)
_SKILL_IDS = parse_skill_ids(os.environ.get("ALEXA_SKILL_ID"))


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Raises ValueError (Lambda reports it; Alexa treats it as a failed request) for events that are not ours."""
    check_envelope(event)
    if _SKILL_IDS:
        check_skill_id(event, _SKILL_IDS)
    return invoke(event)
