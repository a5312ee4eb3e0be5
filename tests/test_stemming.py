"""The shared stemmer: a word's forms and its derivational family meet, unrelated words do not."""

from __future__ import annotations

import pytest

from digestbot.summarizer.stemming import stem, stems, word_stems


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("failure", "failures"),
        ("recover", "recovery"),
        ("recovers", "recovered"),
        ("imbalanced", "imbalance"),
        ("referenced", "reference"),
        ("discovery", "discover"),
        ("quantized", "quantization"),
        ("classifier", "classify"),
        ("llms", "llm"),
        ("gpus", "gpu"),
    ],
)
def test_forms_of_one_word_meet(one: str, other: str) -> None:
    assert stem(one) == stem(other)


@pytest.mark.parametrize(
    ("one", "other"), [("model", "mode"), ("general", "generate"), ("day", "dais"), ("class", "cla"), ("bus", "bu")]
)
def test_different_words_stay_apart(one: str, other: str) -> None:
    assert stem(one) != stem(other)


def test_compounds_keep_snowballs_stem() -> None:
    """Snowball's regions assume one word, so a hyphenated compound is left as Snowball stems it."""
    assert stem("action-oriented") == "action-ori"
    assert stems(["recovery", "failures"]) == ["recov", "failur"]


def test_word_stems_split_compounds_and_fold_accents() -> None:
    found = word_stems("ReTeX recovers individual-expert performance on résumés, a speed-up")

    assert found[0] == ("retex",) and found[1] == ("recov",)
    assert set(found[2]) == {"individual-expert", "individualexpert", "individu", "expert"}
    assert ("resum",) in found
    assert "speedup" in found[-1] and "speed" in found[-1]


def test_words_in_other_scripts_are_not_words_to_match() -> None:
    assert word_stems("실패에서 복구") == []
    assert word_stems("RACER는") == [("racer",)]
