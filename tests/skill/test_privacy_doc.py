"""docs/privacy.md says what the code does: the fields kept, the resume window, the deletion rules and the words
that delete; and skill.json's privacy URLs are placeholders that say to replace them with where it is published."""

from __future__ import annotations

import json

from intents.alexa_model import build_model
from intents.language import load_language
from skill.persist import RESUME_WINDOW_S
from skill.store.keys import hash_user_id
from skill.store.place import SavedPlace
from tests.kit.project import ROOT

POLICY = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
MANIFEST = json.loads((ROOT / "speech_assets" / "skill.json").read_text(encoding="utf-8"))["manifest"]


def test_the_fields_kept_are_the_saved_place_and_the_hash() -> None:
    assert set(SavedPlace(3, "treatment", 0).to_attributes()) == {"position", "topic", "saved_at"}
    for said in ("one-way hash of your Alexa user id", "the treatment step", "the last topic", "the time"):
        assert said in POLICY
    assert len(hash_user_id("amzn1.ask.account.X")) == 64 and "64 hex digits, SHA-256" in POLICY


def test_the_resume_window_and_where() -> None:
    assert RESUME_WINDOW_S == 3 * 3600 and "**3 hours**" in POLICY
    for where in ("DynamoDB", "SQLite", "HAMSTRING_DYNAMODB_TABLE", "--no-state"):
        assert where in POLICY


def test_forget_me_is_what_the_model_understands_as_forgetting() -> None:
    model = build_model(load_language())["interactionModel"]["languageModel"]
    forget = next(i for i in model["intents"] if i["name"] == "ForgetIntent")["samples"]
    for phrase in ("forget me", "delete my data", "forget where i was"):
        assert phrase in forget and phrase in POLICY.lower()


def test_the_manifest_says_to_replace_its_placeholder_urls() -> None:
    for urls in MANIFEST["privacyAndCompliance"]["locales"].values():
        assert "REPLACE" in urls["privacyPolicyUrl"] and "privacy.md" in urls["privacyPolicyUrl"]
        assert "REPLACE" in urls["termsOfUseUrl"]
    assert "privacyPolicyUrl" in POLICY and "placeholder" in POLICY
