"""Papers straight from arXiv: the announcement feed for the latest day, the API for older ones.

Why two endpoints: rss.arxiv.org carries exactly the latest announcement (new submissions,
cross-lists and replacements, told apart by ``arxiv:announce_type``), in one request for every
category. The API cannot say what was *announced* on a date, so a past day is rebuilt from its
submission window (see :mod:`.calendar`): papers whose first version arrived in it.

Every request of an :class:`ArxivSource`, both endpoints and every page and retry, goes through
the paced, retrying transport of :mod:`.polite_http`, whose pacer the full-text fetcher shares.
The bot calls sources through :func:`~digestbot.summarizer.io_pools.source_call`, a small pool
of its own, so a backlog of paced requests never occupies asyncio's default executor.
arXiv also answers load with 429/503 (or HTTP 200 and the body ``Rate exceeded.``); those are
retried with backoff and then reported as :class:`SourceUnavailable`, never as an empty day.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Collection, Iterable, Sequence

import arxiv
import feedparser
import requests

from digestbot import __version__
from digestbot.summarizer.ids import InvalidArxivId, parse_arxiv_ref, split_versioned_id
from digestbot.summarizer.models import Note, Paper
from digestbot.summarizer.sources.base import (
    InvalidSourceData,
    Listing,
    NoAnnouncement,
    PaperNotFound,
    SourceError,
    SourceUnavailable,
    deduplicate,
)
from digestbot.summarizer.sources.calendar import (
    EASTERN,
    KNOWN_HOLIDAYS,
    announcement_before_mailing,
    describe,
    latest_announcement,
    next_announcement,
    no_announcement_reason,
    require_announced,
    submission_window,
)
from digestbot.summarizer.sources.polite_http import ArxivPacer, PoliteTransport, arxiv_unavailable

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_RSS_URL = "https://rss.arxiv.org/rss"
DEFAULT_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "stat.ML", "eess.IV")
# arXiv asks API clients to identify themselves; a unique agent is also its maintainers' advice
# for clients that get HTTP 429 below the documented limits (lukasschwab/arxiv.py#203).
DEFAULT_USER_AGENT = f"paper-digest-bot/{__version__} (daily digest of new arXiv papers; python-requests)"

_KEPT_ANNOUNCE_TYPES = frozenset({"new", "cross"})
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?\s*(?P<abstract>.*)$",
    re.DOTALL,
)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ArxivSource:
    """The real source of papers: arXiv's announcement feed and its API, asked politely."""

    name = "arxiv"

    def __init__(
        self,
        *,
        api_url: str = DEFAULT_API_URL,
        rss_url: str = DEFAULT_RSS_URL,
        arxiv_categories: Sequence[str] = DEFAULT_CATEGORIES,
        user_agent: str = DEFAULT_USER_AGENT,
        min_interval_seconds: float = 3.0,
        max_retries: int = 4,
        backoff_seconds: float = 3.0,
        timeout_seconds: float = 30.0,
        page_size: int = 200,
        holidays: Collection[dt.date] = KNOWN_HOLIDAYS,
        now: Callable[[], dt.datetime] = _utc_now,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rss_url = rss_url.rstrip("/")
        self._categories = tuple(arxiv_categories)
        self._holidays = holidays
        self._now = now
        # One client for the source's lifetime: arxiv.Client paces only its own requests. Its
        # own delay is off because the transport paces every request, RSS included; its retries
        # remain for the API's sporadic empty pages (UnexpectedEmptyPageError).
        self._client = arxiv.Client(page_size=page_size, delay_seconds=0.0, num_retries=max_retries)
        self._client.query_url_format = api_url.replace("{", "{{").replace("}", "}}") + "?{}"
        # Shared with the full-text fetcher (see :attr:`pacer`), so all arXiv traffic takes turns.
        self.pacer = ArxivPacer(min_interval_seconds=min_interval_seconds, clock=clock, sleep=sleep)
        self._session: requests.Session = self._client._session
        PoliteTransport(
            pacer=self.pacer,
            user_agent=user_agent,
            max_retries=max_retries,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
        ).mount_on(self._session)

    def listing(self, day: dt.date | None = None) -> Listing:
        """Papers announced on ``day`` (an announcement date, see :mod:`.calendar`).

        ``None`` means the announcement in arXiv's feed: one request. The feed turns over at
        midnight Eastern, so between 20:00 and midnight it still holds the previous evening's;
        the listing's ``date`` says which one it is.
        """
        now = self._now()
        if day is None:
            feed_day, papers = self._read_feed(now)
            if not papers:
                raise self._empty_feed_error(feed_day, now)
            return Listing(date=feed_day, papers=papers, source=self.name)
        require_announced(day, now=now, holidays=self._holidays)
        if day == latest_announcement(now, holidays=self._holidays):
            feed_day, papers = self._read_feed(now)
            if papers and feed_day == day:
                return Listing(date=day, papers=papers, source=self.name)
        return self._listing_from_api(day)

    def paper(self, arxiv_id: str) -> Paper:
        """The latest version of one paper, by id."""
        try:
            wanted = parse_arxiv_ref(arxiv_id).arxiv_id
        except InvalidArxivId as error:
            raise PaperNotFound(str(error)) from error
        for result in self._results(arxiv.Search(id_list=[wanted], max_results=1)):
            paper = paper_from_result(result)
            if paper.arxiv_id == wanted:
                return paper
        raise PaperNotFound(f"arXiv has no paper {wanted}.")

    def _read_feed(self, now: dt.datetime) -> tuple[dt.date, list[Paper]]:
        """The feed's announcement date and its new papers and cross-lists (replacements dropped)."""
        url = f"{self._rss_url}/{'+'.join(self._categories)}"
        try:
            response = self._session.get(url)
        except requests.RequestException as error:
            raise arxiv_unavailable(type(error).__name__) from error
        if response.status_code != 200:
            raise arxiv_unavailable(f"HTTP {response.status_code}")
        # Titles and abstracts are plain text (with TeX such as "$a<b$"); the sanitizer would eat them.
        feed = feedparser.parse(response.content, sanitize_html=False)
        if not feed.get("version"):
            raise SourceUnavailable("arXiv's feed sent something that is not a feed — try again later.")
        return _feed_announcement_date(feed, now), _papers_in_feed(feed)

    def _empty_feed_error(self, feed_day: dt.date, now: dt.datetime) -> SourceError:
        """An empty feed is normal after a Friday, Saturday or holiday; otherwise arXiv is lagging."""
        reason = no_announcement_reason(feed_day, holidays=self._holidays)
        if reason is None:
            return SourceUnavailable(
                f"arXiv's feed is empty although it announced on {describe(feed_day)} — try again later."
            )
        upcoming = next_announcement(now, holidays=self._holidays)
        return NoAnnouncement(f"{reason}; the next announcement is {describe(upcoming)}.")

    def _listing_from_api(self, day: dt.date) -> Listing:
        """Rebuild a past announcement from the API: first versions submitted in its window."""
        start, end = submission_window(day, holidays=self._holidays)
        search = arxiv.Search(
            query=window_query(self._categories, start=start, end=end),
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        papers = [paper_from_result(result) for result in self._results(search) if start <= result.published < end]
        if not papers:
            raise NoAnnouncement(
                f"arXiv's API lists no new {', '.join(self._categories)} papers for {describe(day)} "
                "(a holiday, or not indexed yet)."
            )
        note = Note(key="source.rebuilt", values={"start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%Y-%m-%d %H:%M}"})
        return Listing(date=day, papers=deduplicate(papers), source=self.name, notes=[note])

    def _results(self, search: arxiv.Search) -> list[arxiv.Result]:
        """Every result of a search, all pages, with the arxiv package's errors made ours."""
        try:
            return list(self._client.results(search))
        except arxiv.UnexpectedEmptyPageError as error:
            raise SourceUnavailable(
                "arXiv returned an empty page in the middle of the results — try again later."
            ) from error
        except arxiv.HTTPError as error:
            raise arxiv_unavailable(f"HTTP {error.status}") from error
        except requests.RequestException as error:
            raise arxiv_unavailable(type(error).__name__) from error


def window_query(categories: Iterable[str], *, start: dt.datetime, end: dt.datetime) -> str:
    """An API query for papers in ``categories`` submitted between two UTC instants (minutes)."""
    any_category = " OR ".join(f"cat:{category}" for category in categories)
    return f"({any_category}) AND submittedDate:[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"


def paper_from_result(result: arxiv.Result) -> Paper:
    """Our :class:`Paper` from an ``arxiv`` API result (latest version, v1 ``published``)."""
    arxiv_id, version = split_versioned_id(result.get_short_id())
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_one_line(result.title),
        abstract=_one_line(result.summary),
        authors=tuple(author.name for author in result.authors),
        primary_category=result.primary_category or None,
        categories=tuple(result.categories),
        published=result.published,
        updated=result.updated,
        comment=_one_line(result.comment or "") or None,
    )


def paper_from_feed_entry(entry: feedparser.FeedParserDict) -> Paper | None:
    """Our :class:`Paper` from a feed item, or ``None`` for a replacement (not news)."""
    summary = entry.get("summary", "")
    described = _DESCRIPTION.match(summary)
    announce_type = entry.get("arxiv_announce_type") or (described["type"] if described else "")
    if announce_type.strip().lower() not in _KEPT_ANNOUNCE_TYPES:
        return None
    raw_id = described["id"] if described else entry.get("link", "")
    arxiv_id, version = split_versioned_id(raw_id)
    categories = tuple(tag["term"] for tag in entry.get("tags", []) if tag.get("term"))
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=_one_line(entry.get("title", "")),
        abstract=_one_line(described["abstract"] if described else summary),
        authors=tuple(name.strip() for name in entry.get("author", "").split(",") if name.strip()),
        primary_category=categories[0] if categories else None,
        categories=categories,
    )


def _papers_in_feed(feed: feedparser.FeedParserDict) -> list[Paper]:
    """The feed's new papers and cross-lists; an unreadable item stops the read, naming the item."""
    papers: list[Paper] = []
    for entry in feed.entries:
        try:
            paper = paper_from_feed_entry(entry)
        except ValueError as error:  # InvalidArxivId, or pydantic's ValidationError
            shown = entry.get("link") or entry.get("title") or "an item without link or title"
            raise InvalidSourceData(f"arXiv's feed holds something that is not a paper: {shown}.") from error
        if paper is not None:
            papers.append(paper)
    return deduplicate(papers)


def _feed_announcement_date(feed: feedparser.FeedParserDict, now: dt.datetime) -> dt.date:
    """The feed's ``pubDate`` is its mailing date; without one, the feed is today's (Eastern)."""
    parsed = feed.feed.get("published_parsed") or feed.feed.get("updated_parsed")
    stamp = dt.datetime(*parsed[:6]).replace(tzinfo=dt.UTC) if parsed else now
    return announcement_before_mailing(stamp.astimezone(EASTERN).date())


def _one_line(text: str) -> str:
    """arXiv hard-wraps titles and abstracts; join the lines, leave TeX alone."""
    return " ".join(text.split())
