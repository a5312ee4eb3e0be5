"""Small builders shared by tests (not fixtures: plain functions are easier to read)."""

from __future__ import annotations

import asyncio
from functools import cache

from digestbot.summarizer.models import Digest, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer
from digestbot.summarizer.pipeline import build_digest
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import sample_source
from digestbot.summarizer.taxonomy import load_taxonomy


def make_paper(arxiv_id: str = "2606.00001", *, title: str = "A paper", abstract: str = "", **fields: object) -> Paper:
    text = abstract or "We propose a method. It achieves 72% accuracy on the benchmark."
    return Paper(arxiv_id=arxiv_id, title=title, abstract=text, **fields)  # type: ignore[arg-type]


def offline_digest(papers: list[Paper] | None = None, *, language: str = "en") -> Digest:
    """The sample day (or ``papers``) through the real offline pipeline; a fresh copy each call."""
    if papers is None:
        return _sample_digest(language).model_copy(deep=True)
    listing = sample_source().listing()
    return _build(Listing(date=listing.date, papers=papers, source="test"), language)


@cache
def _sample_digest(language: str) -> Digest:
    return _build(sample_source().listing(), language)


def _build(listing: Listing, language: str) -> Digest:
    taxonomy = load_taxonomy()
    return asyncio.run(
        build_digest(
            listing,
            taxonomy=taxonomy,
            categorizer=OfflineCategorizer(taxonomy),
            summarizer=ExtractiveSummarizer(),
            language=language,
        )
    )
