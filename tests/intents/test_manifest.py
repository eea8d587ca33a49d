"""The ASK CLI skill package: manifest against the generated models, and ask-resources.json."""

from __future__ import annotations

import json

from intents.alexa_model import build_model
from intents.language import load_language
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
        assert "not medical advice" in locale["description"]
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
