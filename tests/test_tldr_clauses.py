"""TL;DRs short enough for a daily post, read as a reader reads them: the main clause of the
paper's "we propose" sentence, cut where a clause or phrase begins, never mid-phrase."""

from __future__ import annotations

import re
import statistics
from functools import cache
from pathlib import Path

import pytest

from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.clauses import drop_lead_in, main_clause
from digestbot.summarizer.offline.tldr import TLDR_MAX_WORDS, TLDR_WORDS, contribution, tldr
from digestbot.summarizer.sources.jsonl import read_papers

FIXTURE_DAY = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"
# A cut after one of these words leaves a fragment that promises more ("… improves the …").
DANGLING_END = re.compile(
    r"\b(?:a|an|the|of|to|for|with|by|and|or|that|which|its|their|is|are|rather|in order)\s…$", re.IGNORECASE
)


@cache
def day() -> dict[str, Paper]:
    return {paper.arxiv_id: paper for paper in read_papers(FIXTURE_DAY)}


@pytest.mark.parametrize(
    ("arxiv_id", "expected"),
    [
        (
            "2606.29794",
            "We propose UniTriSplat, a unified 3DGS framework for universal cameras that reformulates Gaussian "
            "splatting on the unit sphere …",
        ),
        (
            "2606.29579",
            "We propose ScAle, an ultra-lightweight adaptation method that learns a small set of scalar coefficients …",
        ),
        (
            "2606.29623",
            "We propose SCARCE (Scalable Cascade Analysis for Rare-event Characterisation via Embeddings), which "
            "replaces the performance function …",
        ),
        # A colon opens a list of ten systems: cutting after some of them would hide the rest.
        ("2606.29213", "We benchmark ten systems on Devanagari (Hindi) …"),
    ],
)
def test_a_long_contribution_keeps_its_main_clause(arxiv_id: str, expected: str) -> None:
    assert tldr(day()[arxiv_id]) == expected


def test_a_framing_lead_in_goes_but_a_hedge_or_a_method_stays() -> None:
    assert drop_lead_in("Motivated by this observation, we propose ScAle.") == "We propose ScAle."
    assert drop_lead_in("In this paper, we study X.") == "We study X."
    assert drop_lead_in("Here we introduce Orca.") == "We introduce Orca."
    hedge = "To the best of our knowledge, we present the first such scheme."
    assert drop_lead_in(hedge) == hedge
    method = "By exploiting sparsity, we achieve large speedups."
    assert drop_lead_in(method) == method


def test_a_sentence_without_a_clause_to_cut_at_keeps_its_verb() -> None:
    """A word cut here would read "…, we introduce …": the sentence stays whole instead."""
    sentence = contribution(day()["2606.29605"])

    assert len(sentence.split()) > TLDR_MAX_WORDS
    assert tldr(day()["2606.29605"]) == sentence


def test_a_cut_never_names_a_thing_without_saying_what_it_is() -> None:
    sentence = "We propose Foo (a very long expansion of the acronym Foo here), which does things in many ways."

    shortened = main_clause(sentence, target_words=10, max_words=30)

    assert shortened == sentence  # "We propose Foo (…)" alone says nothing; 18 words are kept


def test_the_fixture_day_tldrs_are_short_and_never_end_mid_phrase() -> None:
    tldrs = {arxiv_id: tldr(paper) for arxiv_id, paper in day().items()}
    lengths = [len(text.split()) for text in tldrs.values()]

    assert statistics.median(lengths) <= TLDR_WORDS
    for arxiv_id, text in tldrs.items():
        if text.endswith(" …"):
            assert not DANGLING_END.search(text), (arxiv_id, text)
            assert text.count("(") == text.count(")"), (arxiv_id, text)
            assert len(text.split()) <= TLDR_MAX_WORDS + 1, (arxiv_id, text)


def test_a_participle_keeps_the_phrase_it_needs() -> None:
    sentence = (
        "We propose L-DPS, an approximate Bayesian framework for inverse problems governed by partial "
        "differential equations with noisy observations from many sensors."
    )

    shortened = main_clause(sentence, target_words=12, max_words=30)

    assert shortened == "We propose L-DPS, an approximate Bayesian framework …"  # not "… problems governed …"
