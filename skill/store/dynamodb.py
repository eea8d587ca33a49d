"""DynamoDB for the saved place: its settings, from the environment (for Lambda and a scaled-out service).

Two ask-sdk persistence adapters use them, over one table layout (the official adapter's: key "id", the attributes
under "attributes"), so either reads what the other wrote; settings.open_store picks one (settings.dynamodb_adapter):
- dynamodb_store: our own, DynamoDB's JSON API over http.client, signed by sigv4 (no boto3);
- dynamodb_boto: the official adapter (the `dynamodb` extra, boto3).
This module imports neither, nor hashlib or boto3. The variables it reads are named in dynamodb_env.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .dynamodb_env import ATTEMPTS_ENV, CREATE_TABLE_ENV, ENDPOINT_ENV, REGION_ENV, TABLE_ENV, TIMEOUT_ENV

# Alexa waits 8 seconds for the whole answer; the store is worth far less than that. A short timeout and few
# retries bound what a sick DynamoDB can add to one request (load + save, each up to attempts x timeout).
DEFAULT_TIMEOUT_S = 1.0
DEFAULT_MAX_ATTEMPTS = 3

_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]+"  # us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ...


class StoreConfigError(ValueError):
    """The environment asks for a store it does not fully describe (bad number, no region)."""


@dataclass(frozen=True)
class DynamoDbSettings:
    table: str
    region: str | None = None
    endpoint_url: str | None = None
    create_table: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DynamoDbSettings | None:
        """None when no table is named, i.e. DynamoDB is not asked for."""
        table = environ.get(TABLE_ENV, "").strip()
        if not table:
            return None
        region = next((environ[name].strip() for name in (REGION_ENV, "AWS_REGION", "AWS_DEFAULT_REGION")
                       if environ.get(name, "").strip()), None)
        return cls(
            table=table,
            region=region,
            endpoint_url=environ.get(ENDPOINT_ENV, "").strip() or None,
            create_table=_flag(environ, CREATE_TABLE_ENV),
            timeout_s=_number(environ, TIMEOUT_ENV, float, DEFAULT_TIMEOUT_S, minimum=0.05),
            max_attempts=_number(environ, ATTEMPTS_ENV, int, DEFAULT_MAX_ATTEMPTS, minimum=1),
        )

    def url(self) -> str | None:
        """Where the DynamoDB API answers: the endpoint given, else AWS's in the region; None for what is no AWS
        region name (boto then says what is wrong with it) and for a region of an isolated partition (their domains
        are not public; boto knows them)."""
        if self.endpoint_url:
            return self.endpoint_url
        region = self.region or ""
        if not re.fullmatch(_REGION, region) or "-iso" in region:
            return None
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return f"https://dynamodb.{region}.{suffix}"

    def describe(self) -> str:
        where = self.endpoint_url or f"region {self.region or '(from AWS config)'}"
        return f"DynamoDB table {self.table} at {where}"


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _number(environ: Mapping[str, str], name: str, kind: type, default: Any, minimum: Any) -> Any:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise StoreConfigError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if value < minimum:
        raise StoreConfigError(f"{name}={raw!r} is below {minimum}")
    return value
