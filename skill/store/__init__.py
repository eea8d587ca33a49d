"""Persistent attributes (the user's saved place) through ask-sdk persistence adapters.

    choice = choose_store(state_path, no_state, os.environ)   # from the CLI flags and the environment
    adapter = open_store(choice)                              # fail-soft; None when state is off
    SkillBuilder -> CustomSkillBuilder(persistence_adapter=adapter)

Modules: keys (hashed partition key), sqlite (embedded store), dynamodb (official adapter from the environment;
imports boto3 only when used), failsoft (errors -> one warning), settings (the choice), place (what is stored).
"""

from .dynamodb import DynamoDbSettings, StoreConfigError, dynamodb_adapter
from .failsoft import FailSoftAdapter
from .keys import hash_user_id, hashed_user_id_keygen
from .place import SavedPlace
from .settings import StoreChoice, choose_store, default_state_path, open_store
from .sqlite import SqliteAdapter

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
