"""Tests that need a program or package the set-up installs skip through here, saying which is missing.

In CI (CI=true) such a skip fails the run instead (tests/conftest.py): there the set-up must have installed it, so a
missing tool is a broken set-up, not a reason to test less.
"""

from __future__ import annotations

import importlib
import shutil
from types import ModuleType

import pytest

MISSING_TOOL = "missing tool"
HOW = "scripts/setup.sh installs it"


def reason(tool: str, how: str = HOW) -> str:
    return f"{MISSING_TOOL}: {tool} ({how})"


def require_program(name: str, how: str = HOW) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(reason(name, how), allow_module_level=True)
    return path


def require_module(name: str, how: str = "the dev extra installs it") -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(reason(name, how), allow_module_level=True)


def needs(available: bool, tool: str, how: str = HOW) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not available, reason=reason(tool, how))
