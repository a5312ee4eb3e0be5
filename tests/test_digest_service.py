"""The digest service: one build per day and language, few requests to the source."""

from __future__ import annotations

import asyncio
import datetime as dt

from digestbot.bot.digests import LATEST_TTL_SECONDS, STORED_TTL_SECONDS, DigestService, MemoryDigestStore
from digestbot.summarizer.models import Digest
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import sample_source
from digestbot.summarizer.taxonomy import load_taxonomy


class CountingSource:
    """The sample day, counting how often it is asked (each ask is an arXiv request in production)."""

    name = "sample"  # what its listings say they come from, as a real source does

    def __init__(self) -> None:
        self.inner = sample_source()
        self.listings = 0

    def listing(self, day: dt.date | None = None) -> Listing:
        self.listings += 1
        return self.inner.listing(day)

    def paper(self, arxiv_id: str):  # type: ignore[no-untyped-def]
        return self.inner.paper(arxiv_id)


class Clock:
    now = 1_000.0

    def __call__(self) -> float:
        return self.now


def service(source: CountingSource, clock: Clock) -> DigestService:
    taxonomy = load_taxonomy()
    return DigestService(
        source=source,
        taxonomy=taxonomy,
        categorizer=OfflineCategorizer(taxonomy),
        summarizer=ExtractiveSummarizer(),
        clock=clock,
    )


async def test_the_latest_digest_is_not_refetched_for_every_command() -> None:
    source, clock = CountingSource(), Clock()
    digests = service(source, clock)
    first = await digests.digest()
    for _ in range(5):
        assert (await digests.digest()).date == first.date
    assert source.listings == 1
    clock.now += LATEST_TTL_SECONDS + 1  # a new announcement may have come: ask again, build nothing new
    assert await digests.digest() == first
    assert source.listings == 2


async def test_each_language_is_built_once() -> None:
    source, clock = CountingSource(), Clock()
    digests = service(source, clock)
    english, korean = await digests.digest(language="en"), await digests.digest(language="ko")
    assert (english.language, korean.language) == ("en", "ko")
    assert await digests.digest(english.date, language="ko") is korean


class CountingStore(MemoryDigestStore):
    """The memory store, counting reads (each is a database query and a parse under ``run``)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def load_digest(self, day: dt.date | None, language: str, source: str) -> Digest | None:
        self.reads += 1
        return super().load_digest(day, language, source)


async def test_commands_arriving_together_read_a_stored_digest_once() -> None:
    """After a database lock is released, the commands queued behind it must not each read and
    parse the whole digest: parsing holds the GIL, and twenty at once stall the event loop."""
    clock, store = Clock(), CountingStore()
    built = await service(CountingSource(), clock).digest()
    store.save_digest(built)
    digests = service(CountingSource(), clock)
    digests.store = store

    found = await asyncio.gather(*(digests.digest(built.date) for _ in range(20)))

    assert all(digest == built for digest in found)
    assert store.reads == 1
    clock.now += STORED_TTL_SECONDS  # another instance may have rebuilt the day meanwhile
    await digests.digest(built.date)
    assert store.reads == 2
