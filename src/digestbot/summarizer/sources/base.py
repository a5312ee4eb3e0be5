"""The paper-source interface and the errors every source speaks.

Sources are synchronous on purpose: arXiv must be asked one request at a time anyway, and the
bot calls them through :func:`~digestbot.summarizer.io_pools.source_call` so a slow fetch never
blocks the chat loop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from digestbot.summarizer.models import Note, Paper


class SourceError(Exception):
    """Base class; the message is written for the person who asked, in one line."""


class NoAnnouncement(SourceError):
    """arXiv announced nothing for that date (weekend, holiday, future): say so, post nothing."""


class SourceUnavailable(SourceError):
    """The source failed after retries; the caller should try again later, never post empty."""


class PaperNotFound(SourceError):
    """No paper with that id exists (or the source does not hold it)."""


class InvalidSourceData(SourceError):
    """A file of papers holds something that is not a paper; the message names file:line."""


@dataclass(frozen=True)
class Listing:
    """The papers announced on one date, de-duplicated, in announcement order."""

    date: dt.date
    papers: list[Paper]
    source: str
    notes: list[Note | str] = field(default_factory=list)


class PaperSource(Protocol):
    """What the digest service needs from any source of papers."""

    name: str

    def listing(self, day: dt.date | None = None) -> Listing:
        """Papers announced on ``day``; ``None`` means the latest announcement."""
        ...

    def paper(self, arxiv_id: str) -> Paper:
        """One paper by id (without version)."""
        ...


def deduplicate(papers: list[Paper]) -> list[Paper]:
    """Keep one entry per arXiv id (cross-lists repeat papers), the highest version winning."""
    best: dict[str, Paper] = {}
    for paper in papers:
        kept = best.get(paper.arxiv_id)
        if kept is None or paper.version > kept.version:
            best[paper.arxiv_id] = paper
    return list(best.values())
