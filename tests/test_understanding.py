"""Measured understanding on the labelled dev set (the benchmark prints the full table)."""

from benchmarks.understanding import REJECTION_TARGET, TOPIC_TARGET, evaluate, load_set


def test_dev_set_is_big_and_varied_enough():
    items = load_set("dev")
    assert len(items) >= 150
    assert sum(i["intent"] == "AMAZON.FallbackIntent" for i in items) >= 20
    assert {"one-shot", "conversational"} <= {i["style"] for i in items}


def test_dev_set_meets_targets():
    result = evaluate("dev", load_set("dev"))
    assert result.topic_accuracy >= TOPIC_TARGET, result.misses
    assert result.rejection >= REJECTION_TARGET, result.misses


def test_dev_utterances_are_not_copies_of_templates():
    """Independence check: most dev utterances must need the similarity stage or differ from every expansion."""
    from intents.matcher import default_matcher

    methods = [default_matcher().match(i["text"]).method for i in load_set("dev")]
    assert methods.count("similar") >= 20
