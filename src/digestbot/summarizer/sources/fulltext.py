"""Papers' full text from arXiv's HTML rendering (https://arxiv.org/html/<id>), for grounded answers.

arXiv converts TeX sources to HTML with LaTeXML; not every paper has it (PDF-only submissions, or
a conversion that failed: a 404, or a page that says "Conversion to HTML had a Fatal error"), and
then answers fall back to the abstract. Fetching it is content access, so it is done politely:
one request at a time, at most one every three seconds, with a descriptive User-Agent — through
the same :class:`ArxivPacer` as the arXiv source, since arXiv counts all requests together — and
each paper's text is fetched at most once: a
:class:`FullTextCache` (memory by default, the database under ``digestbot run``) keeps the text,
or the fact that there is none.

The page is reduced to plain text by section (navigation, bibliography and scripts dropped, maths
kept as its TeX ``alttext``) and cut into overlapping chunks of about 1,000 characters that keep
their section title, which is what the search index stores and the answerer quotes.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Protocol

import requests

from digestbot.summarizer.bounded import BoundedMap, is_held
from digestbot.summarizer.sources.arxiv import DEFAULT_USER_AGENT
from digestbot.summarizer.sources.base import SourceUnavailable
from digestbot.summarizer.sources.polite_http import ArxivPacer, PoliteTransport
from digestbot.summarizer.text import normalize_whitespace, split_sentences

log = logging.getLogger(__name__)

DEFAULT_HTML_URL = "https://arxiv.org/html"
FATAL_CONVERSION = "Conversion to HTML had a Fatal error"
CHUNK_CHARS = 1_000
OVERLAP_CHARS = 150
# A long paper is ~100 KB of text; beyond this it is appendices and tables, not worth indexing.
MAX_TEXT_CHARS = 300_000
_NO_HTML = ""  # what the cache holds for "arXiv has no usable HTML for this version"

# Elements whose text is never paper prose.
_SKIPPED_TAGS = frozenset({"script", "style", "nav", "header", "footer", "head", "svg", "button", "noscript"})
_SKIPPED_CLASSES = frozenset(
    {
        "ltx_bibliography",
        "ltx_TOC",
        "ltx_page_navbar",
        "ltx_page_footer",
        "ltx_authors",
        "ltx_page_logo",
        "ltx_title_document",  # the title is in the paper's metadata already
    }
)
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "li",
        "figcaption",
        "tr",
        "table",
        "blockquote",
        "dd",
        "dt",
        "section",
        "article",
        "figure",
        "h1",
        "h5",
    }
)
_SECTION_HEADINGS = frozenset({"h2", "h3", "h4", "h6"})


@dataclass(frozen=True)
class Section:
    """Text under one heading of a paper, plain (paragraphs separated by blank lines): a whole
    section as parsed, or, once chunked for the search index, a piece of one of about
    :data:`CHUNK_CHARS` characters that keeps its section's title."""

    title: str
    text: str


class FullTextCache(Protocol):
    """Fetched papers' text by ``<id>v<version>`` (or ``<id>``); ``""`` records "no HTML"."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, text: str) -> None: ...


class MemoryFullTextCache:
    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._texts.get(key)

    def put(self, key: str, text: str) -> None:
        self._texts[key] = text


class ArxivHtmlFetcher:
    """Fetches, caches and chunks arXiv HTML full text; synchronous like every source (call it
    through :func:`~digestbot.summarizer.io_pools.source_call`).

    A page that is missing or failed to convert is remembered as "no HTML" and never asked for
    again; a transient failure (arXiv overloaded, no network) is not remembered, so a later
    question may try again, and costs only a short wait because answers fall back to abstracts.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_HTML_URL,
        cache: FullTextCache | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        min_interval_seconds: float = 3.0,
        max_retries: int = 1,
        backoff_seconds: float = 3.0,
        timeout_seconds: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        pacer: ArxivPacer | None = None,
    ) -> None:
        """``pacer``: the arXiv source's, so full-text fetches and listings take turns (arXiv
        counts them together); by default a pacer of its own from the interval/clock/sleep given."""
        self._base_url = base_url.rstrip("/")
        self.cache: FullTextCache = cache or MemoryFullTextCache()
        self._session = requests.Session()
        PoliteTransport(
            pacer=pacer or ArxivPacer(min_interval_seconds=min_interval_seconds, clock=clock, sleep=sleep),
            user_agent=user_agent,
            max_retries=max_retries,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
        ).mount_on(self._session)
        # One lock per paper, held across "is it cached? fetch, store": two questions about one
        # paper fetch it once, and a paper waiting out arXiv's Retry-After holds up no other paper.
        self._guard = threading.Lock()
        self._locks: BoundedMap[str, threading.Lock] = BoundedMap(max_items=256, in_use=is_held)

    def sections(self, arxiv_id: str, *, version: int | None = None) -> list[Section] | None:
        """The paper's text by section, or ``None`` when arXiv has no usable HTML for it."""
        key = f"{arxiv_id}v{version}" if version else arxiv_id
        with self._guard:
            lock = self._locks.get_or_create(key, threading.Lock)
        with lock:
            cached = self.cache.get(key)
            if cached is None:
                fetched = self._fetch(key)
                if fetched is None:
                    return None
                cached = _dump(fetched)
                self.cache.put(key, cached)
        return _load(cached) if cached != _NO_HTML else None

    def chunks(self, arxiv_id: str, *, version: int | None = None) -> list[Section] | None:
        found = self.sections(arxiv_id, version=version)
        return None if found is None else chunk_sections(found)

    def _fetch(self, key: str) -> list[Section] | None:
        """Sections, ``[]`` for a definite "no HTML" (cached), ``None`` for "try again later"."""
        url = f"{self._base_url}/{key}"
        try:
            response = self._session.get(url)
        except (requests.RequestException, SourceUnavailable) as error:
            log.warning("full text of %s unavailable for now (%s); using the abstract", key, error)
            return None
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            log.warning("full text of %s: HTTP %d; using the abstract", key, response.status_code)
            return None
        page = response.content.decode(response.encoding or "utf-8", errors="replace")
        if FATAL_CONVERSION in page:
            return []
        return html_to_sections(page)


