"""The curated content: provenance, contradictions resolved, safety coverage, answer length."""

from __future__ import annotations

import re

import pytest

from skill.content import SECTION_IDS, TREATMENT, load_content, load_dialog
from tests.kit.project import ROOT

CONTENT = load_content()
STATEMENTS = CONTENT.statements()
# ~150 spoken words a minute is the slow end of a voice assistant; 15 s of it is about 40 words.
MAX_SHORT_WORDS = 40


def _plain(text: str) -> str:
    return text.replace("’", "'")


def test_every_section_is_there():
    assert tuple(CONTENT.sections) == SECTION_IDS


def test_article_copy_is_the_seed():
    seed = ROOT.parent / "shared" / "seed" / "hamstring-cramps-article.txt"
    if not seed.exists():
        pytest.skip("shared/seed is not beside this checkout")
    assert CONTENT.article_path.read_bytes() == seed.read_bytes()


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: s.say[:50])
def test_statement_is_traced(statement):
    assert statement.sources or statement.added, "neither a source paragraph nor a reason for adding it"
    paragraphs = CONTENT.paragraphs()
    for number, quotes in statement.sources.items():
        assert 1 <= number <= len(paragraphs)
        for quote in quotes:
            assert _plain(quote) in _plain(paragraphs[number - 1]), f"paragraph {number} does not say {quote!r}"


@pytest.mark.parametrize("contradiction", CONTENT.contradictions, ids=lambda c: c.id)
def test_contradiction_is_recorded_and_applied(contradiction):
    paragraphs = CONTENT.paragraphs()
    for number, quotes in contradiction.article.items():
        for quote in quotes:
            assert _plain(quote) in _plain(paragraphs[number - 1])
    assert contradiction.resolution and contradiction.reason
    ids = {s.id for s in STATEMENTS}
    assert set(contradiction.statements) <= ids, "a resolution names a statement that does not exist"


def test_the_known_contradictions_are_covered():
    quoted = " ".join(q for c in CONTENT.contradictions for qs in c.article.values() for q in qs).lower()
    for clash in ("apply ice", "iced water", "iced gels", "stretch the muscle gently", "stretch the muscle too soon"):
        assert clash in quoted, f"contradiction around {clash!r} is not resolved"


def test_no_unsafe_reading_survives():
    spoken = " ".join(s.say for s in STATEMENTS).lower()
    assert "iced gel" not in spoken
    assert "never put ice straight on your skin" in spoken
    # Yoga instead of rest, and compression, may be named only by the statements that carry their resolution.
    carriers = {i for c in CONTENT.contradictions for i in c.statements}
    for word in ("yoga", "compression"):
        for statement in STATEMENTS:
            if word in statement.say.lower():
                assert statement.id in carriers, f"{statement.say!r} names {word} outside a resolution"


def test_see_doctor_covers_when_to_get_help():
    text = " ".join(s.say for s in CONTENT.sections["see_doctor"].short).lower()
    for sign in ("severe", "often", "don't ease with self-care", "swelling", "red", "warm", "weakness", "numbness",
                 "injury", "call your local emergency number"):
        assert sign in text, f"when to get help must mention {sign!r}"


def test_disclaimer():
    assert "not medical advice" in CONTENT.disclaimer_spoken
    assert "not medical advice" in CONTENT.disclaimer_full and "emergency" in CONTENT.disclaimer_full


@pytest.mark.parametrize("section", [s for s in CONTENT.sections.values()], ids=lambda s: s.id)
def test_short_answer_fits_fifteen_seconds(section):
    first = section.step_text(1) if section.id == TREATMENT else section.short_text()
    words = len(re.findall(r"[\w']+", first))
    assert 0 < words <= MAX_SHORT_WORDS, f"{section.id}: {words} words"
    assert section.card_text()
    assert section.more or section.steps, "no detail to give on request"


def test_handlers_hold_no_medical_text():
    """Every sentence the skill speaks comes from the data files: no handler module quotes the content."""
    sources = "".join(p.read_text() for p in (ROOT / "skill").glob("*.py"))
    for statement in STATEMENTS:
        assert statement.say[:40] not in sources


def test_dialog_has_no_medical_statements():
    words = " ".join(v for vs in load_dialog().variants.values() for v in vs).lower()
    for term in ("ice", "potassium", "stretch the", "painkiller", "dehydration"):
        assert re.search(rf"\b{term}\b", words) is None, term


