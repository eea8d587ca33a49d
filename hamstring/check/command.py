"""The `hamstring check` command: findings one a line (or one JSON object), exit 1 on an error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import CliError


def cmd_check(args: argparse.Namespace) -> int:
    from . import PackageError, run_checks
    from .rules import RULES

    if args.rules:
        for rule in RULES.values():
            sys.stdout.write(f"{rule.id}: {rule.summary} (fix: {rule.fix})\n")
        return 0
    if args.package:
        package = Path(args.package)
    else:
        from intents.assets import project_root

        package = project_root() / "speech_assets"
    conversations = Path(args.conversations) if args.conversations else None
    if conversations is not None and not conversations.is_file():
        raise CliError(f"no golden conversations file {conversations}")
    try:
        report = run_checks(package, conversations=conversations)
    except PackageError as error:
        raise CliError(str(error)) from None
    errors, warnings = len(report.errors), len(report.warnings)
    if args.json:
        sys.stdout.write(json.dumps({"package": str(package), "errors": errors, "warnings": warnings,
                                     "turns": report.turns, "findings": [f.to_json() for f in report.findings]},
                                    ensure_ascii=False) + "\n")
    else:
        for finding in report.findings:
            sys.stdout.write(finding.line() + "\n")
        sys.stdout.write(f"{package}: {errors} error(s), {warnings} warning(s) from {len(RULES)} rules "
                         f"({report.turns} skill responses held)\n")
    return 1 if errors else 0
