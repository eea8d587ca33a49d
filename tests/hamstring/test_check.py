"""`hamstring check`: the shipped package passes with no error, and one defect planted per rule, in a copy of the
package or in the skill's responses (the real skill, its answer then spoiled the way a bug would), makes that rule
fire. The skill runs for real throughout; nothing is mocked."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hamstring.check import RULES, run_checks
from intents.text import number_words
from skill.invoke import invoke
from tests.kit.project import ROOT, run_cli

PACKAGE = ROOT / "speech_assets"
MODEL_FILES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
# The warnings the shipped package has until a deployer fills in their own URLs.
PLACEHOLDER_RULES = {"privacy-urls", "endpoint-url"}


def copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "speech_assets"
    shutil.copytree(PACKAGE, target)
    return target


class Files:
    """The copied package's JSON files, edited and written back."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def manifest(self, change: Callable[[dict], None]) -> None:
        self._edit(self.root / "skill.json", lambda data: change(data["manifest"]))

    def models(self, change: Callable[[dict], None]) -> None:
        """The same change in every locale's model (our locales share one model)."""
        for locale in MODEL_FILES:
            self._edit(self.root / "interactionModels" / "custom" / f"{locale}.json",
                       lambda data: change(data["interactionModel"]["languageModel"]))

    @staticmethod
    def _edit(path: Path, change: Callable[[dict], None]) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def intent(model: dict, name: str) -> dict:
    return next(i for i in model["intents"] if i["name"] == name)


def slot_type(model: dict, name: str) -> dict:
    return next(t for t in model["types"] if t["name"] == name)


# -- defects in the package ------------------------------------------------------------------------------------------
def not_json(files: Files) -> None:
    (files.root / "interactionModels" / "custom" / "en-US.json").write_text("{", encoding="utf-8")


def extra_locale(files: Files) -> None:
    files.manifest(lambda m: m["publishingInformation"]["locales"].__setitem__(
        "de-DE", copy.deepcopy(m["publishingInformation"]["locales"]["en-US"])))


def wrong_handler(files: Files) -> None:
    resources = json.loads((ROOT / "ask-resources.json").read_text())
    resources["profiles"]["default"]["skillInfrastructure"]["userConfig"]["handler"] = "skill.lambda_fn.handler"
    (files.root.parent / "ask-resources.json").write_text(json.dumps(resources))


def no_help_intent(files: Files) -> None:
    files.models(lambda m: m["intents"].remove(intent(m, "AMAZON.HelpIntent")))


def unanswered_intent(files: Files) -> None:
    """An intent in the model that no handler of the skill answers."""
    samples = [f"what is the weather like on day {n}" for n in number_words(1, 20)]
    files.models(lambda m: m["intents"].append({"name": "WeatherIntent", "slots": [], "samples": samples}))


def few_samples(files: Files) -> None:
    files.models(lambda m: intent(m, "MoreIntent").__setitem__("samples", intent(m, "MoreIntent")["samples"][:3]))


def shared_sample(files: Files) -> None:
    files.models(lambda m: intent(m, "CausesIntent")["samples"].append(intent(m, "TreatmentIntent")["samples"][0]))


def slot_filled_sample(files: Files) -> None:
    """A literal sample of one intent that another intent's template says once its slot is filled in."""
    def change(m: dict) -> None:
        template = next(s for s in intent(m, "RemedyIntent")["samples"] if s.startswith("does {remedy} "))
        phrase = slot_type(m, "HamstringRemedy")["values"][0]["name"]["value"]
        intent(m, "OverviewIntent")["samples"].append(template.replace("{remedy}", phrase))
    files.models(change)


def ambiguous_slot(files: Files) -> None:
    """One template with two slot types at one place, both holding "ice"."""
    def change(m: dict) -> None:
        remedy = intent(m, "RemedyIntent")
        template = next(s for s in remedy["samples"] if s.startswith("does {remedy} "))
        remedy["slots"].append({"name": "factor", "type": "HamstringFactor"})
        remedy["samples"].append(template.replace("{remedy}", "{factor}"))
        slot_type(m, "HamstringFactor")["values"][0]["name"]["synonyms"].append("ice")
    files.models(change)


def phrase_of_two_values(files: Files) -> None:
    def change(m: dict) -> None:
        values = slot_type(m, "HamstringRemedy")["values"]
        values[1]["name"]["synonyms"].append(values[0]["name"]["value"])
    files.models(change)


def launch_word_invocation(files: Files) -> None:
    files.models(lambda m: m.__setitem__("invocationName", "open hamstring helper"))


def example_not_a_sample(files: Files) -> None:
    files.manifest(lambda m: m["publishingInformation"]["locales"]["en-GB"]["examplePhrases"].__setitem__(
        1, "Alexa, ask hamstring helper to sing me a song"))