# -- specific answers, red flags, "not covered" ---------------------------------------------------------------------
ANSWERS = list(CONTENT.answers.values())
MAX_ANSWER_WORDS = 50  # one or two sentences, well under twenty seconds


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: a.id)
def test_answer_reads_existing_statements_and_stays_short(answer):
    assert set(answer.says) <= set(CONTENT.by_id), f"{answer.id} reads a statement that does not exist"
    assert answer.section in CONTENT.sections
    words = len(re.findall(r"[\w']+", CONTENT.read(answer.says)))
    assert 0 < words <= MAX_ANSWER_WORDS, f"{answer.id}: {words} words"
    if answer.when_preventing:
        assert CONTENT.answers[answer.when_preventing].section == "prevention"


@pytest.mark.parametrize("answer", [a for a in ANSWERS if a.step is not None], ids=lambda a: a.id)
def test_treatment_answer_belongs_to_its_step(answer):
    steps = CONTENT.sections[TREATMENT].steps
    assert answer.section == TREATMENT and 1 <= answer.step <= len(steps)
    step_ids = {s.id for s in steps[answer.step - 1]}
    assert step_ids & set(answer.says), f"{answer.id} reads nothing of step {answer.step}"


@pytest.mark.parametrize("flag", CONTENT.red_flags.values(), ids=lambda f: f.id)
def test_red_flag_answer_is_added_guidance_that_sends_to_help(flag):
    first = CONTENT.by_id[flag.says[0]]
    assert first.added, f"{flag.id}: the red-flag guidance must carry its reason in `added`"
    text = CONTENT.read(flag.says).lower()
    if flag.is_emergency:
        assert "emergency number" in text
    else:
        assert "doctor" in text or "medical help" in text


def test_not_covered_is_honest_added_guidance():
    statement = CONTENT.by_id[CONTENT.not_covered.says[0]]
    assert statement.added
    text = CONTENT.read(CONTENT.not_covered.says, subject="magnesium")
    assert "doesn't cover magnesium" in text and "pharmacist" in text
    assert CONTENT.not_covered.name_of("not_covered.unheard_of") == "that"


def test_contradiction_resolutions_apply_to_specific_answers():
    """Ice and iced drinks get the resolved reading: cold only afterwards, wrapped; drinks cool, not iced."""
    assert {"cold_not_during", "step_cold", "step_cold_skin"} <= set(CONTENT.answers["cold_pack"].says)
    assert "step_fluids" in CONTENT.answers["iced_drinks"].says
    assert "rather than iced" in CONTENT.read(CONTENT.answers["iced_drinks"].says)
    assert "breathing_not_yoga" in CONTENT.answers["breathing_yoga"].says
    assert "compression_not" in CONTENT.answers["compression"].says


def test_every_slot_value_of_the_language_has_its_answer():
    """Language and content agree: each value id a slot can resolve to is an answer, a red flag or not covered (or,
    for the follow-up slot, a follow-up the skill reads)."""
    from intents.language import load_language
    from skill.follow_ups import FOLLOW_UPS

    language = load_language()
    for name in language.text_lists:
        for value_id, _ in language.value_phrases(name, limit=1):
            if name == "follow_up":
                assert value_id in FOLLOW_UPS, f"follow-up {value_id} has no reply in skill/follow_ups.py"
            elif value_id.startswith("rf_"):
                assert value_id in CONTENT.red_flags, value_id
            elif not value_id.startswith("not_covered."):
                assert value_id in CONTENT.answers, f"{name}: {value_id} has no answer in hamstring.yaml"
    for intent, answer in language.answer_by_intent.items():
        assert answer in CONTENT.answers, intent


def test_statement_ids_are_unique_and_refs_resolve():
    ids = [s.id for s in STATEMENTS if s.id]
    assert len(ids) == len(set(ids))
    # risk factors read the conditions statement that causes defines (a ref, not a copy)
    assert CONTENT.sections["risk_factors"].more[1] is CONTENT.by_id["cause_conditions"]
    says = [s.say for s in STATEMENTS]
    assert len(says) == len(set(says)), "a statement is written twice; reference it with {ref: id}"


def test_compiled_content_is_the_yaml():
    """The skill reads content/compiled.json (no YAML parsing on a cold start); it must say what the YAML says."""
    from skill.content import content_dir, load_dialog

    from_yaml = load_content(content_dir() / "hamstring.yaml")
    assert CONTENT.sections == from_yaml.sections and CONTENT.answers == from_yaml.answers
    assert CONTENT.red_flags == from_yaml.red_flags and CONTENT.contradictions == from_yaml.contradictions
    assert load_dialog().variants == load_dialog(content_dir() / "dialog.yaml").variants
