"""Persistent attributes (the user's saved place) through ask-sdk persistence adapters.

    choice = choose_store(state_path, no_state, os.environ)   # from the CLI flags and the environment
    adapter = open_store(choice)                              # fail-soft; None when state is off
    SkillBuilder -> CustomSkillBuilder(persistence_adapter=adapter)

Modules: keys (hashed partition key), sqlite (embedded store), dynamodb (its settings from the environment, whose
variables dynamodb_env names),
dynamodb_store (our DynamoDB adapter, over dynamodb_api and sigv4), dynamodb_boto (the official one, boto3),
failsoft (errors -> one warning), settings (the choice), place (what is stored).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Each name's module, imported on first use: the Lambda path without a table needs only `dynamodb_env`; with one,
# `dynamodb`, `settings`, `failsoft`, `place` and `dynamodb_store`.
_HOMES = {
    "DynamoDbSettings": "dynamodb", "StoreConfigError": "dynamodb", "dynamodb_adapter": "settings",
    "FailSoftAdapter": "failsoft", "hash_user_id": "keys", "hashed_user_id_keygen": "keys", "SavedPlace": "place",
    "StoreChoice": "settings", "choose_store": "settings", "default_state_path": "settings", "open_store": "settings",
    "SqliteAdapter": "sqlite",
}

if TYPE_CHECKING:
    from .dynamodb import DynamoDbSettings, StoreConfigError
    from .failsoft import FailSoftAdapter
    from .keys import hash_user_id, hashed_user_id_keygen
    from .place import SavedPlace
    from .settings import StoreChoice, choose_store, default_state_path, dynamodb_adapter, open_store
    from .sqlite import SqliteAdapter


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = [
    "DynamoDbSettings",
    "FailSoftAdapter",
    "SavedPlace",
    "SqliteAdapter",
    "StoreChoice",
    "StoreConfigError",
    "choose_store",
    "default_state_path",
    "dynamodb_adapter",
    "hash_user_id",
    "hashed_user_id_keygen",
    "open_store",
]
