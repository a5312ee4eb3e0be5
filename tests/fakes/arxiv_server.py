"""A local arXiv over real HTTP: the API's Atom pages and rss.arxiv.org's announcement feed.

Tests point the real ``arxiv`` client and ``feedparser`` at it, then assert on what it received.
The Atom format follows the real response in ``tests/fixtures/atom-id-1911.12281.xml``; the feed
follows rss.arxiv.org's RSS 2.0 (``arxiv:announce_type``, ``dc:creator``, one ``category`` per
arXiv category, description ``arXiv:<id>v<n> Announce Type: <type> Abstract: ...``).

The API part understands the queries our source sends: ``cat:`` terms joined by OR, an optional
``submittedDate:[YYYYMMDDHHMM TO YYYYMMDDHHMM]`` (both minutes inclusive, matched against v1
``published``, like arXiv), and ``id_list``; anything else is answered with HTTP 400.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from digestbot.summarizer.models import Paper
from tests.fakes.local_http import LocalHttpServer

_EASTERN = ZoneInfo("America/New_York")
_CATEGORY_TERM = re.compile(r"cat:([\w.\-]+)")
_WINDOW_TERM = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")
_VERSION_SUFFIX = re.compile(r"v\d+$")
_QUERY_GLUE = re.compile(r"^[\s()]*(?:(?:AND|OR)[\s()]*)*$")
_DEFAULT_PUBLISHED = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; ``at`` is ``time.monotonic()`` on arrival."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class FeedItem:
    """One item of the announcement feed: a paper and why it is in today's mailing."""

    paper: Paper
    announce_type: str = "new"


@dataclass(frozen=True)
class _Canned:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakeArxivServer(LocalHttpServer):
    """Serves ``/api/query`` and ``/rss/<cat>+<cat>`` on 127.0.0.1; use it as a context manager."""

    def __init__(
        self,
        *,
        papers: Iterable[Paper] = (),
        feed: Iterable[FeedItem] = (),
        mailing_date: dt.date | None = None,
    ) -> None:
        self.papers = list(papers)
        self.feed = list(feed)
        self.mailing_date = mailing_date
        self.raw_api_response: bytes | None = None
        self.raw_feed_response: bytes | None = None
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._canned: deque[_Canned] = deque()
        self._empty_pages = 0
        self._lock = threading.Lock()
        super().__init__(_handler_for(self))

    @property
    def base_url(self) -> str:
        return self.origin

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def rss_url(self) -> str:
        return f"{self.base_url}/rss"

    def api_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/api/query"]

    def fail_next(self, *, status: int = 503, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests (either endpoint) with ``status``."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = f"HTTP {status}".encode()
        self._canned.extend(_Canned(status, body, headers) for _ in range(times))

    def rate_exceed_next(self, *, times: int = 1) -> None:
        """arXiv's other load signal: HTTP 200 whose body is just ``Rate exceeded.``."""
        self._canned.extend(_Canned(200, b"Rate exceeded.") for _ in range(times))

    def empty_pages_next(self, *, times: int = 1) -> None:
        """Answer the next ``times`` non-first API pages with no entries (arxiv.py#129, #158)."""
        self._empty_pages += times

    def _respond(self, path: str, query: dict[str, str]) -> _Canned:
        if self._canned:
            return self._canned.popleft()
        if path == "/api/query":
            return self._api(query)
        if path.startswith("/rss/"):
            return self._rss(path.removeprefix("/rss/").split("+"))
        return _Canned(404, b"Not found")

    def _api(self, query: dict[str, str]) -> _Canned:
        if self.raw_api_response is not None:
            return _atom_response(self.raw_api_response)
        search = query.get("search_query", "")
        if _QUERY_GLUE.match(_WINDOW_TERM.sub("", _CATEGORY_TERM.sub("", search))) is None:
            return _Canned(400, f"unsupported query: {search}".encode())
        matches = _sorted(
            [p for p in self.papers if _matches(p, search, query.get("id_list", ""))],
            by=query.get("sortBy", "relevance"),
            order=query.get("sortOrder", "descending"),
        )
        start, size = int(query.get("start", "0")), int(query.get("max_results", "10"))
        page = matches[start : start + size]
        if start > 0 and self._empty_pages > 0:
            self._empty_pages -= 1
            page = []
        return _atom_response(atom_feed(page, total=len(matches), start=start, per_page=size).encode())

    def _rss(self, categories: list[str]) -> _Canned:
        if self.raw_feed_response is not None:
            return _Canned(200, self.raw_feed_response, {"Content-Type": "application/rss+xml"})
        items = [item for item in self.feed if set(item.paper.arxiv_categories) & set(categories)]
        body = rss_feed(items, categories=categories, mailing_date=self.mailing_date)
        return _Canned(200, body.encode(), {"Content-Type": "application/rss+xml; charset=utf-8"})

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _finish(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _handler_for(server: FakeArxivServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
            server._record(RecordedRequest(url.path, query, dict(self.headers.items()), time.monotonic()))
            try:
                canned = server._respond(url.path, query)
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)
            finally:
                server._finish()

        def log_message(self, format: str, *args: object) -> None:
            """Silence the per-request stderr log; tests read ``server.requests`` instead."""

    return Handler


def _atom_response(body: bytes) -> _Canned:
    return _Canned(200, body, {"Content-Type": "application/atom+xml; charset=utf-8"})


def _matches(paper: Paper, search: str, id_list: str) -> bool:
    wanted_ids = {_VERSION_SUFFIX.sub("", raw) for raw in id_list.split(",") if raw}
    if wanted_ids and paper.arxiv_id not in wanted_ids:
        return False
    categories = set(_CATEGORY_TERM.findall(search))
    if categories and not categories & set(paper.arxiv_categories):
        return False
    window = _WINDOW_TERM.search(search)
    if window is None:
        return bool(wanted_ids or categories)
    start, end = (dt.datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=dt.UTC) for stamp in window.groups())
    return start <= _published(paper) < end + dt.timedelta(minutes=1)


def _sorted(papers: list[Paper], *, by: str, order: str) -> list[Paper]:
    if by != "submittedDate":
        return papers
    return sorted(papers, key=_published, reverse=order == "descending")


def _published(paper: Paper) -> dt.datetime:
    return paper.published or _DEFAULT_PUBLISHED


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(papers: list[Paper], *, total: int, start: int = 0, per_page: int = 10) -> str:
    """An arXiv API (legacy Atom) response page, shaped like the real fixture."""
    opensearch = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    entries = "".join(atom_entry(paper) for paper in papers)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        '  <title type="html">ArXiv Query: fake</title>\n'
        "  <id>http://arxiv.org/api/fake</id>\n"
        f"  <updated>{_stamp(dt.datetime.now(dt.UTC))}</updated>\n"
        f"  <opensearch:totalResults {opensearch}>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex {opensearch}>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage {opensearch}>{per_page}</opensearch:itemsPerPage>\n"
        f"{entries}</feed>\n"
    )


