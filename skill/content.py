"""Curated content (`content/hamstring.yaml`) and dialog phrasing (`content/dialog.yaml`), loaded as typed values."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

COMPILED = "compiled.json"  # the content YAML as JSON, written by `hamstring assets build`

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
CAUSES = "causes"


@dataclass(frozen=True)
class Statement:
    """One sentence or two the skill may say, with where it comes from."""

    say: str
    sources: dict[int, tuple[str, ...]]  # article paragraph -> verbatim quotes
    added: str | None = None  # why this was added as safety guidance, when it was
    id: str | None = None
    home: str = ""  # the section that defines it


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    short: tuple[Statement, ...]
    more: tuple[Statement, ...]
    steps: tuple[tuple[Statement, ...], ...] = ()
    notes: tuple[Statement, ...] = ()  # read only by specific answers

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
        """The statements this section defines (a `{ref}` to another section's statement is not repeated here)."""
        own = self.short + self.more + tuple(s for step in self.steps for s in step) + self.notes
        return tuple(s for s in own if s.home == self.id)


@dataclass(frozen=True)
class Answer:
    """A specific answer: statements read in order, the section it belongs to and, in the treatment, its step."""

    id: str
    section: str
    says: tuple[str, ...]
    step: int | None = None
    when_preventing: str | None = None


@dataclass(frozen=True)
class RedFlag:
    id: str
    says: tuple[str, ...]
    urgency: str  # "doctor" or "emergency"

    @property
    def is_emergency(self) -> bool:
        return self.urgency == "emergency"


@dataclass(frozen=True)
class NotCovered:
    says: tuple[str, ...]
    names: dict[str, str]  # `not_covered.<what>` -> how to say it

    def name_of(self, value_id: str | None) -> str:
        what = (value_id or "").partition(".")[2]
        return self.names.get(what, "that")


NOT_COVERED = "not_covered"


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
    answers: dict[str, Answer]
    red_flags: dict[str, RedFlag]
    not_covered: NotCovered
    safety_net: tuple[str, ...] = ()  # statement ids of the one short safety line (see `safety_net:`)

    @property
    def safety_line(self) -> str:
        return self.read(self.safety_net)

    def statements(self) -> tuple[Statement, ...]:
        return tuple(s for section in self.sections.values() for s in section.statements())

    @cached_property
    def by_id(self) -> dict[str, Statement]:
        """Built once per loaded content (every answer reads through it), not on each request."""
        return {s.id: s for s in self.statements() if s.id}

    def read(self, ids: tuple[str, ...], **values: str) -> str:
        """The statements `ids`, in order, as one text; {placeholders} (only in added guidance) are filled."""
        statements = self.by_id
        return " ".join(statements[i].say.format(**values) if values else statements[i].say for i in ids)

    def cause_answers(self) -> tuple[Answer, ...]:
        """The specific answers about a cause, in the content's order."""
        return tuple(a for a in self.answers.values() if a.section == CAUSES)

    def answer_for(self, answer_id: str | None, preventing: bool = False) -> Answer | None:
        answer = self.answers.get(answer_id or "")
        if answer is not None and preventing and answer.when_preventing:
            return self.answers[answer.when_preventing]
        return answer

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


def _statement(raw: dict, section: str) -> Statement:
    return Statement(
        say=raw["say"], sources=_quotes(raw.get("from")), added=raw.get("added"), id=raw.get("id"), home=section
    )


def _statements(raw_list, section: str, defined: dict[str, Statement], pending: list) -> list[Statement | str]:
    """Statements of one section list; a `{ref: id}` stays a string until every section is read."""
    out: list[Statement | str] = []
    for raw in raw_list or ():
        if "ref" in raw:
            out.append(raw["ref"])
            pending.append(raw["ref"])
            continue
        statement = _statement(raw, section)
        if statement.id:
            if statement.id in defined:
                raise ValueError(f"statement id {statement.id!r} is defined twice")
            defined[statement.id] = statement
        out.append(statement)
    return out


@lru_cache(maxsize=1)
def content_dir() -> Path:
    # Beside this module (a plain folder on Lambda and in a wheel); importlib.resources would cost a cold start 4 ms.
    return Path(__file__).resolve().parent / "content"


@lru_cache(maxsize=1)
def _compiled() -> dict | None:
    """The compiled JSON of both content files, parsed once (the content and the dialog each read their part)."""
    compiled = content_dir() / COMPILED
    return dict(json.loads(compiled.read_text(encoding="utf-8"))) if compiled.exists() else None


def _read(name: str, path: Path | None) -> dict:
    """A content file's data. The packaged files come from their compiled JSON (a cold start then parses no YAML
    and imports no PyYAML; `hamstring assets check` keeps it equal to the YAML); an explicit path is read as YAML."""
    if path is None:
        compiled = _compiled()
        if compiled is not None:
            return dict(compiled[name])
        path = content_dir() / name
    import yaml

    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=2)
def load_content(path: Path | None = None) -> Content:
    raw = _read("hamstring.yaml", path)
    path = path or content_dir() / "hamstring.yaml"
    defined: dict[str, Statement] = {}
    pending: list[str] = []
    lists: dict[str, dict[str, list]] = {}
    for section_id, body in raw["sections"].items():
        lists[section_id] = {
            part: _statements(body.get(part), section_id, defined, pending) for part in ("short", "more", "notes")
        }
        lists[section_id]["steps"] = [_statements(step, section_id, defined, pending) for step in body.get("steps", ())]
    missing = sorted(set(pending) - set(defined))
    if missing:
        raise ValueError(f"unknown statement ids in ref: {missing}")

    def resolve(items: list) -> tuple[Statement, ...]:
        return tuple(defined[i] if isinstance(i, str) else i for i in items)

    sections = {
        section_id: Section(
            id=section_id,
            title=body["title"],
            short=resolve(lists[section_id]["short"]),
            more=resolve(lists[section_id]["more"]),
            steps=tuple(resolve(step) for step in lists[section_id]["steps"]),
            notes=resolve(lists[section_id]["notes"]),
        )
        for section_id, body in raw["sections"].items()
    }
    answers = {
        answer_id: Answer(
            id=answer_id,
            section=body["section"],
            says=tuple(body["says"]),
            step=body.get("step"),
            when_preventing=body.get("when_preventing"),
        )
        for answer_id, body in raw["answers"].items()
    }
    red_flags = {
        flag: RedFlag(id=flag, says=tuple(body["says"]), urgency=body["urgency"])
        for flag, body in raw["red_flags"].items()
    }
    not_covered = NotCovered(says=tuple(raw["not_covered"]["says"]), names=dict(raw["not_covered"]["names"]))
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
        answers=answers,
        red_flags=red_flags,
        not_covered=not_covered,
        safety_net=tuple(raw.get("safety_net", {}).get("says", ())),
    )


class Dialog:
    """Phrasing variants; `pick` chooses one with the caller's random source and fills its placeholders."""

    def __init__(self, variants: dict[str, list[str]]) -> None:
        self.variants = variants

    def pick(self, key: str, rng: random.Random, **values: object) -> str:
        return rng.choice(self.variants[key]).format(**values)


@lru_cache(maxsize=2)
def load_dialog(path: Path | None = None) -> Dialog:
    return Dialog(_read("dialog.yaml", path))
