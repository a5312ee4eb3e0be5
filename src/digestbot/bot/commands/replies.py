"""Platform-neutral replies: what the bot wants to say, before any adapter renders it.

Handlers return these; every adapter renders each kind natively (Block Kit, embeds, Markdown
in the console) within its own limits. Who sees a reply is decided here, once, by its
``ephemeral`` field: ``True`` means only the asker (lists, search results, errors, settings),
``False`` the whole channel; every platform follows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from digestbot.summarizer.models import Category, Digest, Paper, PaperSummary
from digestbot.summarizer.trends import CategoryTrend


@dataclass(frozen=True)
class TextReply:
    """Our own words (help, errors, confirmations). ``ephemeral``: only the asker sees it."""

    text: str
    ephemeral: bool = False


@dataclass(frozen=True)
class DigestReply:
    """A digest to post: ``brief`` (top picks, compact lists; ``bot/layout/brief.py``) or ``full``;
    ``trends`` are the categories whose share moved (the brief parent names the biggest)."""

    digest: Digest
    chart_png: bytes
    ephemeral: bool = False
    detail: str = "brief"
    trends: tuple[CategoryTrend, ...] = ()


@dataclass(frozen=True)
class PaperReply:
    paper: Paper
    summary: PaperSummary
    language: str = "en"
    ephemeral: bool = False


@dataclass(frozen=True)
class CategoriesReply:
    categories: tuple[Category, ...]
    counts: dict[str, int] = field(default_factory=dict)
    ephemeral: bool = True


@dataclass(frozen=True)
class SearchHit:
    paper: Paper
    digest_date: str
    snippet: str


@dataclass(frozen=True)
class SearchReply:
    query: str
    hits: list[SearchHit]
    ephemeral: bool = True


@dataclass(frozen=True)
class AnswerReply:
    """An answer to a question; ``text`` cites papers as ``[2409.14674]``, and ``citations`` are
    those papers themselves, so every renderer links them the way it links any paper."""

    text: str
    citations: list[Paper]
    ephemeral: bool = False


@dataclass(frozen=True)
class PostedReply:
    """The asked-for digest is already in this channel: point at it instead of posting it again.

    ``thread_id`` is the platform's id of that post; an adapter turns it into a link (a
    permalink, a jump URL) and answers :meth:`text` to the asker only.
    """

    thread_id: str
    digest_date: str
    label: str
    ephemeral: bool = True

    def text(self, url: str | None) -> str:
        where = f": {url}" if url else " — scroll up to find it."
        return f"The {self.label} of {self.digest_date} is already in this channel{where}"


Reply = TextReply | DigestReply | PaperReply | CategoriesReply | SearchReply | AnswerReply | PostedReply
