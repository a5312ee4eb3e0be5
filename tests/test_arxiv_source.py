"""ArxivSource against a local arXiv: the real ``arxiv`` client and feedparser, no network."""

from __future__ import annotations

import datetime as dt
import itertools
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digestbot import __version__
from digestbot.summarizer.models import Note, Paper, note_text
from digestbot.summarizer.sources.arxiv import DEFAULT_USER_AGENT, ArxivSource
from digestbot.summarizer.sources.base import (
    InvalidSourceData,
    NoAnnouncement,
    PaperNotFound,
    SourceUnavailable,
)
from digestbot.summarizer.sources.polite_http import ArxivPacer
from tests.fakes.arxiv_server import FakeArxivServer, FeedItem

ET = ZoneInfo("America/New_York")
FIXTURE = Path(__file__).parent / "fixtures" / "atom-id-1911.12281.xml"
CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "stat.ML", "eess.IV")
FAST = 0.02  # seconds between requests in tests that use the real clock


def et(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ET)


def make_paper(
    number: int,
    *,
    published: dt.datetime | None = None,
    categories: tuple[str, ...] = ("cs.LG", "cs.AI"),
    version: int = 1,
) -> Paper:
    return Paper(
        arxiv_id=f"2410.{number:05d}",
        version=version,
        title=f"Paper {number}:\n  a study of $\\mathcal{{O}}(n)$ things",
        abstract=f"We study thing {number}.\n  It wraps\nover lines & has <tags>.",
        authors=("Ada Lovelace", "Alan Turing"),
        primary_category=categories[0],
        categories=categories,
        published=published,
    )


