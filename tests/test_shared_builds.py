"""One build per digest across instances (a lease in the database), on SQLite and PostgreSQL,
and indexing that several instances may run at once."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from digestbot.app.factory import make_digest_service
from digestbot.bot.config import Settings
from digestbot.bot.digests import DigestService
from digestbot.bot.questions.search_index import SearchIndex
from digestbot.bot.shared_builds import SharedBuilds
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.digests import SqlDigestStore
from digestbot.bot.storage.leases import SqlBuildLeases
from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import sample_source
from tests.delivery_helpers import SAMPLE_DAY
from tests.fakes.postgres import fresh_database
from tests.helpers import all_at_once, offline_digest

MINUTE = dt.timedelta(minutes=1)


class CountingSource:
    """The sample day under a name of its own (nothing stored yet); counts and can hold listings."""

    name = "counting"

    def __init__(self) -> None:
        self._inner = sample_source()
        self.listings = 0
        self.started = threading.Event()
        self.gate = threading.Event()
        self.gate.set()

    def listing(self, day: dt.date | None = None) -> Listing:
        self.listings += 1
        self.started.set()
        assert self.gate.wait(timeout=20), "the test never opened the gate"
        return dataclasses.replace(self._inner.listing(day), source=self.name)

    def paper(self, arxiv_id: str) -> Paper:
        return self._inner.paper(arxiv_id)


def instance(database_url: str, source: CountingSource) -> tuple[DigestService, SqlBuildLeases]:
    """What one ``digestbot run`` wires: its own engine, store and lease holder."""
    sessions = open_database(database_url)
    leases = SqlBuildLeases(sessions)
    shared = SharedBuilds(leases, poll_seconds=0.05)
    service = make_digest_service(
        Settings(digest_source="sample"), source=source, store=SqlDigestStore(sessions), shared=shared
    )
    return service, leases


def test_a_lease_has_one_holder_until_it_runs_out_or_is_released(database_url: str) -> None:
    now = [dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)]
    leases = SqlBuildLeases(open_database(database_url), clock=lambda: now[0])

    assert leases.claim("k", holder="a", lease=MINUTE)
    assert not leases.claim("k", holder="b", lease=MINUTE)
    assert leases.claim("k", holder="a", lease=MINUTE)  # ours already: renewed
    assert leases.claim("other", holder="b", lease=MINUTE)
    now[0] += dt.timedelta(seconds=59)
    assert leases.renew("k", holder="a", lease=MINUTE)
    assert not leases.renew("k", holder="b", lease=MINUTE)
    now[0] += dt.timedelta(seconds=61)
    assert leases.claim("k", holder="b", lease=MINUTE)  # a went silent: its lease ran out
    assert not leases.renew("k", holder="a", lease=MINUTE)
    leases.release("k", holder="a")  # not a's any more: nothing happens
    assert not leases.claim("k", holder="c", lease=MINUTE)
    leases.release("k", holder="b")
    assert leases.claim("k", holder="c", lease=MINUTE)


def test_exactly_one_of_many_racing_claims_wins(database_url: str) -> None:
    ledgers = [SqlBuildLeases(open_database(database_url)) for _ in range(6)]

    def claimer(leases: SqlBuildLeases, holder: str) -> Callable[[], bool]:
        return lambda: leases.claim("digest|2026-06-26|en|arxiv", holder=holder, lease=MINUTE)

    assert all_at_once([claimer(leases, f"h{n}") for n, leases in enumerate(ledgers)]).count(True) == 1


async def test_two_instances_asking_at_once_build_the_day_once(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="digestbot.bot.shared_builds")
    source = CountingSource()
    first, _ = instance(database_url, source)
    second, _ = instance(database_url, source)
    source.gate.clear()

    building = asyncio.create_task(first.digest(SAMPLE_DAY))
    await asyncio.to_thread(source.started.wait, 10)
    waiting = asyncio.create_task(second.digest(SAMPLE_DAY))
    while "another instance is building" not in caplog.text:
        await asyncio.sleep(0.01)
    source.gate.set()
    built, shared = await asyncio.gather(building, waiting)

    assert source.listings == 1
    assert shared == built and len(built.papers) == len(offline_digest().papers)


async def test_a_waiter_takes_over_from_a_builder_that_died(database_url: str) -> None:
    source = CountingSource()
    service, leases = instance(database_url, source)
    key = f"digest|{SAMPLE_DAY}|en|{source.name}"
    assert leases.claim(key, holder="a process that was killed", lease=dt.timedelta(milliseconds=300))

    digest = await service.digest(SAMPLE_DAY)

    assert source.listings == 1 and digest.date == SAMPLE_DAY


def test_instances_indexing_the_same_digest_at_once_each_finish(database_url: str) -> None:
    digest = offline_digest()
    indexes = [SearchIndex(open_database(database_url).kw["bind"]) for _ in range(4)]

    outcomes = all_at_once([functools.partial(search.index_digest, digest) for search in indexes])

    assert outcomes == [None] * len(indexes)
    with indexes[0]._engine.connect() as connection:
        papers = connection.execute(text("SELECT count(*) FROM search_papers")).scalar_one()
        documents = connection.execute(text("SELECT count(*) FROM search_documents")).scalar_one()
    assert papers == documents == len(digest.papers)
    assert indexes[0].search("language model", limit=3)


def test_instances_starting_together_migrate_one_at_a_time() -> None:
    """Every instance migrates at start (the search tables included); on PostgreSQL the same
    ``CREATE … IF NOT EXISTS`` from several at once fails ("deadlock detected") unless serialized."""
    with fresh_database() as url:
        outcomes = all_at_once([functools.partial(open_database, url) for _ in range(6)])
        for outcome in outcomes:
            assert not isinstance(outcome, BaseException), outcome
            outcome.kw["bind"].dispose()  # type: ignore[union-attr]
