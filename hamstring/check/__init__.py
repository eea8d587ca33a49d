"""`hamstring check [PACKAGE_DIR]`: a certification pre-flight over a skill package and the skill that answers it,
offline. The rules (hamstring/check/rules.py) read the package (static.py) or run the skill against the package's
own model and the golden conversations (behaviour.py); each finding is one line naming the rule and where to fix it.
"""

from __future__ import annotations

import json
from pathlib import Path

from intents.alexa_samples import SampleIndex, build_index

from . import behaviour, static
from .findings import ERROR, WARNING, Finding, Report
from .package import PackageError, load_package
from .rules import RULES

__all__ = ["ERROR", "RULES", "WARNING", "Finding", "PackageError", "Report", "run_checks"]


def run_checks(package_dir: Path, skill: behaviour.Skill | None = None,
               conversations: Path | None = None) -> Report:
    """Every rule over the package at `package_dir`, the skill `skill` (default: the shipped skill, no state
    store) answering its requests. Raises PackageError when there is no package to check."""
    report = Report(RULES)
    package = load_package(package_dir, report)
    indexes = _indexes(package.models)
    static.check_locales(package, report)
    static.check_lambda_handler(package, report)
    static.check_builtins_present(package, report)
    static.check_sample_counts(package, report)
    static.check_collisions(package, indexes, report)
    static.check_invocation_names(package, report)
    examples = static.check_example_phrases(package, indexes, report)
    static.check_health_disclaimer(package, report)
    static.check_privacy_urls(package, report)
    static.check_endpoint(package, report)
    static.check_apl_viewports(package, report)
    if not package.models:
        return report  # no model to build requests from: the locales rule has said so
    if skill is None:
        from skill.invoke import invoke

        skill = invoke
    locale = next(iter(package.models))
    probe = behaviour.Probe(skill, package.models[locale], indexes[locale], locale)
    replies = behaviour.Replies()
    behaviour.check_builtins_answered(probe, replies, report)
    behaviour.check_intents_answered(probe, replies, report)
    behaviour.check_launch(probe, [loc for loc in package.locales if loc in package.models], report)
    behaviour.check_help(probe, report)
    behaviour.check_stop_cancel_no(probe, replies, report)
    behaviour.check_examples(probe, replies, examples, report)
    behaviour.run_conversations(probe, conversations or default_conversations(), report)
    behaviour.check_turns(probe.turns, package, report)
    report.turns = len(probe.turns)
    return report


def _indexes(models: dict[str, dict]) -> dict[str, SampleIndex]:
    """Each locale's filled-in samples; locales with the same model (ours all are) share one index."""
    built: dict[str, SampleIndex] = {}
    found = {}
    for locale, model in models.items():
        key = json.dumps(model, sort_keys=True)
        if key not in built:
            built[key] = build_index(model)
        found[locale] = built[key]
    return found


def default_conversations() -> Path:
    """The golden conversations of this checkout (read as data, never imported)."""
    from intents.assets import project_root

    return project_root() / "tests" / "data" / "conversations.yaml"
