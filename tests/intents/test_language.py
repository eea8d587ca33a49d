"""The language source: templates, the generated Alexa models, their lint, and their staleness check."""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from intents.alexa_model import MIN_CUSTOM_SAMPLES, REQUIRED_BUILTINS, build_model, lint_model
from intents.assets import MODELS_DIR, generated_files
from intents.language import load_language
from intents.matcher import default_matcher
from intents.names import HARM_SLOT
from tests.kit.project import ROOT, load_data, run_cli

LANGUAGE = load_language()
MODEL = build_model(LANGUAGE)
TEMPLATE_CASES = [
    (sentence, case["intent"]) for case in load_data("sentences.yaml")["tests"] for sentence in case["sentences"]
]


@pytest.mark.parametrize("sentence,expected", TEMPLATE_CASES, ids=[c[0] for c in TEMPLATE_CASES])
def test_template_sentence(sentence, expected):
    match = default_matcher().match(sentence)
    assert (match.intent, match.method) == (expected["name"], "template")
    # The template's slots; a pain or injury word rides along as `harm` (tests/skill/test_safety_net.py).
    assert {k: v for k, v in match.slots.items() if k != HARM_SLOT} == expected.get("slots", {})
    assert match.resolved == expected.get("resolved", {})


def test_generated_model_passes_lint():
    assert lint_model(MODEL) == []


def test_model_shape():
    lm = MODEL["interactionModel"]["languageModel"]
    assert lm["invocationName"] == "hamstring helper"
    intents = {i["name"]: i for i in lm["intents"]}
    for builtin in REQUIRED_BUILTINS + ("AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent",
                                        "AMAZON.PreviousIntent", "AMAZON.RepeatIntent", "AMAZON.StartOverIntent"):
        assert builtin in intents
    for name in LANGUAGE.topic_by_intent:
        assert len(set(intents[name]["samples"])) >= MIN_CUSTOM_SAMPLES
    assert intents["GoToStepIntent"]["slots"] == [{"name": "step", "type": "AMAZON.NUMBER"}]
    assert all("{step}" in s for s in intents["GoToStepIntent"]["samples"])
    assert set(LANGUAGE.locales) == {"en-US", "en-GB", "en-CA", "en-AU", "en-IN"}


def _broken(mutate):
    model = copy.deepcopy(MODEL)
    mutate({i["name"]: i for i in model["interactionModel"]["languageModel"]["intents"]}, model)
    return [p.message for p in lint_model(model)]


@pytest.mark.parametrize(
    "mutate,complaint",
    [
        (lambda i, m: i["CausesIntent"]["samples"].append(i["TreatmentIntent"]["samples"][0]), "also a sample of"),
        (lambda i, m: i["CausesIntent"]["samples"].append("why {when} cramps"), "not declared"),
        (lambda i, m: i["GoToStepIntent"].__setitem__("samples", ["go to step"] * 30), "used by no sample"),
        (lambda i, m: i["MoreIntent"].__setitem__("samples", ["more", "go on"]), "distinct samples"),
        (lambda i, m: i["CausesIntent"]["samples"].append("what causes 3 cramps"), "only lowercase letters"),
        (lambda i, m: m["interactionModel"]["languageModel"]["intents"].remove(i["AMAZON.HelpIntent"]),
         "required built-in"),
        (lambda i, m: m["interactionModel"]["languageModel"].__setitem__("invocationName", "helper"), "2+ lowercase"),
        (lambda i, m: m["interactionModel"]["languageModel"]["types"].pop(), "is not declared in types"),
        (lambda i, m: m["interactionModel"]["languageModel"]["types"][0]["values"].append(
            copy.deepcopy(m["interactionModel"]["languageModel"]["types"][0]["values"][0])), "share an id"),
        (lambda i, m: m["interactionModel"]["languageModel"]["types"][0]["values"][0]["name"]["synonyms"].append(
            "Ibuprofen 200mg"), "only lowercase words"),
        (lambda i, m: m["interactionModel"]["languageModel"]["types"][0].__setitem__("values", []), "has no values"),
    ],
    ids=["shared sample", "undeclared slot", "unused slot", "too few samples", "digits", "missing builtin",
         "invocation name", "undeclared slot type", "duplicate value id", "bad synonym", "empty slot type"],
)
def test_lint_catches(mutate, complaint):
    assert any(complaint in message for message in _broken(mutate))


