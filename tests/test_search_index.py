"""The search index on SQLite (file and in-memory, FTS5) and on a real PostgreSQL (tsvector).

The PostgreSQL cases run when ``DIGESTBOT_TEST_POSTGRES_URL`` is set (``.ci/postgres.sh``
starts a server and sets it); CI must run them, so there a missing variable is a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from digestbot.bot.digests import MemoryDigestStore
from digestbot.bot.questions.search_index import IndexingDigestStore, SearchIndex
from digestbot.bot.storage.db import create_db_engine, migrate
from digestbot.bot.storage.fulltext import SqlFullTextCache
from digestbot.summarizer.models import Backend, CategorySection, CategorySummary, Digest, Paper
from digestbot.summarizer.sources.fulltext import ArxivHtmlFetcher, Section
from digestbot.summarizer.sources.jsonl import read_papers
from digestbot.summarizer.taxonomy import load_taxonomy
from tests.fakes.arxiv_html import FakeArxivHtmlServer, SimulatedClock, latexml_page
from tests.fakes.postgres import fresh_database

FIXTURES = Path(__file__).parent / "fixtures"
DAY_ONE, DAY_TWO = dt.date(2026, 6, 26), dt.date(2026, 6, 30)
ZEBRAFISH = Paper(
    arxiv_id="2606.90001",
    title="Zebrafish Larvae Tracking with Sparse Attention",
    abstract="We track zebrafish larvae in video with a sparse attention tracker that runs at 120 frames per second.",
)
ZEPPELIN = Paper(
    arxiv_id="2606.90002",
    title="Zeppelin: Airship Control with Model-Based Reinforcement Learning",
    abstract="We fly a zeppelin with model-based reinforcement learning; the policy holds altitude within 0.5 m.",
)


def digest_of(day: dt.date, papers: list[Paper]) -> Digest:
    """A one-section digest: enough for the index, which cares about papers and dates only."""
    summary = CategorySummary(main_themes=[], keywords=[], key_facts=[], impact=[], outlook="", backend=Backend.OFFLINE)
    section = CategorySection(category=load_taxonomy(None).get("general"), papers=papers, summary=summary)
    return Digest(date=day, language="en", sections=[section], backend=Backend.OFFLINE, source="test")


def _postgres_engine() -> Iterator[Engine]:
    with fresh_database() as url:  # a database of our own: other suites share the server
        engine = create_db_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        yield from _postgres_engine()
        return
    url = f"sqlite:///{tmp_path / 'search.db'}" if request.param == "sqlite-file" else "sqlite://"
    engine = create_db_engine(url)  # the bot's own engine: WAL, busy timeout, BEGIN IMMEDIATE
    yield engine
    engine.dispose()


@pytest.fixture
def index(engine: Engine) -> SearchIndex:
    migrate(engine)
    migrate(engine)  # idempotent
    index = SearchIndex(engine)
    index.index_digest(digest_of(DAY_ONE, [*read_papers(FIXTURES / "2026-06-30.jsonl")[:120], ZEBRAFISH]))
    index.index_digest(digest_of(DAY_TWO, [*read_papers(FIXTURES / "2026-06-30.jsonl")[120:240], ZEPPELIN]))
    return index


def test_search_across_two_stored_digests_returns_dates_and_links(index: SearchIndex) -> None:
    hits = index.search("zebrafish zeppelin")  # no paper has both words: any word then

    assert {(h.paper.arxiv_id, h.digest_date) for h in hits} == {("2606.90001", DAY_ONE), ("2606.90002", DAY_TWO)}
    by_id = {h.paper.arxiv_id: h for h in hits}
    assert by_id["2606.90002"].paper.abs_url == "https://arxiv.org/abs/2606.90002"
    assert "zeppelin" in by_id["2606.90002"].snippet.lower()


def test_every_word_must_match_before_any_word_does(index: SearchIndex) -> None:
    hits = index.search("zeppelin reinforcement")

    assert [h.paper.arxiv_id for h in hits] == ["2606.90002"]
    assert index.search("reinforcement learning", limit=3) and len(index.search("reinforcement", limit=3)) == 3


def test_stemming_finds_other_forms_of_a_word(index: SearchIndex) -> None:
    assert [h.paper.arxiv_id for h in index.search("tracked zebrafishes")] == ["2606.90001"]


@pytest.mark.parametrize(
    "hostile",
    ['"; DROP TABLE search_papers; --', "zeppelin OR NEAR(a b", "title:* AND ^zeppelin", "' OR 1=1 --", "(((", ""],
)
def test_query_syntax_in_user_words_is_plain_text(index: SearchIndex, hostile: str) -> None:
    index.search(hostile)
    index.passages_for(hostile, ["2606.90002"], limit=4)

    assert [h.paper.arxiv_id for h in index.search("zeppelin")] == ["2606.90002"]


def test_passages_come_only_from_the_asked_papers_abstracts_and_chunks(index: SearchIndex) -> None:
    index.index_chunks(
        "2606.90002",
        [
            Section("1 Introduction", "Airships are slow."),
            Section("4 Experiments", "The controller runs on a single Jetson board at 50 Hz."),
        ],
    )

    passages = index.passages_for("what hardware does the controller run on, a single board?", ["2606.90002"], 4)
    assert passages[0].section == "4 Experiments" and "Jetson" in passages[0].text
    assert passages[0].title == ZEPPELIN.title
    assert index.has_chunks("2606.90002") and not index.has_chunks("2606.90001")

    elsewhere = index.passages_for("single board controller", ["2606.90001"], 4)
    assert all(p.arxiv_id == "2606.90001" for p in elsewhere)


def test_reindexing_is_idempotent_and_a_new_version_replaces_the_abstract(index: SearchIndex) -> None:
    index.index_digest(digest_of(DAY_TWO, [ZEPPELIN]))
    revised = ZEPPELIN.model_copy(update={"version": 2, "abstract": "We fly a blimp with a quadratic programme."})
    index.index_papers([revised], digest_date=DAY_TWO)

    assert index.search("zeppelin")[0].paper.version == 2
    assert index.search("blimp")[0].paper.arxiv_id == "2606.90002"
    assert len(index.passages_for("zeppelin blimp altitude", ["2606.90002"], 8)) == 1
    assert index.papers(["2606.90002", "9999.99999"]) == {"2606.90002": revised}
    assert index.has_digest(DAY_TWO) and not index.has_digest(dt.date(2026, 1, 1))


def test_an_indexing_store_makes_every_saved_digest_searchable(engine: Engine) -> None:
    migrate(engine)
    index = SearchIndex(engine)
    store = IndexingDigestStore(MemoryDigestStore(), index)
    assert index.is_empty()

    store.save_digest(digest_of(DAY_ONE, [ZEBRAFISH]))

    assert not index.is_empty()
    assert store.load_digest(DAY_ONE, "en", "test") is not None
    assert index.search("zebrafish")[0].digest_date == DAY_ONE


def test_full_text_is_fetched_once_even_across_restarts(engine: Engine) -> None:
    migrate(engine)
    clock = SimulatedClock()
    page = latexml_page(title="Zeppelin", abstract="Airships.", sections=[("Method", ["We use MPC."])])
    with FakeArxivHtmlServer(pages={"2606.90002": page}, clock=clock) as server:
        for _ in range(2):  # a new fetcher, as after a restart, with the database's cache
            fetcher = ArxivHtmlFetcher(
                base_url=server.base_url, cache=SqlFullTextCache(engine), clock=clock, sleep=clock.sleep
            )
            assert fetcher.chunks("2606.90002", version=1) == [
                Section("Abstract", "Airships."),
                Section("1 Method", "We use MPC."),
            ]

    assert len(server.requests) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_migration_creates_the_search_tables(backend: str, tmp_path: Path) -> None:
    if backend == "postgres":
        engines = _postgres_engine()
        engine = next(engines)
    else:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    try:
        migrate(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"search_papers", "search_documents", "fulltext_cache", "question_turns"} <= tables
        SearchIndex(engine).index_digest(digest_of(DAY_ONE, [ZEBRAFISH]))
        assert SearchIndex(engine).search("zebrafish")
    finally:
        if backend == "postgres":
            engines.close()
        else:
            engine.dispose()
