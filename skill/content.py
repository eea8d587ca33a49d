"""Curated content (`content/hamstring.yaml`) and dialog phrasing (`content/dialog.yaml`), loaded as typed values."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

SECTION_IDS = (
    "overview",
    "causes",
    "symptoms",
    "treatment",
    "prevention",
    "risk_factors",
    "complications",
    "see_doctor",
)
TREATMENT = "treatment"


@dataclass(frozen=True)
class Statement:
    """One sentence or two the skill may say, with where it comes from."""

    say: str
    sources: dict[int, tuple[str, ...]]  # article paragraph -> verbatim quotes
    added: str | None = None  # why this was added as safety guidance, when it was
    id: str | None = None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    short: tuple[Statement, ...]
    more: tuple[Statement, ...]
    steps: tuple[tuple[Statement, ...], ...] = ()

    @property
    def is_steps(self) -> bool:
        return bool(self.steps)

    def short_text(self) -> str:
        return _join(self.short)

    def more_text(self) -> str:
        return _join(self.more)

    def step_text(self, number: int) -> str:
        """Step `number` (1-based)."""
        return _join(self.steps[number - 1])

    def card_text(self) -> str:
        if self.is_steps:
            return "\n".join(f"{n}. {self.step_text(n)}" for n in range(1, len(self.steps) + 1))
        return "\n\n".join(part for part in (self.short_text(), self.more_text()) if part)

    def statements(self) -> tuple[Statement, ...]:
        return self.short + self.more + tuple(s for step in self.steps for s in step)


@dataclass(frozen=True)
class Contradiction:
    id: str
    article: dict[int, tuple[str, ...]]
    resolution: str
    reason: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Content:
    sections: dict[str, Section]
    disclaimer_spoken: str
    disclaimer_full: str
    contradictions: tuple[Contradiction, ...]
    article_path: Path

    def statements(self) -> tuple[Statement, ...]:
        return tuple(s for section in self.sections.values() for s in section.statements())

    def paragraphs(self) -> list[str]:
        """The article's paragraphs: paragraph N is `paragraphs()[N - 1]`."""
        text = self.article_path.read_text(encoding="utf-8")
        return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _join(statements: tuple[Statement, ...]) -> str:
    return " ".join(s.say for s in statements)


def _quotes(raw: dict | None) -> dict[int, tuple[str, ...]]:
    out: dict[int, tuple[str, ...]] = {}
    for paragraph, quotes in (raw or {}).items():
        out[int(paragraph)] = tuple(quotes) if isinstance(quotes, list) else (quotes,)
    return out


def _statement(raw: dict) -> Statement:
    return Statement(say=raw["say"], sources=_quotes(raw.get("from")), added=raw.get("added"), id=raw.get("id"))


def content_dir() -> Path:
    return Path(str(resources.files("skill") / "content"))


@lru_cache(maxsize=2)
def load_content(path: Path | None = None) -> Content:
    path = path or content_dir() / "hamstring.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = {
        section_id: Section(
            id=section_id,
            title=body["title"],
            short=tuple(_statement(s) for s in body.get("short", ())),
            more=tuple(_statement(s) for s in body.get("more", ())),
            steps=tuple(tuple(_statement(s) for s in step) for step in body.get("steps", ())),
        )
        for section_id, body in raw["sections"].items()
    }
    contradictions = tuple(
        Contradiction(
            id=c["id"],
            article=_quotes(c["article"]),
            resolution=c["resolution"],
            reason=c["reason"],
            statements=tuple(c["statements"]),
        )
        for c in raw["contradictions"]
    )
    return Content(
        sections=sections,
        disclaimer_spoken=raw["disclaimer"]["spoken"],
        disclaimer_full=raw["disclaimer"]["full"],
        contradictions=contradictions,
        article_path=path.parent / raw["source"]["file"],
    )


class Dialog:
    """Phrasing variants; `pick` chooses one with the caller's random source and fills its placeholders."""

    def __init__(self, variants: dict[str, list[str]]) -> None:
        self.variants = variants

    def pick(self, key: str, rng: random.Random, **values: object) -> str:
        return rng.choice(self.variants[key]).format(**values)


@lru_cache(maxsize=2)
def load_dialog(path: Path | None = None) -> Dialog:
    path = path or content_dir() / "dialog.yaml"
    return Dialog(yaml.safe_load(path.read_text(encoding="utf-8")))
