"""The offline back end on the real sample day: complete, quoted, grounded, not repetitive."""

from __future__ import annotations

import re
from functools import cache

from digestbot.summarizer.models import Backend, Digest, note_text
from digestbot.summarizer.offline.summarizer import abstract_text
from digestbot.summarizer.sources.jsonl import sample_source
from digestbot.summarizer.text import numbers_in
from tests.helpers import make_paper, offline_digest


@cache
def sample_digest() -> Digest:
    return offline_digest()


def strip_attribution(line: str) -> str:
    return re.sub(r" \[\d{4}\.\d{4,5}\]$", "", line).removesuffix(" …")


def test_every_paper_lands_in_exactly_one_category() -> None:
    digest = sample_digest()
    sample_ids = sorted(p.arxiv_id for p in sample_source().listing().papers)
    assert sorted(p.arxiv_id for p in digest.papers) == sample_ids
    assert sum(digest.counts.values()) == len(sample_ids)


def test_every_category_has_all_five_parts_and_says_it_is_extractive() -> None:
    for section in sample_digest().sections:
        summary = section.summary
        assert summary.main_themes and summary.keywords and summary.key_facts and summary.outlook
        assert summary.backend is Backend.OFFLINE
        assert any("Extractive" in note_text(note, "en") for note in summary.notes)
        assert summary.impact or len(section.papers) < 3


def test_key_facts_and_impact_are_quotes_of_their_papers_abstract() -> None:
    """Quoted as the authors wrote them, with TeX rendered and dangling openers dropped."""
    for section in sample_digest().sections:
        abstracts = {p.arxiv_id: abstract_text(p) for p in section.papers}
        for fact in section.summary.key_facts:
            assert strip_attribution(fact.fact) in abstracts[fact.arxiv_id]
        for line in section.summary.impact:
            arxiv_id = re.search(r"\[(\d{4}\.\d{4,5})\]$", line).group(1)  # type: ignore[union-attr]
            assert strip_attribution(line) in abstracts[arxiv_id]


def test_numbers_in_summaries_come_from_the_source_text() -> None:
    for section in sample_digest().sections:
        source_numbers = {n for p in section.papers for n in numbers_in(f"{p.title} {abstract_text(p)}")}
        for fact in section.summary.key_facts:
            assert set(numbers_in(strip_attribution(fact.fact))) <= source_numbers


def test_no_category_repeats_another_categorys_summary() -> None:
    sections = sample_digest().sections
    seen: dict[str, str] = {}
    for section in sections:
        for line in [
            *section.summary.main_themes,
            *section.summary.impact,
            *(f.fact for f in section.summary.key_facts),
        ]:
            assert seen.setdefault(line, section.category.slug) == section.category.slug, line
    outlooks = [s.summary.outlook for s in sections]
    assert len(set(outlooks)) == len(outlooks)


def test_a_ten_thousand_word_abstract_is_summarized_with_a_visible_cut() -> None:
    huge = " ".join(["The model reaches 91.5% accuracy while using fewer resources"] * 1000) + "."
    digest = offline_digest([make_paper(title="Huge", abstract=huge)])
    fact = digest.sections[0].summary.key_facts[0].fact
    assert fact.endswith("…") and len(fact.split()) <= 71


def test_korean_digest_uses_korean_framing() -> None:
    digest = offline_digest(language="ko")
    assert digest.language == "ko"
    assert "편" in digest.sections[0].summary.outlook
