"""The ASK CLI skill package: the manifest against the generated models and against what the skill sends (APL
only where declared), and ask-resources.json against the code."""

from __future__ import annotations

import ast
import json

from intents.alexa_model import build_model
from intents.language import load_language
from intents.matcher import Match
from skill.conversation import SCREEN_VIEWPORT, build_request, intent_request
from skill.invoke import invoke
from tests.kit.project import ROOT

MANIFEST = json.loads((ROOT / "speech_assets" / "skill.json").read_text())["manifest"]
LANGUAGE = load_language()
SAMPLES = {s for i in build_model(LANGUAGE)["interactionModel"]["languageModel"]["intents"] for s in i["samples"]}


def test_locales_match_the_models():
    locales = set(MANIFEST["publishingInformation"]["locales"])
    assert locales == set(LANGUAGE.locales)
    for locale in locales:
        assert (ROOT / "speech_assets" / "interactionModels" / "custom" / f"{locale}.json").exists()
    assert set(MANIFEST["privacyAndCompliance"]["locales"]) == locales


def test_example_phrases_are_real_samples():
    invocation = LANGUAGE.invocation_name
    for locale in MANIFEST["publishingInformation"]["locales"].values():
        phrases = locale["examplePhrases"]
        assert 1 <= len(phrases) <= 3
        assert phrases[0] == f"Alexa, open {invocation}"
        for phrase in phrases[1:]:
            prefix = f"Alexa, ask {invocation} "
            assert phrase.startswith(prefix) and phrase[len(prefix):] in SAMPLES, phrase


def test_publishing_information_carries_the_disclaimer():
    for locale in MANIFEST["publishingInformation"]["locales"].values():
        assert "not a substitute for professional medical advice" in locale["description"]
        assert "not medical advice" in locale["summary"].lower()
        assert "emergency" in locale["description"]
        assert locale["name"] and len(locale["summary"]) <= 160 and locale["keywords"]
    info = MANIFEST["publishingInformation"]
    assert info["category"] == "HEALTH_AND_FITNESS"
    assert set(info["distributionCountries"]) == {"US", "GB", "CA", "AU", "IN"}


def test_privacy_and_compliance():
    privacy = MANIFEST["privacyAndCompliance"]
    for field in ("allowsPurchases", "usesPersonalInfo", "isChildDirected", "isExportCompliant", "containsAds"):
        assert isinstance(privacy[field], bool)
    assert privacy["usesPersonalInfo"] is False and privacy["isChildDirected"] is False


def test_ask_resources_point_at_the_package():
    resources = json.loads((ROOT / "ask-resources.json").read_text())
    profile = resources["profiles"]["default"]
    assert profile["skillMetadata"]["src"] == "./speech_assets"
    assert profile["skillInfrastructure"]["userConfig"]["handler"] == "skill.lambda_function.handler"
    assert MANIFEST["apis"]["custom"]["endpoint"]["uri"].startswith("https://")


def test_the_lambda_handler_path_exists():
    """`skill.lambda_function.handler`: the module file Lambda imports, and a function of that name in it."""
    resources = json.loads((ROOT / "ask-resources.json").read_text())
    handler = resources["profiles"]["default"]["skillInfrastructure"]["userConfig"]["handler"]
    module, _, function = handler.rpartition(".")
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    assert path.is_file(), path
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_model_has_a_manifest_locale_and_back():
    models = {p.stem for p in (ROOT / "speech_assets" / "interactionModels" / "custom").glob("*.json")}
    assert models == set(MANIFEST["publishingInformation"]["locales"])
    assert models == set(MANIFEST["privacyAndCompliance"]["locales"])


def _apl_interface() -> dict | None:
    found = [i for i in MANIFEST["apis"]["custom"]["interfaces"] if i.get("type") == "ALEXA_PRESENTATION_APL"]
    return found[0] if found else None


def _screen(width: int, height: int, shape: str, mode: str) -> dict:
    return {**SCREEN_VIEWPORT, "pixelWidth": width, "pixelHeight": height, "currentPixelWidth": width,
            "currentPixelHeight": height, "shape": shape, "mode": mode}


def _directives(screen: bool, viewport: dict | None = None) -> list[dict]:
    """The directives of a treatment step's answer, for a speaker or a screen device with `viewport`."""
    envelope = build_request(intent_request(Match("TreatmentIntent")), session_id="amzn1.echo-api.session.manifest",
                             new=True, attributes={}, screen=screen)
    if viewport is not None:
        envelope["context"]["Viewport"] = viewport
    return invoke(envelope)["response"].get("directives") or []


def test_the_apl_interface_is_declared_because_the_skill_sends_apl():
    """A device lists Alexa.Presentation.APL only for a skill whose manifest declares ALEXA_PRESENTATION_APL: the
    skill sends RenderDocument to such devices, so the interface must be declared, and never to a speaker."""
    sends_apl = any(d["type"] == "Alexa.Presentation.APL.RenderDocument" for d in _directives(screen=True))
    assert sends_apl == (_apl_interface() is not None) and sends_apl
    assert _directives(screen=False) == []


def test_the_declared_viewports_are_the_ones_amazon_requires_and_our_device_is_one():
    """Amazon requires hubRoundSmall, hubLandscapeMedium, hubLandscapeLarge and tvLandscapeXLarge (and recommends
    hubLandscapeSmall, the Echo Show 5 that `--device screen` pretends); each gets the document."""
    interface = _apl_interface()
    assert interface is not None
    viewports = interface["supportedViewports"]
    assert {(v["mode"], v["shape"]) for v in viewports} == {("HUB", "ROUND"), ("HUB", "RECTANGLE"),
                                                             ("TV", "RECTANGLE")}
    device = SCREEN_VIEWPORT
    assert any(v["mode"] == device["mode"] and v["shape"] == device["shape"]
               and v["minWidth"] <= device["pixelWidth"] <= v["maxWidth"]
               and v["minHeight"] <= device["pixelHeight"] <= v["maxHeight"] for v in viewports)
    for v in viewports:
        assert v["minWidth"] <= v["maxWidth"] and v["minHeight"] <= v["maxHeight"]
        directives = _directives(True, _screen(v["minWidth"], v["minHeight"], v["shape"], v["mode"]))
        assert [d["type"] for d in directives] == ["Alexa.Presentation.APL.RenderDocument"], v
