"""What the local front ends (ask, chat, voice, serve) share about the state store: the flags and the skill.

    --state PATH   SQLite file for the saved place (default: the user's data directory; env HAMSTRING_STATE)
    --no-state     keep nothing between sessions
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `hamstring --help` builds the flags from this module: no ask-sdk or store import for that
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
    from ask_sdk_core.skill import CustomSkill

    from skill.store.settings import StoreChoice


def add_state_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--state", metavar="PATH",
                       help="SQLite file that remembers where you were in the steps (default: your data directory, "
                            "or $HAMSTRING_STATE)")
    group.add_argument("--no-state", action="store_true", help="remember nothing between sessions")


def state_choice(args: argparse.Namespace) -> StoreChoice:
    from skill.store.settings import choose_store

    return choose_store(getattr(args, "state", None), bool(getattr(args, "no_state", False)), os.environ)


@dataclass(frozen=True)
class LocalSkill:
    """The skill with the store the flags chose, and that store (for reporting what it holds)."""

    skill: CustomSkill
    store: AbstractPersistenceAdapter | None
    choice: StoreChoice

    @property
    def invoke(self) -> Callable[..., dict[str, Any]]:
        from skill.invoke import invoker

        return invoker(self.skill)


def local_skill(args: argparse.Namespace) -> LocalSkill:
    """Raises ValueError (StoreConfigError) with a one-line reason for a store the environment describes badly."""
    from skill.builder import build_skill

    choice = state_choice(args)
    skill = build_skill(choice if choice.kind != "off" else None)
    return LocalSkill(skill, skill.persistence_adapter, choice)


__all__ = ["LocalSkill", "add_state_arguments", "local_skill", "state_choice"]
