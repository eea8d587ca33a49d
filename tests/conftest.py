"""Suite-wide rules: in CI a test skipped for a missing tool fails (the set-up must have installed it)."""

from __future__ import annotations

import os

import pytest

from tests.kit.tools import MISSING_TOOL


def _fail_missing_tool(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (os.environ.get("CI") and report.skipped):
        return
    message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if MISSING_TOOL in message:
        report.outcome = "failed"
        report.longrepr = f"CI must not skip for a missing tool: {message}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    _fail_missing_tool(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # type: ignore[no-untyped-def]
    outcome = yield
    _fail_missing_tool(outcome.get_result())
