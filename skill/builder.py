"""The skill object: handlers and interceptors registered once, in order. `build_skill(choice)` is the one skill
that Alexa (Flask or Lambda), the CLI and the offline assistant all call; `choice` says where the user's saved place
persists (skill/store; None: nowhere). The language facts come precompiled (intents/runtime.py), so no template is
parsed on a cold start."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from .handlers import HANDLERS, ErrorHandler
from .persist import LoadPlaceInterceptor, SavePlaceInterceptor
from .turn import TurnInterceptor, state_limits

if TYPE_CHECKING:
    from .store.settings import StoreChoice


def build_skill_builder(store: AbstractPersistenceAdapter | None = None,
                        clock: Callable[[], float] = time.time) -> CustomSkillBuilder:
    """`store`: where the saved place persists (None: nowhere; the skill then works from session attributes only).
    `clock` (unix seconds) decides whether a saved place is fresh; tests move it."""
    sb = CustomSkillBuilder(persistence_adapter=cast(AbstractPersistenceAdapter, store))  # None is ask-sdk's default
    if store is not None:
        sb.add_global_request_interceptor(LoadPlaceInterceptor(state_limits, clock))
    # After the load: the Turn reads the session attributes a resumed place was put into.
    sb.add_global_request_interceptor(TurnInterceptor(has_store=store is not None))
    if store is not None:
        sb.add_global_response_interceptor(SavePlaceInterceptor(state_limits, clock))
    for handler in HANDLERS:
        sb.add_request_handler(handler)
    sb.add_exception_handler(ErrorHandler())
    return sb


def create_skill(store: AbstractPersistenceAdapter | None = None,
                 clock: Callable[[], float] = time.time) -> CustomSkill:
    return build_skill_builder(store, clock).create()


@lru_cache(maxsize=4)
def build_skill(choice: StoreChoice | None = None) -> CustomSkill:
    """The skill with the store `choice` names (open_store: fail-soft, and None when off), made once per choice.
    Raises StoreConfigError for a store the environment describes badly."""
    if choice is None:  # no store: a cold start loads none of the store modules
        return create_skill(None)
    from .store.settings import open_store

    return create_skill(open_store(choice))
