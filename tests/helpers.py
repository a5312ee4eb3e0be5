"""Small builders shared by tests (not fixtures: plain functions are easier to read)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import TypeVar

from digestbot.summarizer.models import Digest, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer
from digestbot.summarizer.pipeline import build_digest
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import sample_source
from digestbot.summarizer.taxonomy import load_taxonomy

T = TypeVar("T")


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


def all_at_once(calls: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """Run each call in its own thread, released together at a barrier (racing instances);
    each one's result, or the exception it raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[T | BaseException] = [RuntimeError("never ran")] * len(calls)

    def run(number: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            outcomes[number] = call()
        except BaseException as error:  # the caller asserts on it
            outcomes[number] = error

    threads = [threading.Thread(target=run, args=(number, call)) for number, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
