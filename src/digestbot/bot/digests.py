"""The digest service: build a day's digest once, keep it, and hand it to every channel.

Building costs arXiv requests and (with a key) model calls, so a digest is made once per
(date, language, source) and reused by every channel, command and follow-up question.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from digestbot.bot.shared_builds import SharedBuilds
from digestbot.summarizer.backends import Categorizer, Summarizer
from digestbot.summarizer.bounded import BoundedMap, is_held
from digestbot.summarizer.chart import render_chart
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.io_pools import db_call, source_call
from digestbot.summarizer.models import Digest, Paper, PaperSummary
from digestbot.summarizer.pipeline import Progress, build_digest
from digestbot.summarizer.ranking import RecentPaper
from digestbot.summarizer.sources.base import Listing, PaperSource
from digestbot.summarizer.taxonomy import Taxonomy
from digestbot.summarizer.trends import TREND_DAYS, CategoryTrend, daily_means, moved_categories

log = logging.getLogger(__name__)

# The latest announcement changes once a day; asking arXiv on every `/digest` would spend a
# paced request (3 s apart, shared by everything) per command, so the answer is trusted this long.
LATEST_TTL_SECONDS = 600.0
CHARTS_KEPT = 32
# Near-duplicates are looked for in the digests of the last 30 days; trends average the last
# TREND_DAYS announcement days, found within two weeks (arXiv announces five days a week).
NOVELTY_DAYS = 30
TREND_WINDOW_DAYS = 14
# One build lock per (date, language) being built; idle ones are forgotten beyond this many.
LOCKS_KEPT = 64
# A digest read from the store is reused this long: commands arriving together (or released
# together by a database lock) read and parse it once, not once each; parsing a day's digest
# holds the GIL for milliseconds, which the event loop would feel. Another instance's rebuild of
# the day shows up here within this time.
STORED_TTL_SECONDS = 60.0


class DigestStore(Protocol):
    """Where built digests are kept (memory by default, the database under ``digestbot run``)."""

    def load_digest(self, day: dt.date | None, language: str, source: str) -> Digest | None: ...

    def save_digest(self, digest: Digest) -> None: ...

    def recent_digests(self, before: dt.date, *, language: str, source: str, days: int) -> list[Digest]:
        """The digests dated within ``days`` before ``before`` (not that day), newest first."""
        ...


class MemoryDigestStore:
    """Digests for the life of the process; enough for the CLI and the console."""

    def __init__(self) -> None:
        self._digests: dict[tuple[dt.date, str, str], Digest] = {}

    def load_digest(self, day: dt.date | None, language: str, source: str) -> Digest | None:
        matches = [
            digest
            for (date, lang, src), digest in self._digests.items()
            if lang == language and src == source and (day is None or date == day)
        ]
        return max(matches, key=lambda d: d.date) if matches else None

    def save_digest(self, digest: Digest) -> None:
        self._digests[(digest.date, digest.language, digest.source)] = digest

    def recent_digests(self, before: dt.date, *, language: str, source: str, days: int) -> list[Digest]:
        first = before - dt.timedelta(days=days)
        found = [
            digest
            for (date, lang, src), digest in self._digests.items()
            if lang == language and src == source and first <= date < before
        ]
        return sorted(found, key=lambda d: d.date, reverse=True)


def _quiet(_: str) -> None:
    return None


class DigestService:
    """Use-cases around digests, with their collaborators passed in (testable with no platform)."""

    def __init__(
        self,
        *,
        source: PaperSource,
        taxonomy: Taxonomy,
        categorizer: Categorizer,
        summarizer: Summarizer,
        store: DigestStore | None = None,
        language: str = "en",
        clock: Callable[[], float] = time.monotonic,
        shared: SharedBuilds | None = None,
    ) -> None:
        """``shared``: builds coordinated with other instances (``digestbot run`` on a database)."""
        self.shared = shared
        self.source = source
        self.taxonomy = taxonomy
        self.categorizer = categorizer
        self.summarizer = summarizer
        self.store = store or MemoryDigestStore()
        self.language = language
        self._clock = clock
        self._locks: BoundedMap[tuple[dt.date | None, str], asyncio.Lock] = BoundedMap(
            max_items=LOCKS_KEPT, in_use=is_held
        )
        self._latest: BoundedMap[str, tuple[dt.date, float]] = BoundedMap(max_items=LOCKS_KEPT)
        self._reads: BoundedMap[tuple[dt.date | None, str], asyncio.Future[Digest | None]] = BoundedMap(
            max_items=LOCKS_KEPT, ttl_seconds=STORED_TTL_SECONDS, clock=clock
        )
        self._charts: BoundedMap[tuple[dt.date, str, tuple[str, ...]], bytes] = BoundedMap(max_items=CHARTS_KEPT)
        self._histories: BoundedMap[tuple[dt.date, str, str], list[dict[str, int]]] = BoundedMap(max_items=CHARTS_KEPT)

    async def digest(
        self, day: dt.date | None = None, *, language: str | None = None, progress: Progress = _quiet
    ) -> Digest:
        """The digest of ``day`` (``None``: the latest announcement), built at most once — per
        process by a lock, and across instances by :attr:`shared` (a lease in the database)."""
        language = language or self.language
        day = day or self._recent_latest(language)
        if day is not None and (cached := await self._stored(day, language)):
            return cached
        async with self._locks.get_or_create((day, language), asyncio.Lock):
            if day is not None:
                return await self._once(day, language, lambda: self._fetch_and_build(day, language, progress))
            listing = await self._fetch(None, progress)
            self._latest[language] = (listing.date, self._clock())
            return await self._once(listing.date, language, lambda: self._build(listing, language, progress))

    async def _once(self, day: dt.date, language: str, build: Callable[[], Awaitable[Digest]]) -> Digest:
        if (cached := await self._stored(day, language)) is not None:
            return cached
        if self.shared is None:
            return await build()

        def stored() -> Digest | None:
            return self.store.load_digest(day, language, self.source.name)

        return await self.shared.once(f"digest|{day}|{language}|{self.source.name}", build=build, stored=stored)

    async def _fetch(self, day: dt.date | None, progress: Progress) -> Listing:
        progress(f"Fetching papers from {self.source.name}…")
        return await source_call(self.source.listing, day)

    async def _fetch_and_build(self, day: dt.date, language: str, progress: Progress) -> Digest:
        return await self._build(await self._fetch(day, progress), language, progress)

    async def _build(self, listing: Listing, language: str, progress: Progress) -> Digest:
        progress(f"{len(listing.papers)} papers announced on {listing.date.isoformat()}.")
        recent = await db_call(self._recent_papers, listing.date, language)
        digest = await build_digest(
            listing,
            taxonomy=self.taxonomy,
            categorizer=self.categorizer,
            summarizer=self.summarizer,
            language=language,
            recent=recent,
            progress=progress,
        )
        await db_call(self.store.save_digest, digest)
        self._reads.clear()  # the new digest may be the latest too
        log.info("built digest %s/%s: %d papers", digest.date, language, len(digest.papers))
        return digest

    async def _stored(self, day: dt.date | None, language: str) -> Digest | None:
        """The stored digest, read once for every caller within :data:`STORED_TTL_SECONDS`; a miss
        or a failed read is not kept."""
        key = (day, language)
        reading = self._reads.get_or_create(
            key, lambda: asyncio.ensure_future(db_call(self.store.load_digest, day, language, self.source.name))
        )
        try:
            found = await asyncio.shield(reading)
        except Exception:
            self._reads.pop(key, None)
            raise
        if found is None:
            self._reads.pop(key, None)
        return found

    def _recent_papers(self, day: dt.date, language: str) -> list[RecentPaper]:
        """The papers of the last 30 days' digests, for the novelty signal of the ranking."""
        digests = self.store.recent_digests(day, language=language, source=self.source.name, days=NOVELTY_DAYS)
        return [RecentPaper(p.arxiv_id, p.title, p.abstract) for digest in digests for p in digest.papers]

    def _history(self, digest: Digest) -> list[dict[str, int]]:
        """Counts per category of the last announcement days before the digest's (newest first,
        at most TREND_DAYS); kept, since every channel's chart and trend lines ask for them."""
        key = (digest.date, digest.language, digest.source)

        def counts() -> list[dict[str, int]]:
            stored = self.store.recent_digests(
                digest.date, language=digest.language, source=digest.source, days=TREND_WINDOW_DAYS
            )
            return [d.counts for d in stored[:TREND_DAYS]]

        return self._histories.get_or_create(key, counts)

    def history_means(self, digest: Digest) -> dict[str, float]:
        """Papers a day per category (by name) over the last announcement days before the
        digest's; empty when nothing is stored yet, and the chart then shows today alone."""
        means = daily_means(self._history(digest))
        # Only the digest's own categories: a channel's filtered view compares shares among them.
        return {name: mean for name, mean in means.items() if name in digest.counts}

    def trends(self, digest: Digest) -> list[CategoryTrend]:
        """Categories whose share of the day moved a lot against the last announcement days."""
        return moved_categories(digest.counts, self.history_means(digest))

    def _recent_latest(self, language: str) -> dt.date | None:
        """The latest announcement's date if learned recently; ``None`` means "ask the source"."""
        remembered = self._latest.get(language)
        if remembered and self._clock() - remembered[1] < LATEST_TTL_SECONDS:
            return remembered[0]
        return None

    async def chart_png(self, digest: Digest) -> bytes:
        """:meth:`chart` off the event loop: matplotlib takes 0.2–0.5 s of CPU per drawing."""
        return await run_cpu_bound(self.chart, digest)

    def chart(self, digest: Digest) -> bytes:
        """The PNG for a digest (or a category subset of it), drawn once; the most recent few are
        kept, since a bot running for months sees a new date every day."""
        key = (digest.date, digest.language, tuple(s.category.slug for s in digest.sections))
        return self._charts.get_or_create(
            key,
            lambda: render_chart(
                digest.counts,
                day=digest.date,
                language=digest.language,
                means=self.history_means(digest),
                mean_days=len(self._history(digest)),
            ),
        )

    async def paper(self, arxiv_id: str) -> Paper:
        """A paper from a stored digest if we have it (no request), else from the source."""
        for digest in await self._known_digests():
            for paper in digest.papers:
                if paper.arxiv_id == arxiv_id:
                    return paper
        return await source_call(self.source.paper, arxiv_id)

    async def summarize_paper(self, paper: Paper, *, language: str | None = None) -> PaperSummary:
        return await self.summarizer.summarize_paper(paper, language=language or self.language)

    async def find_by_title(self, words: str) -> Sequence[Paper]:
        """Papers of the stored digests whose titles contain every word (``/digest paper <words>``)."""
        wanted = [w.lower() for w in words.split()]
        found: dict[str, Paper] = {}
        for digest in await self._known_digests():
            for paper in digest.papers:
                title = paper.title.lower()
                if all(word in title for word in wanted):
                    found.setdefault(paper.arxiv_id, paper)
        return list(found.values())

    async def _known_digests(self) -> list[Digest]:
        latest = await self._stored(None, self.language)
        return [latest] if latest else []