def no_health_wording(files: Files) -> None:
    def change(m: dict) -> None:
        entry = m["publishingInformation"]["locales"]["en-CA"]
        entry["description"] = entry["description"].replace("not a substitute for professional medical advice",
                                                            "for information")
    files.manifest(change)


def no_privacy_url(files: Files) -> None:
    files.manifest(lambda m: m["privacyAndCompliance"]["locales"]["en-US"].pop("privacyPolicyUrl"))


def http_endpoint(files: Files) -> None:
    files.manifest(lambda m: m["apis"]["custom"]["endpoint"].__setitem__("uri", "http://skill.hamstring.test/"))


def apl_undeclared(files: Files) -> None:
    files.manifest(lambda m: m["apis"]["custom"].__setitem__("interfaces", []))


def no_round_viewport(files: Files) -> None:
    def change(m: dict) -> None:
        interface = m["apis"]["custom"]["interfaces"][0]
        interface["supportedViewports"] = [v for v in interface["supportedViewports"] if v["shape"] != "ROUND"]
    files.manifest(change)


PACKAGE_DEFECTS = [
    ("package-files", not_json),
    ("locales", extra_locale),
    ("lambda-handler", wrong_handler),
    ("builtin-intents", no_help_intent),
    ("intents-answered", unanswered_intent),
    ("sample-count", few_samples),
    ("sample-conflict", shared_sample),
    ("sample-conflict", slot_filled_sample),
    ("slot-overlap", ambiguous_slot),
    ("slot-overlap", phrase_of_two_values),
    ("invocation-name", launch_word_invocation),
    ("example-phrases", example_not_a_sample),
    ("health-disclaimer", no_health_wording),
    ("privacy-urls", no_privacy_url),
    ("endpoint-url", http_endpoint),
    ("apl-interface", apl_undeclared),
    ("apl-interface", no_round_viewport),
]


# -- defects in the skill's answers ----------------------------------------------------------------------------------
Spoil = Callable[[dict[str, Any], dict[str, Any]], None]


