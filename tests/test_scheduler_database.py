"""The scheduler while PostgreSQL is unreachable (restarting): a warning and a retry, no traceback."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from digestbot.app.wiring import build_bot
from digestbot.bot.config import load_settings
from digestbot.bot.delivery.service import Outcome
from digestbot.bot.scheduling.scheduler import DigestScheduler, announcement_edition
from tests.fakes.dated_source import DatedSampleSource
from tests.fakes.memory_transport import FakePlatform, MemoryTransport, outlet
from tests.fakes.postgres import fresh_database, server_url


@contextmanager
def refusing_connections(url: str) -> Iterator[None]:
    """What a restarting server does to new connections: refuse them (existing ones are ended)."""
    name = make_url(url).database
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        connection.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        try:
            yield
        finally:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    admin.dispose()


async def test_a_catch_up_while_the_database_is_down_warns_and_the_next_one_posts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = dt.datetime(2026, 6, 30, 7, 5, tzinfo=dt.UTC)  # 09:05 in Berlin
    with fresh_database() as url:
        bot = build_bot(load_settings(database_url=url), paper_source=DatedSampleSource(), clock=lambda: now)
        platform = FakePlatform(tmp_path / "platform.db")
        bot.outlets["fake"] = outlet(MemoryTransport(platform))
        bot.subscriptions.add("fake:team", time="09:00", timezone="Europe/Berlin")
        scheduler = DigestScheduler(
            subscriptions=bot.subscriptions.store,
            delivery=bot.delivery,
            digests=bot.digests,
            edition=announcement_edition,
            clock=lambda: now,
        )

        with refusing_connections(url):
            skipped = await scheduler.catch_up()
        [result] = await scheduler.catch_up()

    assert skipped == []
    assert "the catch-up check could not reach the database" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert result.outcome is Outcome.SENT and len(platform.parents("team")) == 1
