"""Import layering, read from the code itself (the AST, so imports inside functions count too).

Rules:
- packages depend downwards only: intents <- skill <- skill.web <- local_voice <- hamstring (the command line);
  the Lambda's code (skill outside skill.web) never imports the web package;
- no import cycles among modules;
- product code never imports tests or benchmarks; nothing imports benchmarks but benchmarks;
- test modules share helpers through tests.kit, never by importing each other; the kit imports no test module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

from tests.kit.project import ROOT

TREES = ("intents", "skill", "local_voice", "hamstring", "benchmarks", "tests")
# Lower layers first; a module may import its own layer and the ones before it.
LAYERS = ("intents", "skill", "skill.web", "local_voice", "hamstring")
PRODUCT = ("intents", "skill", "local_voice", "hamstring")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=1)
def modules() -> dict[str, Path]:
    return {module_name(p): p for tree in TREES for p in (ROOT / tree).rglob("*.py") if ".venv" not in p.parts}


def _resolve(importer: str, node: ast.ImportFrom) -> Iterator[str]:
    if node.level:
        package = importer.split(".")
        is_package = modules()[importer].name == "__init__.py"
        base = package if is_package else package[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    for alias in node.names:
        candidate = f"{prefix}.{alias.name}"
        yield candidate if candidate in modules() else prefix


@lru_cache(maxsize=1)
def graph() -> dict[str, set[str]]:
    """Each project module -> the project modules it imports (top-level, inside functions, under TYPE_CHECKING)."""
    edges: dict[str, set[str]] = {}
    for name, path in modules().items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.update(_resolve(name, node))
        edges[name] = {m for m in found if m.split(".")[0] in TREES and m != name}
    return edges


def layer(module: str) -> int | None:
    best = None
    for index, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = index
    return best


def is_test_module(module: str) -> bool:
    return module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")


def violations(edges: dict[str, set[str]] | None = None) -> set[tuple[str, str, str]]:
    found = set()
    for importer, imported in (graph() if edges is None else edges).items():
        for target in imported:
            top = target.split(".")[0]
            if importer.split(".")[0] in PRODUCT:
                if top in ("tests", "benchmarks"):
                    found.add(("product imports tests or benchmarks", importer, target))
                low, high = layer(importer), layer(target)
                if low is not None and high is not None and high > low:
                    found.add(("imports upwards", importer, target))
            if top == "benchmarks" and not importer.startswith("benchmarks"):
                found.add(("imports a benchmark", importer, target))
            if is_test_module(target) and (is_test_module(importer) or importer.startswith("tests.kit")):
                found.add(("imports a test module", importer, target))
    return found


def cycles(edges: dict[str, set[str]] | None = None) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    edges = graph() if edges is None else edges
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_lazy_and_relative_imports() -> None:
    assert "skill.builder" in graph()["skill.handlers"] or "skill.handlers" in graph()["skill.builder"]
    assert "skill.store.settings" in graph()["skill.builder"]  # imported inside build_skill
    assert "skill.web.edge" in graph()["skill.web.alexa"]  # from .edge import ...


def test_no_import_cycles() -> None:
    assert cycles() == []


@pytest.mark.parametrize("rule", ["imports upwards", "product imports tests or benchmarks", "imports a benchmark",
                                  "imports a test module"])
def test_dependencies_point_down(rule: str) -> None:
    broken = sorted(f"{importer} -> {target}" for kind, importer, target in violations() if kind == rule)
    assert broken == [], f"{rule}: {broken}"


def test_the_rules_catch_a_violation() -> None:
    """The checker itself: an upward import and a cycle planted in a copy of the graph are found."""
    planted = {name: set(targets) for name, targets in graph().items()}
    planted["intents.text"].add("skill.content")
    planted["skill.content"].add("intents.text")
    planted["tests.skill.test_content"].add("tests.skill.test_apl")
    assert ("imports upwards", "intents.text", "skill.content") in violations(planted)
    assert ("imports a test module", "tests.skill.test_content", "tests.skill.test_apl") in violations(planted)
    assert any("intents.text" in c and "skill.content" in c for c in cycles(planted))


MAX_FUNCTION_LINES = 80


def test_no_product_function_over_80_lines() -> None:
    long = []
    for name, path in modules().items():
        if name.split(".")[0] not in PRODUCT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []
