"""arXiv HTML full text: parsed from LaTeXML, chunked, fetched politely and only once."""

from __future__ import annotations

import itertools

from digestbot.summarizer.sources.arxiv import ArxivSource
from digestbot.summarizer.sources.fulltext import (
    ArxivHtmlFetcher,
    MemoryFullTextCache,
    Section,
    chunk_sections,
    html_to_sections,
)
from tests.fakes.arxiv_html import FakeArxivHtmlServer, SimulatedClock, latexml_page
from tests.fakes.arxiv_server import FakeArxivServer
from tests.helpers import make_paper

METHOD = (
    'We train the policy with <math alttext="\\gamma=0.99" display="inline"><semantics><mi>γ</mi></semantics></math> '
    "on a single A100 GPU for 12 hours, reaching 87.5% success."
)
PAGE = latexml_page(
    title="RACER: Rich Language-Guided Failure Recovery Policies",
    abstract="We present RACER, a failure recovery framework.",
    sections=[
        ("Introduction", ["Robots fail. Recovering from failure matters."]),
        ("Method", [METHOD, "The supervisor is a vision-language model."]),
    ],
)


def _fetcher(server: FakeArxivHtmlServer, clock: SimulatedClock, **options: object) -> ArxivHtmlFetcher:
    return ArxivHtmlFetcher(base_url=server.base_url, clock=clock, sleep=clock.sleep, backoff_seconds=3.0, **options)  # type: ignore[arg-type]


def test_latexml_page_becomes_sections_of_prose_without_page_chrome() -> None:
    sections = html_to_sections(PAGE)

    assert [s.title for s in sections] == ["Abstract", "1 Introduction", "2 Method"]
    method = sections[2].text
    assert "\\gamma=0.99" in method  # maths as its TeX, not as MathML soup
    assert "87.5%" in method and "single A100 GPU" in method
    everything = " ".join(s.text for s in sections)
    for chrome in ("HTML conversions sometimes", "Report issue", "References", "A cited paper", "LaTeXML", "MathJax"):
        assert chrome not in everything
    assert "RACER: Rich" not in everything  # the document title is metadata, not a section


def test_chunks_stay_within_a_section_keep_its_title_and_overlap() -> None:
    sentences = [f"Sentence number {n} states a fact about the method in some detail." for n in range(60)]
    sections = [Section("2 Method", " ".join(sentences)), Section("3 Results", "Accuracy is 91.2%.")]

    chunks = chunk_sections(sections, size=1_000, overlap=150)

    method_chunks = [c for c in chunks if c.title == "2 Method"]
    assert len(method_chunks) >= 4
    assert all(len(c.text) <= 1_000 for c in chunks)
    assert chunks[-1].title == "3 Results" and chunks[-1].text == "Accuracy is 91.2%."
    for previous, following in itertools.pairwise(method_chunks):
        last_sentence = previous.text.rsplit(". ", 1)[-1]
        assert last_sentence in following.text[: 150 + len(last_sentence)]  # the overlap carries it over
        assert not following.text.startswith(previous.text[:100])
    assert all(s in " ".join(c.text for c in method_chunks) for s in sentences)


def test_each_paper_is_fetched_once_at_most_one_request_every_three_seconds() -> None:
    clock = SimulatedClock()
    pages = {"2409.14674": PAGE, "2409.11111": PAGE, "2409.22222": PAGE}
    with FakeArxivHtmlServer(pages=pages, clock=clock) as server:
        fetcher = _fetcher(server, clock)
        for arxiv_id in [*pages, *pages]:  # every paper asked for twice
            chunks = fetcher.chunks(arxiv_id, version=1)
            assert chunks and any("87.5%" in c.text for c in chunks)

    assert [r.path for r in server.requests] == ["/html/2409.14674v1", "/html/2409.11111v1", "/html/2409.22222v1"]
    times = [r.at for r in server.requests]
    assert all(later - earlier >= 3.0 for earlier, later in itertools.pairwise(times))
    assert "paper-digest-bot" in server.requests[0].headers["User-Agent"]


def test_full_text_and_listings_take_turns_because_arxiv_counts_them_together() -> None:
    clock = SimulatedClock()
    with (
        FakeArxivServer(papers=[make_paper("2409.14674")]) as api,
        FakeArxivHtmlServer(pages={"2409.14674": PAGE}, clock=clock) as html,
    ):
        source = ArxivSource(api_url=api.api_url, clock=clock, sleep=clock.sleep)
        fetcher = ArxivHtmlFetcher(base_url=html.base_url, pacer=source.pacer)
        source.paper("2409.14674")
        assert fetcher.chunks("2409.14674")
        source.paper("2409.14674")
    assert clock.slept == [3.0, 3.0]  # each request waited for the previous one, whichever endpoint


def test_missing_and_failed_conversions_mean_abstract_only_and_are_not_asked_again() -> None:
    clock = SimulatedClock()
    cache = MemoryFullTextCache()
    with FakeArxivHtmlServer(pages={}, fatal=["2409.00002"], clock=clock) as server:
        fetcher = _fetcher(server, clock, cache=cache)
        assert fetcher.chunks("2409.00001") is None  # 404: no HTML (PDF-only submission)
        assert fetcher.chunks("2409.00002") is None  # "Conversion to HTML had a Fatal error"
        assert fetcher.chunks("2409.00001") is None
        assert fetcher.chunks("2409.00002") is None

    assert len(server.requests) == 2
    assert cache.get("2409.00001") == "" and cache.get("2409.00002") == ""


def test_a_transient_failure_is_not_remembered() -> None:
    clock = SimulatedClock()
    with FakeArxivHtmlServer(pages={"2409.14674": PAGE}, clock=clock) as server:
        fetcher = _fetcher(server, clock, max_retries=1)
        server.fail_next(status=503, times=2)  # the request and its one retry
        assert fetcher.chunks("2409.14674") is None
        assert fetcher.chunks("2409.14674") is not None  # arXiv is back: fetched now

    assert len(server.requests) == 3
    assert clock.slept and all(seconds >= 3.0 for seconds in clock.slept)


def test_a_cache_shared_between_fetchers_means_no_second_fetch() -> None:
    clock = SimulatedClock()
    cache = MemoryFullTextCache()
    with FakeArxivHtmlServer(pages={"2409.14674": PAGE}, clock=clock) as server:
        assert _fetcher(server, clock, cache=cache).sections("2409.14674")
        assert _fetcher(server, clock, cache=cache).sections("2409.14674")  # e.g. after a restart

    assert len(server.requests) == 1
