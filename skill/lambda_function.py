"""AWS Lambda entry point: handler `skill.lambda_function.handler`, the same skill object as the web service.

Alexa's Lambda trigger already proves the caller (enable skill id verification on the trigger); ALEXA_SKILL_ID,
when set, is checked here as well, for defence in depth.

The saved place persists in DynamoDB when HAMSTRING_DYNAMODB_TABLE is set (skill/store/dynamodb.py), else nowhere:
an instance's disk is its own, so a SQLite file there would resume at random. The store is built here, at import,
so Lambda's init phase pays for boto3 once per instance and no invocation does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .builder import build_skill
from .envelope import check_envelope
from .invoke import invoke
from .skill_id import check_skill_id, parse_skill_ids

if TYPE_CHECKING:
    from .store import StoreChoice

logging.getLogger().setLevel(logging.INFO)
log = logging.getLogger(__name__)
_SKILL_IDS = parse_skill_ids(os.environ.get("ALEXA_SKILL_ID"))
TABLE_ENV = "HAMSTRING_DYNAMODB_TABLE"  # the store's own name for it: skill/store/dynamodb.py


def store_choice(environ: Mapping[str, str]) -> StoreChoice | None:
    if not environ.get(TABLE_ENV):  # no table: no store, and none of the store's modules on the cold start
        return None
    from .store import DynamoDbSettings, StoreChoice

    settings = DynamoDbSettings.from_env(environ)
    if settings is None:
        return None
    return StoreChoice("dynamodb", f"state: {settings.describe()}", dynamodb=settings)


def _skill_from_environment():
    if not os.environ.get(TABLE_ENV):
        return build_skill(None)
    from .store.dynamodb import StoreConfigError

    try:
        return build_skill(store_choice(os.environ))
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
