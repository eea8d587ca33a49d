"""The saved place in DynamoDB through our own ask-sdk persistence adapter over dynamodb_api (no boto3).

The table is the official adapter's: partition key "id" (the hashed user id, keys.hashed_user_id_keygen), the
attributes as one map under "attributes", read with ConsistentRead; so either adapter reads what the other wrote
(tests/skill/store/test_dynamodb_store.py). Numbers come back as int or float (DynamoDB keeps them as decimal text),
as the official adapter's values do through dynamodb_boto.PlainNumbers.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException
from ask_sdk_model import RequestEnvelope

from .dynamodb import DynamoDbSettings
from .dynamodb_api import DynamoDbApi, DynamoDbError, Endpoint
from .keys import hashed_user_id_keygen

PARTITION_KEY = "id"  # the official adapter's defaults: data written by one is read by the other
ATTRIBUTES = "attributes"
MAX_DEPTH = 32  # DynamoDB nests documents at most 32 levels deep


class DynamoDbStore(AbstractPersistenceAdapter):
    """GetItem, PutItem and DeleteItem of one item per user; every failure is ask-sdk's PersistenceException."""

    def __init__(self, settings: DynamoDbSettings, environ: Mapping[str, str] = os.environ,
                 partition_keygen: Callable[[RequestEnvelope], str] = hashed_user_id_keygen) -> None:
        self.table = settings.table
        self.description = settings.describe()
        self.api = api_for(settings, environ)
        self.partition_keygen = partition_keygen

    def __repr__(self) -> str:
        return self.description

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        with _failure("retrieve attributes from"):
            answer = self.api.call("GetItem", {"TableName": self.table, "Key": self._key(request_envelope),
                                               "ConsistentRead": True})
            item = answer.get("Item")
            if item is None:
                return {}
            if not isinstance(item, dict) or ATTRIBUTES not in item:
                raise DynamoDbError("BadItem", f"the item has no {ATTRIBUTES!r}")
            return from_value(item[ATTRIBUTES])  # type: ignore[no-any-return]

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: dict[str, Any]) -> None:
        with _failure("save attributes to"):
            item = {**self._key(request_envelope), ATTRIBUTES: to_value(attributes)}
            self.api.call("PutItem", {"TableName": self.table, "Item": item})

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        with _failure("delete attributes in"):
            self.api.call("DeleteItem", {"TableName": self.table, "Key": self._key(request_envelope)})

    def _key(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return {PARTITION_KEY: {"S": self.partition_keygen(request_envelope)}}


def create_table(settings: DynamoDbSettings, environ: Mapping[str, str] = os.environ) -> None:
    """The official adapter's table (same key, same provisioned 5/5), when it does not exist yet; does not wait
    for it to become active."""
    with _failure("create", what="the table"):
        try:
            api_for(settings, environ).call("CreateTable", {
                "TableName": settings.table,
                "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
            })
        except DynamoDbError as error:
            if error.code != "ResourceInUseException":  # there already
                raise


def api_for(settings: DynamoDbSettings, environ: Mapping[str, str]) -> DynamoDbApi:
    url = settings.url()
    if not settings.region or url is None:
        raise PersistenceException(f"no DynamoDB endpoint known for region {settings.region!r}")
    return DynamoDbApi(Endpoint(url, settings.region, settings.timeout_s, settings.max_attempts), environ)


@contextmanager
def _failure(action: str, what: str = "DynamoDB table") -> Iterator[None]:
    """Any exception inside becomes PersistenceException, worded as the official adapter words its own."""
    try:
        yield
    except PersistenceException:
        raise
    except Exception as error:  # noqa: BLE001 - every failure of the store is the caller's PersistenceException
        raise PersistenceException(f"Failed to {action} {what}: {error}") from None


# -- attribute values: DynamoDB's typed JSON <-> plain Python --------------------------------------------------------
def to_value(value: Any, depth: int = 0) -> dict[str, Any]:
    """`value` (None, bool, int, float, str, list, tuple, dict with str keys) as a DynamoDB attribute value."""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("DynamoDB stores no NaN or infinity")
        return {"N": str(Decimal(repr(value)))}  # repr: the shortest exact decimal, as PlainNumbers writes it
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (list, tuple)):
        return {"L": [to_value(item, depth + 1) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("map keys must be strings")
        return {"M": {key: to_value(item, depth + 1) for key, item in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def from_value(value: Any, depth: int = 0) -> Any:
    """A DynamoDB attribute value as plain Python: numbers as int when whole, else float; sets as sets."""
    if depth > MAX_DEPTH or not isinstance(value, dict) or len(value) != 1:
        raise DynamoDbError("BadItem", "an attribute value DynamoDB does not send")
    ((kind, data),) = value.items()
    try:
        if kind == "M" and isinstance(data, dict):
            return {str(key): from_value(item, depth + 1) for key, item in data.items()}
        if kind == "L" and isinstance(data, list):
            return [from_value(item, depth + 1) for item in data]
        return _scalar(kind, data)
    except (ArithmeticError, ValueError, TypeError):  # a number or binary that is not one
        raise DynamoDbError("BadItem", f"an unreadable {kind} value") from None


def _scalar(kind: str, data: Any) -> Any:
    if kind == "S" and isinstance(data, str):
        return data
    if kind == "N" and isinstance(data, str):
        return _number(data)
    if kind == "BOOL" and isinstance(data, bool):
        return data
    if kind == "NULL" and data is True:
        return None
    if kind == "B" and isinstance(data, str):
        return base64.b64decode(data, validate=True)
    if kind in ("SS", "NS", "BS") and isinstance(data, list):
        return {_scalar(kind[0], item) for item in data}
    raise TypeError(kind)


def _number(text: str) -> int | float:
    """DynamoDB's numbers: at most 38 digits, magnitudes 1E-130 to 1E+126. Anything else is refused before int()
    could be asked to build a number of a billion digits."""
    number = Decimal(text)
    if not number.is_finite() or len(number.as_tuple().digits) > 38:
        raise ValueError(text)
    if number.is_zero():
        return 0
    if not -130 <= number.adjusted() <= 126:
        raise ValueError(text)
    return int(number) if number == number.to_integral_value() else float(number)