class FakeTime:
    """An injected clock whose ``sleep`` only advances time and remembers how long it was asked."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def server() -> Iterator[FakeArxivServer]:
    with FakeArxivServer() as running:
        yield running


def make_source(server: FakeArxivServer, *, now: dt.datetime, **overrides: Any) -> ArxivSource:
    options: dict[str, Any] = {
        "api_url": server.api_url,
        "rss_url": server.rss_url,
        "min_interval_seconds": FAST,
        "max_retries": 2,
        "backoff_seconds": 0.001,
        "timeout_seconds": 5.0,
        "now": _fixed(now),
    }
    options.update(overrides)
    return ArxivSource(**options)


def _fixed(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


def gaps(server: FakeArxivServer) -> list[float]:
    times = [request.at for request in server.requests]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


# --- the latest announcement, from the feed ---------------------------------------------------


def test_feed_keeps_new_and_cross_lists_and_drops_replacements(server: FakeArxivServer) -> None:
    new, cross, replaced, replaced_cross = (make_paper(n) for n in (1, 2, 3, 4))
    cross = cross.model_copy(update={"primary_category": "math.OC", "categories": ("math.OC", "cs.LG")})
    server.mailing_date = dt.date(2024, 10, 4)  # Friday's mailing carries Thursday's announcement
    server.feed = [
        FeedItem(new, "new"),
        FeedItem(cross, "cross"),
        FeedItem(replaced.model_copy(update={"version": 2}), "replace"),
        FeedItem(replaced_cross, "replace-cross"),
        FeedItem(new, "cross"),  # the same paper listed twice is kept once
    ]
    source = make_source(server, now=et(2024, 10, 4, 9, 0))

    listing = source.listing()

    assert listing.date == dt.date(2024, 10, 3)
    assert listing.source == "arxiv"
    assert [paper.arxiv_id for paper in listing.papers] == ["2410.00001", "2410.00002"]
    first = listing.papers[0]
    assert first.title == "Paper 1: a study of 𝒪(n) things"  # lines folded, TeX rendered (Paper does it)
    assert first.abstract == "We study thing 1. It wraps over lines & has <tags>."
    assert first.authors == ("Ada Lovelace", "Alan Turing")
    assert (first.primary_category, first.categories) == ("cs.LG", ("cs.LG", "cs.AI"))
    assert listing.papers[1].primary_category == "math.OC"
    [request] = server.requests
    assert request.path == "/rss/" + "+".join(CATEGORIES)
    assert request.headers["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith(f"paper-digest-bot/{__version__} ")


def test_day_equal_to_the_feeds_announcement_uses_the_feed(server: FakeArxivServer) -> None:
    server.mailing_date = dt.date(2024, 10, 8)
    server.feed = [FeedItem(make_paper(1))]
    source = make_source(server, now=et(2024, 10, 8, 9, 0))

    assert [p.arxiv_id for p in source.listing(dt.date(2024, 10, 7)).papers] == ["2410.00001"]
    assert [r.path.split("/")[1] for r in server.requests] == ["rss"]


@pytest.mark.parametrize(
    ("now", "mailing_date", "reason"),
    [
        (et(2024, 10, 5, 10, 0), dt.date(2024, 10, 5), "arXiv does not announce on Fridays"),
        (et(2024, 10, 6, 10, 0), dt.date(2024, 10, 6), "arXiv does not announce on Saturdays"),
        (et(2024, 10, 6, 10, 0), None, "arXiv does not announce on Saturdays"),
    ],
)
def test_empty_feed_on_a_weekend_is_no_announcement(
    server: FakeArxivServer, now: dt.datetime, mailing_date: dt.date | None, reason: str
) -> None:
    server.mailing_date = mailing_date
    with pytest.raises(NoAnnouncement) as caught:
        make_source(server, now=now).listing()
    assert str(caught.value) == f"{reason}; the next announcement is Sunday 2024-10-06 20:00 ET."


def test_unreadable_feed_item_is_reported_not_skipped(server: FakeArxivServer) -> None:
    server.raw_feed_response = (
        b'<rss xmlns:arxiv="http://arxiv.org/schemas/atom" version="2.0"><channel><item>'
        b"<title>Broken</title><link>https://arxiv.org/abs/not-an-id</link>"
        b"<description>Announce Type: new Abstract: x</description>"
        b"<arxiv:announce_type>new</arxiv:announce_type></item></channel></rss>"
    )
    with pytest.raises(InvalidSourceData, match=r"not a paper: https://arxiv\.org/abs/not-an-id"):
        make_source(server, now=et(2024, 10, 8, 9, 0)).listing()


def test_an_error_page_instead_of_a_feed_is_unavailable(server: FakeArxivServer) -> None:
    server.raw_feed_response = b"<html><body>Service temporarily down</body></html>"
    with pytest.raises(SourceUnavailable, match="not a feed"):
        make_source(server, now=et(2024, 10, 8, 9, 0)).listing()


def test_empty_feed_after_an_announcement_is_a_failure_not_an_empty_digest(server: FakeArxivServer) -> None:
    server.mailing_date = dt.date(2024, 10, 8)
    with pytest.raises(SourceUnavailable, match="try again later"):
        make_source(server, now=et(2024, 10, 8, 9, 0)).listing()


def test_stale_feed_for_todays_announcement_falls_back_to_the_api(server: FakeArxivServer) -> None:
    # 21:00 ET Monday: Monday is announced, but the feed is still Monday's mailing (Sunday's papers).
    server.mailing_date = dt.date(2024, 10, 7)
    server.feed = [FeedItem(make_paper(9))]
    server.papers = [make_paper(1, published=dt.datetime(2024, 10, 7, 12, tzinfo=dt.UTC))]
    source = make_source(server, now=et(2024, 10, 7, 21, 0))

    assert source.listing().date == dt.date(2024, 10, 6)
    listing = source.listing(dt.date(2024, 10, 7))

    assert [p.arxiv_id for p in listing.papers] == ["2410.00001"]
    assert [r.path for r in server.requests] == ["/rss/" + "+".join(CATEGORIES)] * 2 + ["/api/query"]
    assert min(gaps(server)) >= FAST


# --- past days, from the API ------------------------------------------------------------------


def test_past_day_pages_through_its_submission_window(server: FakeArxivServer) -> None:
    # Monday 7 Oct 2024 announces Fri 4 Oct 14:00 ET (18:00 UTC) to Mon 7 Oct 14:00 ET (18:00 UTC).
    inside = [make_paper(n, published=dt.datetime(2024, 10, 5, n, tzinfo=dt.UTC)) for n in range(1, 6)]
    just_before = make_paper(20, published=dt.datetime(2024, 10, 4, 17, 59, 59, tzinfo=dt.UTC))
    at_deadline = make_paper(21, published=dt.datetime(2024, 10, 7, 18, 0, 30, tzinfo=dt.UTC))
    other_field = make_paper(22, published=dt.datetime(2024, 10, 5, 9, tzinfo=dt.UTC), categories=("math.AG",))
    server.papers = [at_deadline, *reversed(inside), just_before, other_field]
    source = make_source(server, now=et(2024, 10, 9, 12, 0), page_size=2)

    listing = source.listing(dt.date(2024, 10, 7))

    assert [p.arxiv_id for p in listing.papers] == [p.arxiv_id for p in inside]
    assert listing.date == dt.date(2024, 10, 7)
    (note,) = listing.notes
    assert isinstance(note, Note) and note_text(note, "en").startswith("Rebuilt from the arXiv API")
    assert note_text(note, "ko").startswith("arXiv API로 다시 구성함")
    api = server.api_requests()
    assert [(r.query["start"], r.query["max_results"]) for r in api] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert api[0].query["search_query"] == (
        "(" + " OR ".join(f"cat:{c}" for c in CATEGORIES) + ") AND submittedDate:[202410041800 TO 202410071800]"
    )
    assert {r.headers["User-Agent"] for r in api} == {DEFAULT_USER_AGENT}
    assert min(gaps(server)) >= FAST


def test_past_day_with_nothing_submitted_is_no_announcement(server: FakeArxivServer) -> None:
    with pytest.raises(NoAnnouncement, match="lists no new"):
        make_source(server, now=et(2024, 10, 9, 12, 0)).listing(dt.date(2024, 10, 7))


def test_an_empty_page_in_the_middle_is_retried(server: FakeArxivServer) -> None:
    server.papers = [make_paper(n, published=dt.datetime(2024, 10, 5, n, tzinfo=dt.UTC)) for n in range(1, 4)]
    server.empty_pages_next(times=1)
    source = make_source(server, now=et(2024, 10, 9, 12, 0), page_size=2)

    assert len(source.listing(dt.date(2024, 10, 7)).papers) == 3
    assert [r.query["start"] for r in server.api_requests()] == ["0", "2", "2"]


def test_empty_pages_that_persist_are_unavailable(server: FakeArxivServer) -> None:
    server.papers = [make_paper(n, published=dt.datetime(2024, 10, 5, n, tzinfo=dt.UTC)) for n in range(1, 4)]
    server.empty_pages_next(times=10)
    source = make_source(server, now=et(2024, 10, 9, 12, 0), page_size=2)

    with pytest.raises(SourceUnavailable, match=r"empty page .* try again later"):
        source.listing(dt.date(2024, 10, 7))


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(2024, 10, 4), "does not announce on Fridays"),
        (dt.date(2024, 10, 10), "in the future"),
    ],
)
def test_days_without_an_announcement_ask_arxiv_nothing(server: FakeArxivServer, day: dt.date, message: str) -> None:
    with pytest.raises(NoAnnouncement, match=message):
        make_source(server, now=et(2024, 10, 9, 12, 0)).listing(day)
    assert server.requests == []


# --- one paper ----------------------------------------------------------------------------------


def test_paper_by_id(server: FakeArxivServer) -> None:
    server.papers = [make_paper(1, version=3), make_paper(2)]
    paper = make_source(server, now=et(2024, 10, 9, 12, 0)).paper("2410.00001")

    assert (paper.arxiv_id, paper.version) == ("2410.00001", 3)
    assert server.requests[0].query["id_list"] == "2410.00001"


def test_unknown_or_malformed_paper_is_not_found(server: FakeArxivServer) -> None:
    source = make_source(server, now=et(2024, 10, 9, 12, 0))
    with pytest.raises(PaperNotFound, match=r"arXiv has no paper 2410\.99999"):
        source.paper("2410.99999")
    with pytest.raises(PaperNotFound, match="not an arXiv id"):
        source.paper("not a paper")
    assert len(server.requests) == 1


def test_real_api_response_parses(server: FakeArxivServer) -> None:
    server.raw_api_response = FIXTURE.read_bytes()
    paper = make_source(server, now=et(2024, 10, 9, 12, 0)).paper("1911.12281")

    assert (paper.arxiv_id, paper.version) == ("1911.12281", 2)
    assert paper.title == "Configuration Spaces of Surfaces"
    assert paper.authors == ("Ricardo Campos", "Najib Idrissi", "Thomas Willwacher")
    assert (paper.primary_category, paper.categories) == ("math.QA", ("math.QA", "math.AT"))
    assert paper.comment == "50 pages. v2: fixed typos"
    assert paper.published == dt.datetime(2019, 11, 27, 16, 52, 52, tzinfo=dt.UTC)
    assert paper.abstract.startswith("We compute small rational models for configuration spaces of points on oriented")
    assert "Poisson-$\\sigma$-model" in paper.abstract
    assert "\n" not in paper.abstract


# --- arXiv's terms: retries, backoff, pacing, one connection ----------------------------------


def test_503_then_success_retries_with_pacing(server: FakeArxivServer) -> None:
    server.papers = [make_paper(1)]
    server.fail_next(status=503, times=2)

    paper = make_source(server, now=et(2024, 10, 9, 12, 0)).paper("2410.00001")

    assert paper.arxiv_id == "2410.00001"
    assert len(server.requests) == 3
    assert min(gaps(server)) >= FAST


def test_retry_after_is_honoured_and_pacing_uses_the_injected_clock(server: FakeArxivServer) -> None:
    server.papers = [make_paper(1)]
    server.fail_next(status=429, times=1, retry_after="7")
    fake = FakeTime()
    source = make_source(
        server,
        now=et(2024, 10, 9, 12, 0),
        min_interval_seconds=3.0,
        backoff_seconds=1.0,
        clock=fake.clock,
        sleep=fake.sleep,
    )

    source.paper("2410.00001")
    assert fake.sleeps == [7.0]  # Retry-After beats the 1 s backoff, and covers the 3 s interval
    source.paper("2410.00001")
    assert fake.sleeps == [7.0, 3.0]  # the next request waits out arXiv's 3 s


def test_backoff_grows_exponentially(server: FakeArxivServer) -> None:
    server.fail_next(status=503, times=3)
    fake = FakeTime()
    source = make_source(
        server,
        now=et(2024, 10, 9, 12, 0),
        max_retries=3,
        min_interval_seconds=0.0,
        backoff_seconds=2.0,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    with pytest.raises(PaperNotFound):
        source.paper("2410.00001")
    assert fake.sleeps == [2.0, 4.0, 8.0]


def test_persistent_503_is_unavailable_after_max_retries(server: FakeArxivServer) -> None:
    server.fail_next(status=503, times=50)
    with pytest.raises(SourceUnavailable) as caught:
        make_source(server, now=et(2024, 10, 9, 12, 0)).paper("2410.00001")
    assert str(caught.value) == "arXiv is not answering (HTTP 503) — try again later."
    assert len(server.requests) == 3  # max_retries=2: not multiplied by the arxiv client's retries


def test_persistent_503_on_the_feed_is_unavailable(server: FakeArxivServer) -> None:
    server.fail_next(status=503, times=50)
    with pytest.raises(SourceUnavailable, match=r"HTTP 503\) — try again later"):
        make_source(server, now=et(2024, 10, 8, 9, 0)).listing()


def test_rate_exceeded_with_http_200_is_retried(server: FakeArxivServer) -> None:
    server.mailing_date = dt.date(2024, 10, 8)
    server.feed = [FeedItem(make_paper(1))]
    server.rate_exceed_next(times=1)

    listing = make_source(server, now=et(2024, 10, 8, 9, 0)).listing()

    assert len(listing.papers) == 1
    assert len(server.requests) == 2


def test_rate_exceeded_that_persists_is_unavailable_not_empty(server: FakeArxivServer) -> None:
    server.rate_exceed_next(times=50)
    with pytest.raises(SourceUnavailable, match="Rate exceeded"):
        make_source(server, now=et(2024, 10, 9, 12, 0)).listing(dt.date(2024, 10, 7))


def test_connection_errors_are_retried_then_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = ArxivSource(
        api_url=f"http://127.0.0.1:{port}/api/query",
        min_interval_seconds=0.0,
        max_retries=1,
        backoff_seconds=0.001,
    )
    with pytest.raises(SourceUnavailable, match=r"\(ConnectionError\) — try again later"):
        source.paper("2410.00001")


def test_one_request_at_a_time_across_threads(server: FakeArxivServer) -> None:
    server.papers = [make_paper(n) for n in range(1, 4)]
    source = make_source(server, now=et(2024, 10, 9, 12, 0))
    threads = [threading.Thread(target=source.paper, args=(f"2410.{n:05d}",)) for n in range(1, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(server.requests) == 3
    assert server.max_in_flight == 1
    assert min(gaps(server)) >= FAST


def test_callers_waiting_for_their_turn_hold_no_lock() -> None:
    """Two callers can both be asleep waiting for their slots: neither sleeps under a lock, so a
    long ``Retry-After`` never makes other threads queue on a lock (arXiv is still paced)."""
    sleepers = threading.Semaphore(0)
    wake = threading.Event()
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        sleepers.release()
        wake.wait()
        fake.sleep(seconds)

    pacer = ArxivPacer(min_interval_seconds=3.0, clock=fake.clock, sleep=sleep)
    with pacer.turn():
        pass  # the next two callers must wait 3 s and 6 s

    def request() -> None:
        with pacer.turn():
            pass

    callers = [threading.Thread(target=request) for _ in range(2)]
    for caller in callers:
        caller.start()
    assert sleepers.acquire(timeout=30) and sleepers.acquire(timeout=30)  # both asleep at once
    wake.set()
    for caller in callers:
        caller.join()
