"""The semantic stage over the real exemplars and the real embedding weights of the wordllama wheel."""

from __future__ import annotations

import subprocess
import sys

import pytest

from intents.matcher import default_matcher
from intents.names import FALLBACK_INTENT, RED_FLAG_INTENT, RED_FLAG_LIST
from intents.semantic import load_exemplars, load_stage
from skill.content import load_content
from tests.kit import tools
from tests.kit.project import ROOT

tools.require_module("safetensors", "the understanding extra installs it")
tools.require_module("tokenizers", "the understanding extra installs it")

# Warning signs told as what happened or how it feels, in words no red-flag cue holds (written for this test, not
# taken from any evaluation set).
STORIES = [
    ("i was running for the train and felt a crack like a whip behind my knee and now i can barely hobble", "rf_"),
    ("my wife's words are coming out all wrong and one side of her mouth has dropped", "rf_emergency"),
    ("the cramp went off an hour ago but the leg still feels like it belongs to someone else", "rf_"),
    ("it's just getting tighter and tighter instead of going", "rf_"),
]
NOT_RED_FLAGS = ["what should i drink for a hamstring cramp", "does stretching before a run help",
                 "what's the weather like tomorrow", "tell me a joke"]


def test_the_stage_loads_from_the_wheels_own_files_without_their_downloader() -> None:
    """The weights and tokenizer are read directly: wordllama's own loader (which reaches for a download when its
    tokenizer path does not match the wheel's) is never imported."""
    code = ("import sys; from intents.semantic import load_stage; stage = load_stage(); "
            "print(stage is not None, len(stage.labels), 'wordllama' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    loaded, count, imported = run.stdout.split()
    assert (loaded, imported) == ("True", "False") and int(count) > 1000, run.stderr[-500:]


@pytest.mark.parametrize(("text", "flag"), STORIES)
def test_a_red_flag_told_as_a_story_is_a_red_flag(text: str, flag: str) -> None:
    match = default_matcher().match(text)
    assert match.intent == RED_FLAG_INTENT, match
    assert match.resolved[RED_FLAG_LIST].startswith(flag)


@pytest.mark.parametrize("text", NOT_RED_FLAGS)
def test_ordinary_questions_are_not_red_flags(text: str) -> None:
    assert default_matcher().match(text).intent != RED_FLAG_INTENT


def test_every_exemplar_is_said_once_and_labelled_with_something_the_content_has() -> None:
    exemplars = load_exemplars()
    sentences = [s for group in exemplars.values() for s in group]
    assert len(sentences) == len(set(sentences)), "an exemplar appears twice"
    content = load_content()
    known = set(content.answers) | set(content.red_flags) | {"not_covered", "out_of_domain"}
    known |= {f"topic:{s}" for s in content.sections}
    assert set(exemplars) <= known


@pytest.mark.parametrize("label", sorted(set(load_exemplars()) - {"out_of_domain"}))
def test_every_label_is_a_request_the_skill_answers(label: str) -> None:
    match = default_matcher()._for_label(label, 1.0)
    assert match is not None and match.intent != FALLBACK_INTENT


def test_the_stage_reads_a_paraphrase_the_templates_miss() -> None:
    stage = load_stage()
    assert stage is not None
    reading = stage.answer("is it worth getting the foam roller out on it")
    assert reading is not None and reading.label == "massage"


# A word-matcher reading taken only because the text names the domain, below the similarity it would need otherwise,
# does not hold the exemplars to their stricter bar (dev-set sentences this rule fixed).
WEAK_WORD_READINGS = [
    ("quick quick how do i sort a cramp at the back of my thigh", "topic:treatment"),
    ("should i knead my wife's hamstring with my hands until it lets go", "massage"),
    ("why can't i get my leg straight when the back of my thigh cramps", "cant_straighten"),
]


@pytest.mark.parametrize(("text", "label"), WEAK_WORD_READINGS)
def test_a_weak_word_reading_gives_way_to_the_exemplars(text: str, label: str) -> None:
    from intents.matcher import MIN_SIMILARITY, normalize
    from skill.conversation import Conversation
    from tests.kit.scoring import given_label

    matcher = default_matcher()
    words_read = matcher._match_similar(normalize(text))
    assert words_read.method == "similar" and words_read.score < MIN_SIMILARITY, words_read
    assert matcher.match(text).method == "semantic"
    assert given_label(Conversation().say(text)) == label
