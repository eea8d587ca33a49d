"""What a rule reports: one finding, one line, naming the rule, where it was found and where to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    fix: str  # where a finding of this rule is fixed, unless the finding names a more exact place


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # ERROR fails the check (exit 1); WARNING is reported, exit 0
    where: str  # the file and field, or the conversation and turn, it was seen in
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.severity}: [{self.rule}] {self.where}: {self.message} (fix: {self.fix})"

    def to_json(self) -> dict[str, str]:
        return asdict(self)


class Report:
    """Collects findings for the rules that run; `rule(id)` gives a function that adds findings for that rule."""

    def __init__(self, rules: dict[str, Rule]) -> None:
        self.rules = rules
        self.findings: list[Finding] = []
        self.turns = 0  # how many skill responses the per-turn rules held

    def add(self, rule: str, where: str, message: str, *, severity: str = ERROR, fix: str | None = None) -> None:
        self.findings.append(Finding(rule, severity, where, message, fix or self.rules[rule].fix))

    def warn(self, rule: str, where: str, message: str, *, fix: str | None = None) -> None:
        self.add(rule, where, message, severity=WARNING, fix=fix)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]