def spoiled(spoil: Spoil) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The real skill, whose response to each request `spoil` then changes as a bug in it would."""
    def skill(envelope: dict[str, Any]) -> dict[str, Any]:
        response = invoke(envelope)
        spoil(envelope, response)
        return response
    return skill


def intent_of(envelope: dict) -> str | None:
    return (envelope["request"].get("intent") or {}).get("name")


def say(response: dict, ssml: str) -> None:
    response["response"]["outputSpeech"] = {"type": "SSML", "ssml": f"<speak>{ssml}</speak>"}


def when(name: str, change: Callable[[dict], None], new_session: bool | None = None) -> Spoil:
    def spoil(envelope: dict, response: dict) -> None:
        kind = intent_of(envelope) or envelope["request"]["type"]
        if kind == name and (new_session is None or envelope["session"]["new"] is new_session):
            change(response)
    return spoil


def open_without_reprompt(_envelope: dict, response: dict) -> None:
    response["response"].pop("reprompt", None)


def stop_keeps_the_session(envelope: dict, response: dict) -> None:
    if intent_of(envelope) == "AMAZON.StopIntent":
        response["response"]["shouldEndSession"] = False


def unclosed_break(_envelope: dict, response: dict) -> None:
    speech = response["response"].get("outputSpeech") or {}
    if "<break" in speech.get("ssml", ""):
        speech["ssml"] = speech["ssml"].replace('<break time="300ms"/>', '<break time="300ms">')


def huge_card(_envelope: dict, response: dict) -> None:
    if response["response"].get("card"):
        response["response"]["card"]["content"] = "step " * 6000


def apl_to_speakers(envelope: dict, response: dict) -> None:
    if not envelope["context"]["System"]["device"]["supportedInterfaces"] and response.get("response"):
        response["response"]["directives"] = [{"type": "Alexa.Presentation.APL.RenderDocument",
                                               "token": "hamstring.answer", "document": {}}]


SKILL_DEFECTS = [
    ("builtin-intents", when("AMAZON.NavigateHomeIntent", lambda r: say(r, "Sorry, something went wrong on my side."))),
    ("launch-prompt", when("LaunchRequest", lambda r: say(r, "Welcome to Hamstring Cramp Helper."))),
    ("help-prompt", when("AMAZON.HelpIntent", lambda r: say(r, "I can tell you about hamstring cramps."))),
    ("reprompts", open_without_reprompt),
    ("stop-cancel-no", stop_keeps_the_session),
    ("stop-cancel-no", when("AMAZON.NoIntent", lambda r: say(r, "Sorry, I can only help with hamstring cramps."))),
    ("example-answers", when("TreatmentIntent", lambda r: say(r, "Welcome to Hamstring Cramp Helper. What would you "
                                                                 "like to know?"), new_session=True)),
    ("response-size", huge_card),
    ("ssml", unclosed_break),
    ("apl-interface", apl_to_speakers),
]


def test_the_shipped_package_passes_with_only_its_placeholder_warnings() -> None:
    report = run_checks(PACKAGE)
    assert report.errors == [], [f.line() for f in report.errors]
    assert {f.rule for f in report.warnings} <= PLACEHOLDER_RULES
    assert report.turns > 400  # the probes and every golden conversation, on a speaker and a screen


def test_a_clean_copy_passes_too(tmp_path: Path) -> None:
    """The baseline of the planted-defect tests: the copy alone (no ask-resources.json beside it) has no error."""
    assert run_checks(copy_package(tmp_path)).errors == []


def test_every_rule_has_a_planted_defect() -> None:
    planted = {rule for rule, _ in PACKAGE_DEFECTS + SKILL_DEFECTS}
    assert planted == set(RULES)


@pytest.mark.parametrize("rule,plant", PACKAGE_DEFECTS, ids=[f"{r}: {p.__name__}" for r, p in PACKAGE_DEFECTS])
def test_a_defect_planted_in_the_package_is_reported(tmp_path: Path, rule: str, plant) -> None:
    root = copy_package(tmp_path)
    plant(Files(root))
    report = run_checks(root)
    fired = [f for f in report.findings if f.rule == rule]
    assert fired, f"{rule} did not fire; found: {[f.line() for f in report.findings]}"
    assert all(f.fix and f.where for f in fired)
    severities = {f.severity for f in fired}
    assert "error" in severities or rule == "slot-overlap", [f.line() for f in fired]


@pytest.mark.parametrize("rule,spoil", SKILL_DEFECTS, ids=[f"{r}: {i}" for i, (r, _) in enumerate(SKILL_DEFECTS)])
def test_a_defect_planted_in_the_skill_is_reported(rule: str, spoil: Spoil) -> None:
    report = run_checks(PACKAGE, skill=spoiled(spoil))
    fired = [f for f in report.errors if f.rule == rule]
    assert fired, f"{rule} did not fire; found: {[f.line() for f in report.findings]}"


def test_a_lambda_handler_that_exists_passes(tmp_path: Path) -> None:
    root = copy_package(tmp_path)
    shutil.copy(ROOT / "ask-resources.json", tmp_path / "ask-resources.json")
    (tmp_path / "skill").mkdir()
    shutil.copy(ROOT / "skill" / "lambda_function.py", tmp_path / "skill" / "lambda_function.py")
    assert [f for f in run_checks(root).findings if f.rule == "lambda-handler"] == []


# -- the command ---------------------------------------------------------------------------------------------------
def test_the_command_on_the_shipped_package() -> None:
    result = run_cli("check")
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0, result.stdout.decode()
    assert lines[-1].endswith("skill responses held)") and " 0 error(s)" in lines[-1]
    assert all(line.startswith("warning: [") and "(fix: " in line for line in lines[:-1])


def test_the_command_fails_on_an_error_one_line_each_and_in_json(tmp_path: Path) -> None:
    root = copy_package(tmp_path)
    shared_sample(Files(root))
    result = run_cli("check", str(root))
    assert result.returncode == 1
    errors = [line for line in result.stdout.decode().splitlines() if line.startswith("error: ")]
    assert errors and all(line.startswith("error: [sample-conflict] interactionModels/custom/") and "(fix: " in line
                          for line in errors)
    as_json = json.loads(run_cli("check", "--json", str(root)).stdout)
    assert as_json["errors"] == len(errors) and as_json["warnings"] >= 1
    assert {f["rule"] for f in as_json["findings"] if f["severity"] == "error"} == {"sample-conflict"}
    assert set(as_json["findings"][0]) == {"rule", "severity", "where", "message", "fix"}


@pytest.mark.parametrize("args,reason", [
    (["check", "/nonexistent/package"], "is not a folder"),
    (["check", str(ROOT / "intents")], "has no skill.json"),
    (["check", "--conversations", "/nonexistent.yaml"], "no golden conversations file"),
])
def test_no_package_is_one_error_line(args: list[str], reason: str) -> None:
    result = run_cli(*args)
    err = result.stderr.decode()
    assert result.returncode == 1 and err.count("\n") == 1 and reason in err and "Traceback" not in err


def test_a_skill_json_that_is_not_json_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "skill.json").write_text("{nope")
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 1 and "not readable JSON" in result.stderr.decode()


def test_the_rules_are_listed() -> None:
    result = run_cli("check", "--rules")
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0 and [line.split(":")[0] for line in lines] == list(RULES)