def test_committed_assets_are_current():
    result = run_cli("assets", "check")
    assert result.returncode == 0, result.stderr.decode()


def test_stale_asset_is_reported_in_one_line(tmp_path):
    for relative in generated_files():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    path = tmp_path / MODELS_DIR / "en-GB.json"
    model = json.loads(path.read_text())
    model["interactionModel"]["languageModel"]["intents"][0]["samples"].pop()
    path.write_text(json.dumps(model, indent=2))
    result = run_cli("assets", "check", "--root", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "en-GB.json is stale" in lines[0]
    assert run_cli("assets", "build", "--root", str(tmp_path)).returncode == 0
    assert run_cli("assets", "check", "--root", str(tmp_path)).returncode == 0


def test_template_references_resolve():
    """Every <rule> and {list} a template uses exists (hassil would fail at match time otherwise)."""
    import re

    rules = set(LANGUAGE.raw["expansion_rules"])
    lists = set(LANGUAGE.raw.get("lists", {}))
    values = [v["in"] for body in LANGUAGE.raw["lists"].values() for v in body.get("values", [])]
    texts = [t for spec in LANGUAGE.intents.values() for t in spec.templates] + list(
        LANGUAGE.raw["expansion_rules"].values()
    ) + values
    for text in texts:
        for rule in re.findall(r"<([^>]+)>", text):
            assert rule in rules, f"<{rule}> in {text!r}: add it under expansion_rules"
        for name in re.findall(r"\{([^}]+)\}", text):
            assert name in lists, f"{{{name}}} in {text!r}: add it under lists"
    used = {r for t in texts for r in re.findall(r"<([^>]+)>", t)}
    assert rules <= used, f"unused expansion rules: {sorted(rules - used)}"


@pytest.mark.parametrize("name", sorted(n for n, s in LANGUAGE.intents.items() if s.canonical))
def test_canonical_phrasings_match_their_intent_and_reach_alexa(name):
    samples = {i["name"]: set(i["samples"]) for i in MODEL["interactionModel"]["languageModel"]["intents"]}
    for phrase in LANGUAGE.intents[name].canonical:
        assert default_matcher().match(phrase).intent == name, phrase
        assert phrase in samples[name]


def test_language_machinery_has_one_home():
    """Walking template trees lives in intents/walk.py and text normalization in intents/text.py; the recognizer
    grammar and the Alexa model use them, and nothing reaches into the matcher for them."""
    import ast

    for path in [*sorted((ROOT / "intents").glob("*.py")), ROOT / "local_voice" / "grammar.py"]:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        if path.name != "walk.py":
            assert "isinstance(expression, TextChunk)" not in source, f"{path.name} walks templates by hand"
        if path.name != "text.py":
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert not defined & {"normalize", "stem", "words", "spell_digits"}, f"{path.name} normalizes text itself"
        if path.parent.name == "local_voice":
            imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert "intents.matcher" not in imported, "the recognizer grammar must not import the NLU"


def test_the_skill_never_parses_templates():
    """The Lambda path answers from the compiled runtime language: hassil is never imported on a cold start."""
    code = (
        "import json, sys; from skill.lambda_function import handler; "
        "r = handler(json.load(open('tests/data/envelopes/intent_one_shot_treatment.json'))); "
        "assert 'Step 1' in r['response']['outputSpeech']['ssml']; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hassil', 'flask', 'numpy')))"
    )
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "[]"


def test_runtime_language_is_what_the_source_compiles_to():
    from intents.runtime import compile_runtime, load_runtime

    runtime = load_runtime()
    compiled = compile_runtime(LANGUAGE)
    assert runtime.topic_by_intent == compiled["topic_by_intent"] == LANGUAGE.topic_by_intent
    assert runtime.answer_by_intent == LANGUAGE.answer_by_intent
    assert runtime.resolve("remedy", "Ibuprofen") == "pain_relievers"
    assert runtime.resolve("remedy", "pickled onions") is None
    hit = runtime.red_flags.detect("my leg is really quite swollen")
    assert hit is not None and hit.id == "rf_swelling"


@pytest.mark.parametrize(
    "text,flag",
    [
        ("my leg is really quite swollen", "rf_swelling"),
        ("i can't really walk", "rf_cant_walk"),
        ("my chest hurts and my leg is cramping", "rf_emergency"),
        ("i think i tore it and my leg is swollen", "rf_injury"),  # the more urgent of two
        ("i've had four cramps this week", "rf_frequent"),
        ("i can't breathe properly", "rf_emergency"),
        ("should i ice it for fifteen minutes", None),
        ("can a cramp damage my hamstring", None),
        ("i fell asleep and woke up with a cramp", None),
        ("should i warm up before running", None),
        ("does drinking cold water help", None),
    ],
)
def test_red_flag_detector(text, flag):
    hit = default_matcher().red_flags.detect(text)
    assert (hit.id if hit else None) == flag


def test_slot_types_reach_the_alexa_model():
    types = {t["name"]: t for t in MODEL["interactionModel"]["languageModel"]["types"]}
    assert {"HamstringRemedy", "HamstringAction", "HamstringFactor", "HamstringConcern", "HamstringGroup",
            "HamstringRedFlag"} <= set(types)
    remedy = {v["id"]: v["name"] for v in types["HamstringRemedy"]["values"]}
    assert "ibuprofen" in [remedy["pain_relievers"]["value"], *remedy["pain_relievers"]["synonyms"]]
    stop = next(i for i in MODEL["interactionModel"]["languageModel"]["intents"] if i["name"] == "AMAZON.StopIntent")
    assert "that's all" in stop["samples"], "finishing phrases extend the built-in stop intent"


def test_the_skill_and_the_matcher_see_the_same_red_flags():
    """The compiled cues (the skill's slot scan, Lambda) and the matcher's own detector agree on every dev text."""
    from intents.runtime import load_runtime
    from tests.kit.scoring import load_set

    skill_side, matcher_side = load_runtime().red_flags, default_matcher().red_flags
    texts = [i["text"] for name in ("dev_answers", "dev_redflags", "dev_redflags3") for i in load_set(name)]
    for text in texts:
        a, b = skill_side.detect(text), matcher_side.detect(text)
        assert (a and a.id) == (b and b.id), text


def test_lint_catches_a_sample_that_a_filled_in_slot_of_another_intent_says() -> None:
    """After slot expansion: a literal sample of one intent that another intent's template reaches with a value."""
    model = copy.deepcopy(MODEL)
    lm = model["interactionModel"]["languageModel"]
    intents = {i["name"]: i for i in lm["intents"]}
    template = next(s for s in intents["RemedyIntent"]["samples"] if s.startswith("does {remedy} "))
    remedy = next(t for t in lm["types"] if t["name"] == "HamstringRemedy")["values"][0]["name"]["value"]
    intents["OverviewIntent"]["samples"].append(template.replace("{remedy}", remedy))
    found = [str(p) for p in lint_model(model) if "make the templates disjoint" in p.message]
    assert found and all("RemedyIntent" in p and "OverviewIntent" in p for p in found)


def test_the_generated_model_keeps_intents_disjoint_after_slot_expansion() -> None:
    """The language's templates overlap ("can i {action}" / "can i drink {remedy}"): the model drops the slot
    phrases behind that, and the skill still resolves the words itself, to the same answer."""
    from intents.alexa_samples import build_index
    from intents.runtime import load_runtime

    lm = MODEL["interactionModel"]["languageModel"]
    assert build_index(lm).collisions == []
    action = {p for t in lm["types"] if t["name"] == "HamstringAction" for v in t["values"]
              for p in [v["name"]["value"], *v["name"]["synonyms"]]}
    assert "drink iced water" not in action  # what "can i drink {remedy}" says with "iced water"
    runtime = load_runtime()
    assert runtime.resolve("action", "drink iced water") == runtime.resolve("remedy", "iced water") == "iced_drinks"
