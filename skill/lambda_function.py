"""AWS Lambda entry point: handler `skill.lambda_function.handler`, the same skill object as the web service.

Alexa's Lambda trigger already proves the caller (enable skill id verification on the trigger); ALEXA_SKILL_ID,
when set, is checked here as well, for defence in depth.

The saved place persists in DynamoDB when HAMSTRING_DYNAMODB_TABLE is set (skill/store/dynamodb.py), else nowhere:
an instance's disk is its own, so a SQLite file there would resume at random. The store is built here, at import,
so Lambda's init phase pays for its set-up once per instance and no invocation does (on Lambda, our own
adapter: no boto3; skill/store/dynamodb.py).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ask_sdk_core.skill import CustomSkill

from .builder import build_skill
from .envelope import check_envelope
from .invoke import invoke
from .skill_id import check_skill_id, parse_skill_ids
from .store.dynamodb_env import TABLE_ENV

logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger(__name__)
_SKILL_IDS = parse_skill_ids(os.environ.get("ALEXA_SKILL_ID"))


def _skill_from_environment() -> CustomSkill:
    if not os.environ.get(TABLE_ENV):  # no table: no store, and none of the store's other modules on the cold start
        return build_skill(None)
    from .store.dynamodb import StoreConfigError
    from .store.settings import dynamodb_choice

    try:
        return build_skill(dynamodb_choice(os.environ))
    except StoreConfigError as error:
        # A misconfigured store costs the resume, not the skill: answer from session attributes, and say why once.
        log.error("state store not used: %s", error)
        return build_skill(None)


_SKILL = _skill_from_environment()


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Raises ValueError (Lambda reports it; Alexa treats it as a failed request) for events that are not ours."""
    check_envelope(event)
    if _SKILL_IDS:
        check_skill_id(event, _SKILL_IDS)
    return invoke(event, skill=_SKILL)
