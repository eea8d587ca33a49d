"""The official ask-sdk DynamoDB adapter (boto3), for where the credentials are not in the environment (see
dynamodb.py for when that is). Needs the `dynamodb` extra (ask-sdk-dynamodb-persistence-adapter, boto3); imported
only when such an adapter is built.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from decimal import Decimal
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_model import RequestEnvelope

from .dynamodb import DynamoDbSettings, StoreConfigError
from .dynamodb_env import REGION_ENV, TABLE_ENV
from .keys import hashed_user_id_keygen


def official_adapter(settings: DynamoDbSettings) -> AbstractPersistenceAdapter:
    """The official `DynamoDbAdapter` with the hashed user-id key, wrapped so numbers round-trip as int/float.

    Raises StoreConfigError when no region is known, and (with create_table) ask-sdk's PersistenceException when the
    table cannot be created; `open_store` turns the latter into a warning."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StoreConfigError(f"{TABLE_ENV} is set but boto3 is missing: install the 'dynamodb' extra") from None

    region = settings.region or boto3.session.Session().region_name
    if not region:
        raise StoreConfigError(f"no AWS region for {settings.table}: set {REGION_ENV} or AWS_REGION")
    adapter_class = _import_adapter_class(region)
    config = Config(
        region_name=region,
        connect_timeout=settings.timeout_s,
        read_timeout=settings.timeout_s,
        # "legacy" retries use botocore's DynamoDB-specific backoff (50 ms, doubling); "standard" waits up to 1 s
        # before the first retry, which a voice answer cannot afford. Throttling errors are retried either way.
        retries={"mode": "legacy", "total_max_attempts": settings.max_attempts},
    )
    resource = boto3.resource("dynamodb", endpoint_url=settings.endpoint_url, config=config)
    official = adapter_class(
        table_name=settings.table,
        create_table=settings.create_table,
        partition_keygen=hashed_user_id_keygen,
        dynamodb_resource=resource,
    )
    return PlainNumbers(official, settings.describe())


def _import_adapter_class(region: str) -> type:
    """ask-sdk-dynamodb evaluates `boto3.resource("dynamodb")` as a default argument when its module is imported,
    which raises NoRegionError where no region is configured (a laptop, CI). Give that import a region; the
    resource it builds is never used, since we pass our own."""
    if importlib.util.find_spec("ask_sdk_dynamodb") is None:
        raise StoreConfigError(f"{TABLE_ENV} is set but ask-sdk-dynamodb-persistence-adapter is missing: "
                               "install the 'dynamodb' extra")
    if "ask_sdk_dynamodb.adapter" in sys.modules or os.environ.get("AWS_DEFAULT_REGION"):
        return importlib.import_module("ask_sdk_dynamodb.adapter").DynamoDbAdapter
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return importlib.import_module("ask_sdk_dynamodb.adapter").DynamoDbAdapter
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)


class PlainNumbers(AbstractPersistenceAdapter):
    """boto3's DynamoDB resource returns numbers as Decimal and refuses floats. The skill's state types are exact
    (`type(value) is int`), so a Decimal step would be dropped as ill-typed: convert on the way in and out."""

    def __init__(self, inner: AbstractPersistenceAdapter, description: str) -> None:
        self.inner = inner
        self.description = description

    def __repr__(self) -> str:
        return self.description

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return _from_dynamodb(self.inner.get_attributes(request_envelope))

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        self.inner.save_attributes(request_envelope, _to_dynamodb(attributes))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        self.inner.delete_attributes(request_envelope)


def _from_dynamodb(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_from_dynamodb(item) for item in value]
    return value


def _to_dynamodb(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))  # repr: the shortest exact decimal, not the binary expansion
    if isinstance(value, dict):
        return {key: _to_dynamodb(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_dynamodb(item) for item in value]
    return value
