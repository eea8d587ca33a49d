"""The SDK's serializer (ask_sdk_core's DefaultSerializer) with its two slow steps made fast; the same models.

Deserializing a request envelope cost about half of what the skill does with a request (issue 21, profiled in a
web worker), mostly in two steps that repeat the same work on every request:
- each model class is found by importing its module by name (`__import__`), twenty times per envelope: the
  class for a name is now looked up once per process;
- the timestamp is parsed by dateutil's general parser (~45 us): now by datetime.fromisoformat (under a
  microsecond), which reads every ISO 8601 time (the edge, skill/envelope.py, has already required one); any
  other text still goes to dateutil, which parses or refuses it as before.
The overrides have the SDK's private (name-mangled) method names: that is how the SDK's own methods call them.
pyproject bounds ask-sdk-core below 2, and tests/skill/test_serializer.py compares every test envelope's model
with the SDK's own.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

_SDK = DefaultSerializer()


@lru_cache(maxsize=1024)  # the model classes' names, from ask_sdk_model's own tables: a few hundred
def _model_class(class_name: str) -> Any:
    return _SDK._DefaultSerializer__load_class_from_name(class_name)  # type: ignore[attr-defined]


class Serializer(DefaultSerializer):
    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:  # noqa: N802 (the SDK's name)
        return _model_class(class_name)

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:  # noqa: N802
        if obj_type is datetime and isinstance(payload, str):
            try:
                return datetime.fromisoformat(payload.replace("Z", "+00:00"))
            except ValueError:
                pass  # dateutil's to parse or refuse, as in the SDK
        return _SDK._DefaultSerializer__deserialize_datetime(payload, obj_type)  # type: ignore[attr-defined]
