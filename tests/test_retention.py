"""The retention purge on SQLite and PostgreSQL: old rows go, recent and unfinished ones stay."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from digestbot.app.cli import app
from digestbot.app.wiring import build_bot
from digestbot.bot.config import load_settings
from digestbot.bot.ports import ThreadLink
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.deliveries import DeliveryIntent, SqlDeliveries
from digestbot.bot.storage.fulltext import SqlFullTextCache
from digestbot.bot.storage.llm import SqlResponseCache, SqlUsageLedger
from digestbot.bot.storage.retention import purge_expired
from digestbot.bot.storage.threads import SqlThreadLinks
from digestbot.bot.storage.turns import SqlThreadTurns
from digestbot.summarizer.llm.ports import UsageRecord

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OLD = NOW - dt.timedelta(days=120)
RECENT = NOW - dt.timedelta(days=10)


def _write_everything(sessions: sessionmaker[Session], *, at: dt.datetime, tag: str) -> None:
    """One row in every purged table, stamped ``at``, through the real repositories."""
    SqlResponseCache(sessions, clock=lambda: at).put(f"llm:{tag}", "{}")
    SqlUsageLedger(sessions, clock=lambda: at).record(
        UsageRecord(
            day=at.date(), stage="summarize", model="m", prompt_tokens=1, completion_tokens=1, cached_tokens=0,
            cost_usd=0.0, cache_hit=False,
        )
    )  # fmt: skip
    SqlThreadLinks(sessions, clock=lambda: at).link(ThreadLink("slack", "C1", tag, at.date(), "en", ("2409.14674",)))
    engine = sessions.kw["bind"]
    SqlThreadTurns(engine).add(f"slack:C1:{tag}", "question?", "answer.")
    SqlFullTextCache(engine).put(tag, "text")
    stamp = at.isoformat(timespec="seconds")
    with engine.begin() as connection:  # both stamp "now"; the purge reads the stamp, so set it
        connection.execute(text("UPDATE question_turns SET asked_at = :at WHERE thread_key LIKE :k"),
                           {"at": stamp, "k": f"%:{tag}"})  # fmt: skip
        connection.execute(
            text("UPDATE fulltext_cache SET fetched_at = :at WHERE cache_key = :k"), {"at": stamp, "k": tag}
        )


def _delivery(sessions: sessionmaker[Session], *, at: dt.datetime, channel: str, finish: str | None) -> None:
    deliveries = SqlDeliveries(sessions, clock=lambda: at)
    row = deliveries.ensure(DeliveryIntent("slack", channel, at.date(), "en"))
    if finish is None:
        return
    claimed = deliveries.claim(row.id, holder="me", lease=dt.timedelta(minutes=5), holder_is_dead=lambda _: False)
    assert claimed is not None
    deliveries.start_part(row.id, 0, idempotency_key="k", holder="me", lease=dt.timedelta(minutes=5))
    deliveries.finish_part(row.id, 0, "1.0")
    (deliveries.complete if finish == "done" else deliveries.release)(
        row.id, "me", *(() if finish == "done" else ("x",))
    )


def _count(sessions: sessionmaker[Session], table: str) -> int:
    with sessions() as session:
        return int(session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_the_purge_deletes_what_is_older_than_the_horizon_and_keeps_the_rest(database_url: str) -> None:
    sessions = open_database(database_url)
    _write_everything(sessions, at=OLD, tag="old")
    _write_everything(sessions, at=RECENT, tag="recent")
    _delivery(sessions, at=OLD, channel="C-old-done", finish="done")
    _delivery(sessions, at=OLD, channel="C-old-failed", finish="failed")
    _delivery(sessions, at=OLD, channel="C-old-unfinished", finish=None)
    _delivery(sessions, at=RECENT, channel="C-recent-done", finish="done")

    deleted = purge_expired(sessions, retention_days=90, clock=lambda: NOW)

    assert {table: deleted[table] for table in ("llm_cache", "llm_usage", "thread_links")} == dict.fromkeys(
        ("llm_cache", "llm_usage", "thread_links"), 1
    )
    assert deleted["question_turns"] == deleted["fulltext_cache"] == 1
    assert deleted["deliveries"] == 2 and deleted["delivery_parts"] == 2
    for table in ("llm_cache", "llm_usage", "thread_links", "question_turns", "fulltext_cache"):
        assert _count(sessions, table) == 1, table
    with sessions() as session:
        kept = sorted(session.execute(text("SELECT channel_id FROM deliveries")).scalars())
    assert kept == ["C-old-unfinished", "C-recent-done"]  # exactly-once keeps what it may still need
    assert SqlThreadLinks(sessions).lookup("slack", "C1", "recent") is not None
    assert SqlThreadLinks(sessions).lookup("slack", "C1", "old") is None
    assert purge_expired(sessions, retention_days=90, clock=lambda: NOW)["llm_cache"] == 0  # idempotent


def test_digestbot_purge_runs_it_by_hand(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = open_database(database_url)
    _write_everything(sessions, at=OLD, tag="old")
    monkeypatch.setenv("DATABASE_URL", database_url)

    result = CliRunner().invoke(app, ["purge", "--days", "30"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Purged rows older than 30 days: llm_cache 1, llm_usage 1, thread_links 1")
    assert _count(sessions, "llm_cache") == 0


def test_the_running_bot_purges_with_its_configured_horizon(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    sessions = open_database(url)
    _write_everything(sessions, at=OLD, tag="old")
    _write_everything(sessions, at=RECENT, tag="recent")
    bot = build_bot(load_settings(database_url=url, digest_source="sample", digest_retention_days=30))

    asyncio.run(bot.scheduler.housekeeping())  # what the daily job runs

    assert _count(sessions, "llm_cache") == _count(sessions, "thread_links") == 1
