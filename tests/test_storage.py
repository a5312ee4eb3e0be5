"""Storage: engine, start-up retries, migrations, and each repository on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, inspect, text

from digestbot.bot.ports import ThreadLink
from digestbot.bot.storage.db import StorageUnavailable, create_db_engine, migrate, open_database, wait_for_database
from digestbot.bot.storage.digests import SqlDigestStore
from digestbot.bot.storage.events import SqlSeenEvents
from digestbot.bot.storage.llm import SqlResponseCache, SqlUsageLedger
from digestbot.bot.storage.threads import SqlThreadLinks
from digestbot.summarizer.llm.ports import MemoryUsageLedger, UsageRecord
from tests.fakes.postgres import fresh_database
from tests.helpers import offline_digest

MY_TABLES = {
    "subscriptions",
    "digests",
    "deliveries",
    "delivery_parts",
    "thread_links",
    "seen_events",
    "llm_cache",
    "llm_usage",
}


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        with fresh_database() as url:
            yield url


def test_migrations_create_the_schema_once_even_when_instances_start_together(database_url: str) -> None:
    engines = [create_db_engine(database_url) for _ in range(3)]
    errors: list[BaseException] = []

    def start(engine: object) -> None:
        try:
            migrate(engine)  # type: ignore[arg-type]
        except BaseException as error:  # collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(inspect(engines[0]).get_table_names()) >= MY_TABLES
    with engines[0].connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(versions) == 1
    migrate(engines[0])  # and once more, at the next start: nothing to do
    for engine in engines:
        engine.dispose()


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_unreachable_database_is_retried_with_backoff_then_named_without_its_password() -> None:
    engine = create_db_engine("postgresql+psycopg://bot:hunter2-secret@127.0.0.1:1/digestbot")
    waits: list[float] = []
    with pytest.raises(StorageUnavailable) as caught:
        wait_for_database(engine, attempts=4, sleep=waits.append)
    message = str(caught.value)
    assert waits == [0.5, 1.0, 2.0]
    assert "DATABASE_URL" in message and "127.0.0.1:1/digestbot" in message
    assert "hunter2-secret" not in message
    assert "\n" not in message


def test_a_locked_sqlite_file_at_start_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    open_database(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process mid-write, e.g. an old instance shutting down
    engine = create_db_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")  # after ours: keeps the test fast

    waits: list[float] = []

    def release_on_second_wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            other.execute("COMMIT")

    wait_for_database(engine, attempts=5, sleep=release_on_second_wait)
    assert waits == [0.5, 1.0]


def test_a_url_that_is_not_a_database_gets_a_clear_message() -> None:
    with pytest.raises(StorageUnavailable, match=r"DATABASE_URL .* is not a database URL; use e\.g\. sqlite"):
        create_db_engine("not a url")
    with pytest.raises(StorageUnavailable, match="'mysql' is not supported"):
        create_db_engine("mysql://localhost/db")


def test_digests_are_stored_whole_and_the_newest_is_found(database_url: str) -> None:
    sessions = open_database(database_url)
    store = SqlDigestStore(sessions)
    digest = offline_digest()
    later = digest.model_copy(update={"date": digest.date + dt.timedelta(days=3)})
    store.save_digest(digest)
    store.save_digest(later)
    assert store.load_digest(digest.date, "en", digest.source) == digest
    assert store.load_digest(None, "en", digest.source) == later
    assert store.load_digest(digest.date, "ko", digest.source) is None
    upgraded = digest.model_copy(update={"notes": ["rebuilt"]})
    store.save_digest(upgraded)  # a rebuild replaces, never duplicates
    assert SqlDigestStore(open_database(database_url)).load_digest(digest.date, "en", digest.source) == upgraded


def test_thread_links_survive_into_another_process(database_url: str) -> None:
    link = ThreadLink("slack", "C1", "1719999999.000100", dt.date(2026, 6, 26), "ko", ("2606.26267", "2606.26120"))
    SqlThreadLinks(open_database(database_url)).link(link)
    elsewhere = SqlThreadLinks(open_database(database_url))  # a new engine, as a restarted bot has
    assert elsewhere.lookup("slack", "C1", "1719999999.000100") == link
    assert elsewhere.lookup("slack", "C1", "other") is None
    elsewhere.link(link)  # linking twice is harmless


def test_seen_events_are_first_time_once_and_forgotten_after_their_ttl(database_url: str) -> None:
    now = [dt.datetime(2026, 6, 29, 9, 0, tzinfo=dt.UTC)]
    events = SqlSeenEvents(open_database(database_url), ttl=dt.timedelta(hours=24), clock=lambda: now[0])
    assert events.first_time("slack:event:Ev1") is True
    assert events.first_time("slack:event:Ev1") is False
    restarted = SqlSeenEvents(open_database(database_url), clock=lambda: now[0])
    assert restarted.first_time("slack:event:Ev1") is False
    now[0] += dt.timedelta(hours=25)
    assert events.first_time("slack:event:Ev2") is True  # purges Ev1 on the way
    assert events.first_time("slack:event:Ev1") is True


def test_response_cache_keeps_the_latest_value(database_url: str) -> None:
    cache = SqlResponseCache(open_database(database_url))
    assert cache.get("k") is None
    cache.put("k", '{"a": 1}')
    cache.put("k", '{"a": 2}')
    assert cache.get("k") == '{"a": 2}'


def test_usage_ledger_totals_match_the_memory_ledger(database_url: str) -> None:
    day = dt.date(2026, 6, 29)
    records = [
        UsageRecord(day, "summarize", "gpt-4o-mini", 1000, 200, 0, 0.0003, False),
        UsageRecord(day, "summarize", "gpt-4o-mini", 0, 0, 0, 0.0, True),
        UsageRecord(day, "categorize", "gpt-4o-mini", 500, 50, 100, 0.0001, False),
        UsageRecord(day - dt.timedelta(days=1), "summarize", "gpt-4o-mini", 9, 9, 0, 9.0, False),
    ]
    sql, memory = SqlUsageLedger(open_database(database_url)), MemoryUsageLedger()
    for record in records:
        sql.record(record)
        memory.record(record)
    for stage in (None, "summarize", "categorize", "answer"):
        expected, found = memory.totals(day, stage), sql.totals(day, stage)
        assert (found.calls, found.cache_hits, found.tokens) == (expected.calls, expected.cache_hits, expected.tokens)
        assert found.cost_usd == pytest.approx(expected.cost_usd)
