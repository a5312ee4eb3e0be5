"""The scheduler on a frozen clock: the right digest at the right instant, once, across restarts.

Nothing sleeps: each test sets the clock and calls what APScheduler would call at that instant
(the cron job, or the catch-up check a restarted bot runs first).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digestbot.app.wiring import Bot, build_bot
from digestbot.bot.config import load_settings
from digestbot.bot.delivery.service import Outcome
from digestbot.bot.digests import DigestService
from digestbot.bot.ports import OutgoingMessage
from digestbot.bot.scheduling.scheduler import GRACE, DigestScheduler, announcement_edition
from digestbot.bot.storage.deliveries import DeliveryIntent
from tests.fakes.dated_source import DatedSampleSource
from tests.fakes.memory_transport import FakePlatform, MemoryTransport, outlet

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class World:
    """One database, one fake platform, one paper source: what every "process" below shares."""

    def __init__(self, tmp_path: Path, now: dt.datetime, *, source: DatedSampleSource | None = None) -> None:
        self.url = f"sqlite:///{tmp_path / 'bot.db'}"
        self.platform = FakePlatform(tmp_path / "platform.db")
        self.source = source or DatedSampleSource()
        self.clock = Clock(now)

    def start(self, transport: MemoryTransport | None = None) -> tuple[Bot, DigestScheduler]:
        """A freshly started bot process: new engine, new services, nothing in memory."""
        bot = build_bot(
            load_settings(database_url=self.url, digest_time="09:00", digest_timezone="Europe/Berlin"),
            paper_source=self.source,
            clock=self.clock,
        )
        bot.outlets["fake"] = outlet(transport or MemoryTransport(self.platform))
        scheduler = DigestScheduler(
            subscriptions=bot.subscriptions.store,
            delivery=bot.delivery,
            digests=bot.digests,
            edition=announcement_edition,
            clock=self.clock,
        )
        return bot, scheduler

    def at(self, local: str, zone: ZoneInfo = BERLIN) -> dt.datetime:
        self.clock.now = dt.datetime.fromisoformat(local).replace(tzinfo=zone).astimezone(UTC)
        return self.clock.now


def test_nine_in_seoul_fires_at_midnight_utc_and_posts_once(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 28, 23, 59, tzinfo=UTC))  # Monday 08:59 in Seoul
    bot, scheduler = world.start()
    bot.subscriptions.add("fake:seoul", time="09:00", timezone="Asia/Seoul")
    assert asyncio.run(scheduler.catch_up()) == []  # not yet
    world.clock.now = dt.datetime(2026, 6, 29, 0, 0, tzinfo=UTC)  # the cron instant: 09:00 KST
    [result] = asyncio.run(scheduler.catch_up())
    assert (result.outcome, result.digest_date) == (Outcome.SENT, dt.date(2026, 6, 25))  # Thursday's announcement
    cron = asyncio.run(scheduler.run_subscription("fake:seoul"))
    assert cron is not None and cron.outcome is Outcome.ALREADY_POSTED
    assert len(world.platform.parents("seoul")) == 1
    world.clock.now = dt.datetime(2026, 6, 30, 0, 0, tzinfo=UTC)  # Tuesday 09:00 KST: Sunday's announcement
    tuesday = asyncio.run(scheduler.run_subscription("fake:seoul"))
    assert tuesday is not None and (tuesday.outcome, tuesday.digest_date) == (Outcome.SENT, dt.date(2026, 6, 28))
    assert world.source.listings == [dt.date(2026, 6, 25), dt.date(2026, 6, 28)]


def test_restart_at_0905_still_posts_the_0900_digest_once(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, _ = world.start()
    bot.subscriptions.add("fake:team")  # 09:00 Europe/Berlin by default
    world.at("2026-06-30T09:05")  # the bot was restarting at 09:00
    _, restarted = world.start()
    [result] = asyncio.run(restarted.catch_up())
    assert (result.outcome, result.digest_date) == (Outcome.SENT, dt.date(2026, 6, 29))
    assert "Posted late" not in world.platform.parents("team")[0].text  # within the grace: on time
    world.at("2026-06-30T09:30")
    _, again = world.start()
    [repeat] = asyncio.run(again.catch_up())
    assert repeat.outcome is Outcome.ALREADY_POSTED
    assert len(world.platform.parents("team")) == 1


def test_a_restart_hours_late_posts_once_and_says_it_is_late(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, _ = world.start()
    bot.subscriptions.add("fake:team")
    world.at("2026-06-30T09:00")
    world.clock.now += GRACE + dt.timedelta(minutes=30)
    _, restarted = world.start()
    [result] = asyncio.run(restarted.catch_up())
    assert result.outcome is Outcome.SENT
    assert "Posted late: this digest was due at 09:00 Europe/Berlin and went out at 11:30." in (
        world.platform.parents("team")[0].text
    )


def test_the_late_note_speaks_the_channels_language(tmp_path: Path) -> None:
    """It was English-only, so a Korean digest was headed by an English note (issue 12)."""
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, _ = world.start()
    bot.subscriptions.add("fake:team", language="ko")
    world.at("2026-06-30T09:00")
    world.clock.now += GRACE + dt.timedelta(minutes=30)
    _, restarted = world.start()
    [result] = asyncio.run(restarted.catch_up())
    assert result.outcome is Outcome.SENT
    parent = world.platform.parents("team")[0].text
    assert "늦게 게시됨" in parent and "09:00" in parent and "11:30" in parent
    assert "Posted late" not in parent


def test_a_bot_down_all_day_does_not_post_yesterdays_digest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 29, 6, 0, tzinfo=UTC))
    bot, _ = world.start()
    bot.subscriptions.add("fake:team")
    world.at("2026-06-30T08:00")  # down from Monday morning until Tuesday 08:00
    _, restarted = world.start()
    with caplog.at_level(logging.WARNING):
        assert asyncio.run(restarted.catch_up()) == []
    assert "fake:team: the run of 2026-06-29T09:00:00+02:00 (digest of 2026-06-28) was missed" in caplog.text
    assert world.platform.messages() == []
    world.at("2026-06-30T09:00")
    today = asyncio.run(restarted.run_subscription("fake:team"))
    assert today is not None and (today.outcome, today.digest_date) == (Outcome.SENT, dt.date(2026, 6, 29))


def test_no_announcement_posts_nothing_and_logs_why(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    holiday = dt.date(2026, 6, 29)
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC), source=DatedSampleSource(holidays={holiday}))
    bot, scheduler = world.start()
    bot.subscriptions.add("fake:team")
    world.at("2026-06-30T09:00")
    with caplog.at_level(logging.INFO):
        assert asyncio.run(scheduler.run_subscription("fake:team")) is None
    assert "fake:team: nothing to post" in caplog.text and "holiday" in caplog.text
    assert world.platform.messages() == []


def test_a_removed_channel_pauses_its_subscription_and_the_others_continue(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, scheduler = world.start(MemoryTransport(FakePlatform(tmp_path / "platform.db"), refuse={"gone"}))
    for key in ("fake:a", "fake:gone", "fake:c"):
        bot.subscriptions.add(key)
    world.at("2026-06-30T09:00")
    with caplog.at_level(logging.WARNING):
        results = asyncio.run(scheduler.catch_up())
    assert sorted((r.channel_key, r.outcome) for r in results) == [
        ("fake:a", Outcome.SENT),
        ("fake:c", Outcome.SENT),
        ("fake:gone", Outcome.FAILED),
    ]
    paused = bot.subscriptions.store.get("fake", "gone")
    assert paused is not None and paused.paused and paused.paused_reason == "fake:gone: not_in_channel"
    assert "pausing the subscription of fake:gone: fake:gone: not_in_channel" in caplog.text
    assert "Paused: fake:gone: not_in_channel" in bot.subscriptions.summary(paused)
    world.clock.now += dt.timedelta(minutes=10)
    assert [r.channel_key for r in asyncio.run(scheduler.catch_up())] == ["fake:a", "fake:c"]  # done, skipped


def test_one_build_per_date_and_language_for_many_channels(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, scheduler = world.start()
    for number in range(12):
        bot.subscriptions.add(f"fake:c{number}", language="ko" if number % 3 == 0 else "en")
    world.at("2026-06-30T09:00")
    results = asyncio.run(scheduler.catch_up())
    assert [r.outcome for r in results] == [Outcome.SENT] * 12
    assert world.source.listings == [dt.date(2026, 6, 29)] * 2  # one per language, shared by twelve channels


def test_batch_mode_prebuilds_through_a_service_due_by_the_first_post(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 29, 12, 0, tzinfo=UTC))
    bot, scheduler = world.start()
    deadlines: list[dt.datetime] = []

    def batch_digests(deadline: dt.datetime) -> DigestService:
        deadlines.append(deadline)
        return bot.digests

    scheduler.batch_digests = batch_digests
    bot.subscriptions.add("fake:seoul", time="09:00", timezone="Asia/Seoul")
    world.at("2026-06-29T21:00", ZoneInfo("America/New_York"))  # 10:00 KST; the post is 23 h away
    asyncio.run(scheduler.prebuild())
    assert deadlines == [dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC)]  # Wednesday 09:00 in Seoul
    assert world.source.listings == [dt.date(2026, 6, 29)]
    scheduler.batch_lead = dt.timedelta(hours=30)  # too close for a batch: direct calls
    asyncio.run(scheduler.prebuild())
    assert len(deadlines) == 1


def test_prebuild_builds_each_language_before_the_first_post(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 29, 12, 0, tzinfo=UTC))
    bot, scheduler = world.start()
    bot.subscriptions.add("fake:en")
    bot.subscriptions.add("fake:ko", language="ko")
    world.at("2026-06-29T21:00", ZoneInfo("America/New_York"))  # an hour after Monday's announcement
    asyncio.run(scheduler.prebuild())
    assert world.source.listings == [dt.date(2026, 6, 29)] * 2
    world.at("2026-06-30T09:00")
    assert [r.outcome for r in asyncio.run(scheduler.catch_up())] == [Outcome.SENT] * 2
    assert world.source.listings == [dt.date(2026, 6, 29)] * 2  # nothing built at posting time


async def test_jobs_use_the_subscription_zone_hours_of_grace_and_coalescing(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime.now(UTC))
    bot, scheduler = world.start()
    bot.subscriptions.add("fake:seoul", time="09:00", timezone="Asia/Seoul")
    bot.subscriptions.watch(scheduler.refresh)
    scheduler.start(paused=True)
    try:
        job = scheduler.job("fake:seoul")
        assert job is not None
        assert job.trigger.zone == ZoneInfo("Asia/Seoul")
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (GRACE.total_seconds(), True, 1)
        next_run = scheduler.next_run()
        assert next_run is not None and next_run.astimezone(UTC).time() == dt.time(0, 0)
        bot.subscriptions.add("fake:seoul", time="10:30")  # changed in chat or by the CLI: rescheduled
        assert scheduler.next_run().astimezone(UTC).time() == dt.time(1, 30)  # type: ignore[union-attr]
        bot.subscriptions.remove("fake:seoul")
        assert scheduler.job("fake:seoul") is None and scheduler.next_run() is None
    finally:
        await scheduler.shutdown()


class Hangs(MemoryTransport):
    """Holds the third message in flight until the test lets it go."""

    def __init__(self, platform: FakePlatform) -> None:
        super().__init__(platform)
        self.in_flight = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        if self.sends == 2:
            self.in_flight.set()
            await self.release.wait()
        return await super().send(channel_id, message, thread_id=thread_id, idempotency_key=idempotency_key)


async def test_shutdown_finishes_the_message_in_flight_and_the_next_start_resumes(tmp_path: Path) -> None:
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    transport = Hangs(world.platform)
    bot, scheduler = world.start(transport)
    bot.subscriptions.add("fake:team")
    world.at("2026-06-30T09:00")
    posting = asyncio.create_task(scheduler.catch_up())
    await transport.in_flight.wait()
    stopping = asyncio.create_task(scheduler.shutdown())
    await asyncio.sleep(0)
    transport.release.set()
    await stopping
    [result] = await posting
    assert (result.outcome, result.parts_sent) == (Outcome.INTERRUPTED, 3)
    assert len(world.platform.messages("team")) == 3
    _, restarted = world.start()
    [resumed] = await restarted.catch_up()
    assert (resumed.outcome, resumed.parts_sent) == (Outcome.SENT, resumed.parts_total - 3)
    parent = world.platform.parents("team")
    assert len(parent) == 1 and len(world.platform.replies("team", parent[0].id)) == resumed.parts_total - 1


async def test_a_survivor_resumes_a_delivery_whose_holder_went_silent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another instance claimed the post and died (on another host: no pid to check). The
    survivor does not wait for the 10-minute catch-up: it claims again every few seconds and
    takes over once the dead holder's lease has run out."""
    caplog.set_level(logging.INFO)
    world = World(tmp_path, dt.datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    bot, _ = world.start()
    bot.subscriptions.add("fake:team")
    world.at("2026-06-30T09:00")
    day = announcement_edition(world.clock.now)
    await bot.digests.digest(day)
    ledger = bot.delivery.deliveries
    row = ledger.ensure(DeliveryIntent("fake", "team", day, "en"))
    assert ledger.claim(row.id, holder="other-host|1|dead", lease=bot.delivery.lease, holder_is_dead=lambda _: False)
    _, survivor = world.start()
    survivor.busy_retry_seconds = 0.01

    run = asyncio.create_task(survivor.run_subscription("fake:team"))
    while "being posted by another instance" not in caplog.text:
        await asyncio.sleep(0.01)
    world.clock.now += bot.delivery.lease + dt.timedelta(seconds=1)
    result = await run

    assert result is not None and result.outcome is Outcome.SENT
    assert len(world.platform.parents("team")) == 1