def _dump(sections: list[Section]) -> str:
    if not sections:
        return _NO_HTML
    return json.dumps([[s.title, s.text] for s in sections], ensure_ascii=False)


def _load(text: str) -> list[Section]:
    return [Section(title=title, text=body) for title, body in json.loads(text)]


class _LatexmlText(HTMLParser):
    """Collects a LaTeXML page's prose by section; tolerant of unclosed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[Section] = []
        self._open: list[tuple[str, bool]] = []  # (tag, skips its content)
        self._title = ""
        self._paragraphs: list[str] = []
        self._words: list[str] = []
        self._heading: list[str] | None = None
        self._size = 0

    @property
    def _skipping(self) -> bool:
        return any(skips for _, skips in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if tag == "math":
            # Maths is MathML inside; its TeX source is in alttext and reads better as text.
            if not self._skipping:
                self._text(f" {attributes.get('alttext') or ''} ")
            self._open.append((tag, True))
            return
        if tag in _VOID_TAGS:
            if tag == "br":
                self._text(" ")
            return
        skips = tag in _SKIPPED_TAGS or bool(classes & _SKIPPED_CLASSES)
        self._open.append((tag, skips))
        if self._skipping:
            return
        if tag in _SECTION_HEADINGS:
            self._end_paragraph()
            self._heading = []
        elif tag in _BLOCK_TAGS:
            self._end_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if not any(open_tag == tag for open_tag, _ in self._open):
            return
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break
        if self._skipping:
            return
        if tag in _SECTION_HEADINGS and self._heading is not None:
            self._start_section(normalize_whitespace("".join(self._heading)))
        elif tag in _BLOCK_TAGS:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._text(data)

    def _text(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        elif self._size < MAX_TEXT_CHARS:
            self._words.append(data)
            self._size += len(data)

    def _end_paragraph(self) -> None:
        paragraph = normalize_whitespace("".join(self._words))
        self._words = []
        if paragraph:
            self._paragraphs.append(paragraph)

    def _start_section(self, title: str) -> None:
        self._heading = None
        self.finish()
        self._title = title

    def finish(self) -> None:
        self._end_paragraph()
        if self._paragraphs:
            self.sections.append(Section(title=self._title, text="\n\n".join(self._paragraphs)))
        self._paragraphs = []


def html_to_sections(page: str) -> list[Section]:
    """The prose of a LaTeXML page, by section; text before the first heading has title ``""``."""
    parser = _LatexmlText()
    parser.feed(page)
    parser.close()
    parser.finish()
    return parser.sections


def chunk_sections(sections: list[Section], *, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[Section]:
    """Chunks of whole sentences up to ``size`` characters, never across sections; each chunk
    starts with the last ``overlap`` characters' worth of sentences of the one before, so a fact
    stated across a boundary is still found in one piece."""
    chunks: list[Section] = []
    for section in sections:
        sentences = [piece for paragraph in section.text.split("\n\n") for piece in _pieces(paragraph, size)]
        current: list[str] = []
        for sentence in sentences:
            if current and len(" ".join([*current, sentence])) > size:
                chunks.append(Section(section.title, " ".join(current)))
                current = _tail(current, overlap)
            current.append(sentence)
        if current:
            chunks.append(Section(section.title, " ".join(current)))
    return chunks


def _pieces(paragraph: str, size: int) -> list[str]:
    """The paragraph's sentences; a sentence longer than ``size`` (a table row dump) is cut at words."""
    pieces: list[str] = []
    for sentence in split_sentences(paragraph):
        while len(sentence) > size:
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    return pieces


def _tail(sentences: list[str], overlap: int) -> list[str]:
    kept: list[str] = []
    for sentence in reversed(sentences):
        if len(" ".join([sentence, *kept])) > overlap:
            break
        kept.insert(0, sentence)
    return kept