def atom_entry(paper: Paper) -> str:
    """One ``<entry>``: latest version in ``id``, v1 submission time in ``published``."""
    arxiv_ns = 'xmlns:arxiv="http://arxiv.org/schemas/atom"'
    versioned = f"{paper.arxiv_id}v{paper.version}"
    authors = "".join(f"    <author>\n      <name>{escape(name)}</name>\n    </author>\n" for name in paper.authors)
    comment = f"    <arxiv:comment {arxiv_ns}>{escape(paper.comment)}</arxiv:comment>\n" if paper.comment else ""
    categories = "".join(
        f'    <category term="{category}" scheme="http://arxiv.org/schemas/atom"/>\n'
        for category in paper.arxiv_categories
    )
    primary = paper.primary_category or (paper.categories[0] if paper.categories else "cs.AI")
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{versioned}</id>\n"
        f"    <updated>{_stamp(paper.updated or _published(paper))}</updated>\n"
        f"    <published>{_stamp(_published(paper))}</published>\n"
        f"    <title>{escape(paper.title)}</title>\n"
        f"    <summary>{escape(paper.abstract)}</summary>\n"
        f"{authors}{comment}"
        f'    <link href="http://arxiv.org/abs/{versioned}" rel="alternate" type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{versioned}" rel="related" type="application/pdf"/>\n'
        f'    <arxiv:primary_category {arxiv_ns} term="{primary}" scheme="http://arxiv.org/schemas/atom"/>\n'
        f"{categories}"
        "  </entry>\n"
    )


def rss_feed(items: list[FeedItem], *, categories: list[str], mailing_date: dt.date | None) -> str:
    """An rss.arxiv.org feed; ``pubDate`` is the mailing date (00:00 Eastern), omitted if None."""
    name = "+".join(categories)
    pub_date = ""
    if mailing_date is not None:
        midnight = dt.datetime.combine(mailing_date, dt.time(0), tzinfo=_EASTERN)
        pub_date = f"<pubDate>{email.utils.format_datetime(midnight)}</pubDate>\n"
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">\n<channel>\n'
        f"<title>{name} updates on arXiv.org</title>\n<link>http://rss.arxiv.org/rss/{name}</link>\n"
        f"<description>{name} updates on the arXiv.org e-print archive.</description>\n"
        f'<atom:link href="http://rss.arxiv.org/rss/{name}" rel="self" type="application/rss+xml"/>\n'
        "<docs>http://www.rssboard.org/rss-specification</docs>\n<language>en-us</language>\n"
        f"{pub_date}<managingEditor>rss-help@arxiv.org</managingEditor>\n"
        "<skipDays>\n<day>Saturday</day>\n<day>Sunday</day>\n</skipDays>\n"
        f"{''.join(rss_item(item, pub_date=pub_date) for item in items)}</channel>\n</rss>\n"
    )


def rss_item(item: FeedItem, *, pub_date: str = "") -> str:
    paper = item.paper
    versioned = f"{paper.arxiv_id}v{paper.version}"
    description = f"arXiv:{versioned} Announce Type: {item.announce_type} \nAbstract: {paper.abstract}"
    categories = "".join(f"<category>{category}</category>\n" for category in paper.arxiv_categories)
    return (
        "<item>\n"
        f"<title>{escape(paper.title)}</title>\n"
        f"<link>https://arxiv.org/abs/{paper.arxiv_id}</link>\n"
        f"<description>{escape(description)}</description>\n"
        f'<guid isPermaLink="false">oai:arXiv.org:{versioned}</guid>\n'
        f"{categories}{pub_date}"
        f"<arxiv:announce_type>{item.announce_type}</arxiv:announce_type>\n"
        "<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>\n"
        f"<dc:creator>{escape(', '.join(paper.authors))}</dc:creator>\n"
        "</item>\n"
    )
