"""When to post: one cron job per subscription, a catch-up check, and a pre-build of the day's digests.

APScheduler 3 (its 4.x is a pre-release) runs in the bot's asyncio loop with a memory job
store: the database is the source of truth, so jobs are rebuilt from the subscriptions at every
start and nothing is pickled. Its defaults would lose posts: ``misfire_grace_time`` is one
second, so a loop that stalled (a suspended laptop, a long garbage collection) would skip the
day. We set a grace of hours, ``coalesce`` (several missed runs fire once) and one instance
per job; delivery is idempotent anyway, which also makes two schedulers on one database safe.

Which digest a run posts — the *edition* — is a function of the scheduled instant, not of
"now": with the arXiv source it is the latest announcement at least :data:`READY_DELAY` old (the
announcement at 20:00 Eastern needs a while to reach arXiv's API and feeds). A run that starts
late (catch-up) still posts the edition its schedule stood for, so tomorrow's run has a fresh one.

Restarts: at start and every :data:`CATCH_UP_EVERY`, each subscription whose time has passed
*today* (in its own zone) and whose edition is not delivered is delivered — labelled late when
more than :data:`GRACE` after its time. A bot that was down all day does not post yesterday's
digest at all (it logs the miss). A day without an announcement posts nothing and logs why
(no "no papers today" message: on the default Mon–Fri schedule it would only appear on
arXiv's rare holidays, and silence plus ``/digest`` answering "arXiv did not announce" is
clearer than a message nobody asked for). Failed deliveries (arXiv down, a platform error) are
retried by the same check until the day ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import OperationalError

from digestbot.bot.delivery.service import DeliveryResult, DeliveryService, Outcome
from digestbot.bot.digests import DigestService
from digestbot.bot.scheduling.subscriptions import Subscription, SubscriptionStore
from digestbot.bot.storage import Clock, utc_now
from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.models import Note
from digestbot.summarizer.sources.base import NoAnnouncement, SourceError
from digestbot.summarizer.sources.calendar import ANNOUNCEMENT_TIME, EASTERN, latest_announcement

log = logging.getLogger(__name__)

READY_DELAY = dt.timedelta(hours=1)
GRACE = dt.timedelta(hours=2)
CATCH_UP_EVERY = dt.timedelta(minutes=10)
MAX_CONCURRENT_DELIVERIES = 10
"""Channels posted to at once. At one message per second per channel that is ≤ 10 messages per
second overall: under Discord's 50 requests/s and Slack's workspace-wide posting limit."""
SHUTDOWN_WAIT = 30.0
BUSY_RETRY_SECONDS = 15.0
"""A delivery another instance holds is claimed again this often (not only at the 10-minute
catch-up): if that instance died mid-post, a survivor resumes it within one delivery lease
(``bot/delivery/service.py``, 60 s; at once when the holder is known dead on this host) plus this."""
BUSY_RETRIES = int(CATCH_UP_EVERY.total_seconds() // BUSY_RETRY_SECONDS)
PURGE_AT = dt.time(4, 17)
"""UTC time of the daily retention purge: after Asian mornings' posts, before European ones."""
_PREBUILD_AT = (dt.datetime.combine(dt.date(2000, 1, 3), ANNOUNCEMENT_TIME) + READY_DELAY).time()

Edition = Callable[[dt.datetime], dt.date | None]


def announcement_edition(scheduled: dt.datetime) -> dt.date:
    """The arXiv announcement a run scheduled at ``scheduled`` posts."""
    return latest_announcement(scheduled - READY_DELAY)


def latest_edition(_scheduled: dt.datetime) -> None:
    """For sources without a calendar (sample, a JSONL file): whatever the source holds."""
    return None


def _job_id(key: str) -> str:
    return f"digest:{key}"


@dataclass(kw_only=True, eq=False)
class DigestScheduler:
    """Fires each subscription at its local time, pre-builds the day, catches up after downtime.

    ``platforms``: the connected ones; subscriptions elsewhere wait (None: every platform).
    ``batch_digests`` (LLM batch mode) gives a digest service whose model calls go through the
    half-price Batch API until the given deadline; the pre-build uses it when the first post is
    at least ``batch_lead`` away, and falls back to direct calls at the deadline.
    """

    subscriptions: SubscriptionStore
    delivery: DeliveryService
    digests: DigestService
    edition: Edition
    platforms: Collection[str] | None = None
    clock: Clock = utc_now
    max_concurrent: int = MAX_CONCURRENT_DELIVERIES
    batch_digests: Callable[[dt.datetime], DigestService] | None = None
    batch_lead: dt.timedelta = dt.timedelta(hours=3)
    busy_retry_seconds: float = BUSY_RETRY_SECONDS
    purge: Callable[[], str] | None = None
    last_result: DeliveryResult | None = field(default=None, init=False)
    _stopping: asyncio.Event | None = field(default=None, init=False)  # made in start(), inside the running loop
    _limit: asyncio.Semaphore = field(init=False)
    _in_flight: set[str] = field(default_factory=set, init=False)
    _tasks: set[asyncio.Task[object]] = field(default_factory=set, init=False)
    _started_catch_up: bool = field(default=False, init=False)
    _apscheduler: AsyncIOScheduler | None = field(default=None, init=False)
    _scheduled: dict[str, tuple[object, ...]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._limit = asyncio.Semaphore(self.max_concurrent)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Create one job per active subscription, the catch-up check (first run now) and the pre-build."""
        scheduler = AsyncIOScheduler(
            timezone=dt.UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(GRACE.total_seconds()),
            },
        )
        self._apscheduler = scheduler
        self._stopping = asyncio.Event()
        self.resync()
        scheduler.add_job(
            self.catch_up,
            IntervalTrigger(seconds=int(CATCH_UP_EVERY.total_seconds()), timezone=dt.UTC),
            id="catch-up",
            next_run_time=self.clock(),
            replace_existing=True,
        )
        scheduler.add_job(
            self.prebuild,
            CronTrigger(
                day_of_week="sun,mon,tue,wed,thu",
                hour=_PREBUILD_AT.hour,
                minute=_PREBUILD_AT.minute,
                timezone=EASTERN,
            ),
            id="prebuild",
            replace_existing=True,
        )
        if self.purge is not None:
            scheduler.add_job(
                self.housekeeping,
                CronTrigger(hour=PURGE_AT.hour, minute=PURGE_AT.minute, timezone=dt.UTC),
                id="purge",
                replace_existing=True,
            )
        scheduler.start(paused=paused)

    async def shutdown(self) -> None:
        """Stop scheduling, let each delivery finish the message in flight, then stop."""
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.pause()
        if self._stopping is not None:
            self._stopping.set()
        self.delivery.stop()
        running = [task for task in self._tasks if not task.done()]
        if running:
            log.info("waiting for %d deliveries to finish their message in flight", len(running))
            await asyncio.wait(running, timeout=SHUTDOWN_WAIT)
        if self._apscheduler is not None and self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)

    def refresh(self, key: str, subscription: Subscription | None) -> None:
        """A subscription changed (chat or CLI) to ``subscription`` (``None``: ended): replace or
        remove its job. It is handed the new state rather than reading it back, because it runs
        on the event loop and the database is not the loop's to wait on."""
        if subscription is None or not self._postable(subscription):
            self._unschedule(key)
        else:
            self._schedule(subscription)

    def resync(self, active: list[Subscription] | None = None) -> None:
        """Match the jobs to the database: changes made by the CLI or another instance arrive here."""
        wanted = {s.channel_key: s for s in (self._active() if active is None else active)}
        for key in set(self._scheduled) - set(wanted):
            self._unschedule(key)
        for subscription in wanted.values():
            self._schedule(subscription)

    def _active(self) -> list[Subscription]:
        return [s for s in self.subscriptions.active() if self._postable(s)]

    def _postable(self, subscription: Subscription) -> bool:
        return not subscription.paused and (self.platforms is None or subscription.platform in self.platforms)

    def _schedule(self, subscription: Subscription) -> None:
        """Add or replace the job; an unchanged schedule keeps its job (and its pending run)."""
        key = subscription.channel_key
        signature = (subscription.time, subscription.timezone, subscription.weekdays)
        if self._apscheduler is None or self._scheduled.get(key) == signature:
            return
        self._scheduled[key] = signature
        self._apscheduler.add_job(
            self.run_subscription,
            subscription.trigger(),
            args=[subscription.channel_key],
            id=_job_id(subscription.channel_key),
            name=subscription.channel_key,
            replace_existing=True,
        )

    def _unschedule(self, key: str) -> None:
        if self._scheduled.pop(key, None) is not None and self._apscheduler is not None:
            self._apscheduler.remove_job(_job_id(key))

    # --- introspection (tests, a debugging shell) ---------------------------------------

    def job(self, key: str) -> Job | None:
        """The APScheduler job of a channel, if scheduled."""
        return self._apscheduler.get_job(_job_id(key)) if self._apscheduler else None

    def next_run(self) -> dt.datetime | None:
        if self._apscheduler is None:
            return None
        times = [
            job.next_run_time
            for job in self._apscheduler.get_jobs()
            if job.id.startswith("digest:") and job.next_run_time is not None
        ]
        return min(times) if times else None

    # --- jobs -------------------------------------------------------------------------

    async def run_subscription(self, key: str) -> DeliveryResult | None:
        """The cron job: deliver the edition of the run that is due now."""
        platform, _, channel_id = key.partition(":")
        subscription = await db_call(self.subscriptions.get, platform, channel_id)
        if subscription is None or not self._postable(subscription):
            return None
        return await self._deliver(subscription, subscription.last_fire(self.clock()))

    async def catch_up(self) -> list[DeliveryResult]:
        """Deliver every subscription whose time passed today and whose edition is not posted.

        A database that is restarting (or briefly unreachable) skips one check with a warning;
        the next check, minutes later, does the work."""
        try:
            return await self._catch_up()
        except OperationalError as error:
            minutes = int(CATCH_UP_EVERY.total_seconds() // 60)
            log.warning(
                "the catch-up check could not reach the database (%s); next try in %d minutes", _reason(error), minutes
            )
            return []

    async def _catch_up(self) -> list[DeliveryResult]:
        active = await db_call(self._active)
        self.resync(active)
        now = self.clock()
        first_check, self._started_catch_up = not self._started_catch_up, True
        due = []
        for subscription in active:
            scheduled = subscription.last_fire(now)
            if scheduled.date() == now.astimezone(subscription.zone).date():
                due.append((subscription, scheduled))
            elif first_check:
                await self._report_missed(subscription, scheduled)
        results = await asyncio.gather(*(self._deliver(sub, scheduled) for sub, scheduled in due))
        return [result for result in results if result is not None]

    async def prebuild(self) -> None:
        """Build the next edition for every language in use, before the first channel asks."""
        active = await db_call(self._active)
        languages = sorted({s.language for s in active})
        now = self.clock()
        day = self.edition(now)
        digests = self.digests
        first_post = min((s.next_fire(now) for s in active), default=None)
        if self.batch_digests is not None and first_post is not None and first_post - now >= self.batch_lead:
            digests = self.batch_digests(first_post)  # stored digests are shared: posts reuse it
            log.info("pre-building through the Batch API, due by %s", first_post.isoformat())
        for language in languages:
            try:
                digest = await digests.digest(day, language=language)
                log.info("pre-built the %s digest of %s", language, digest.date)
            except SourceError as error:
                log.info("no %s digest to pre-build: %s", language, error)

    async def housekeeping(self) -> None:
        """The daily retention purge (``purge``), in the database pool, never on the loop."""
        if self.purge is None:
            return
        try:
            log.info("%s", await db_call(self.purge))
        except Exception:
            log.exception("the retention purge failed; it runs again tomorrow")

    # --- one delivery -----------------------------------------------------------------

    async def _deliver(self, subscription: Subscription, scheduled: dt.datetime) -> DeliveryResult | None:
        key = subscription.channel_key
        if key in self._in_flight:  # the cron job and the catch-up check met: one is enough
            return None
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._in_flight.add(key)
        try:
            return await self._deliver_until_not_busy(subscription, scheduled)
        finally:
            self._in_flight.discard(key)

    async def _deliver_until_not_busy(
        self, subscription: Subscription, scheduled: dt.datetime
    ) -> DeliveryResult | None:
        """Deliver; while another instance holds the delivery, claim again every few seconds
        (holding no delivery slot meanwhile), so a holder that died is replaced quickly."""
        for _ in range(BUSY_RETRIES):
            async with self._limit:
                result = await self._deliver_now(subscription, scheduled)
            if result is None or result.outcome is not Outcome.BUSY:
                return result
            if await self._stopped_within(self.busy_retry_seconds):
                return result
        return result

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if shutdown begins; True if it did."""
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def _deliver_now(self, subscription: Subscription, scheduled: dt.datetime) -> DeliveryResult | None:
        key = subscription.channel_key
        now = self.clock()
        late = now - scheduled > GRACE
        note = None
        if late:  # put into words at render time, in the language of the digest it heads
            due, sent = f"{scheduled:%H:%M}", f"{now.astimezone(subscription.zone):%H:%M}"
            note = Note(key="delivery.late", values={"due": due, "zone": subscription.timezone, "sent": sent})
        try:
            result = await self.delivery.deliver(
                subscription.platform,
                subscription.channel_id,
                day=self.edition(scheduled),
                language=subscription.language,
                categories=subscription.categories,
                note=note,
                interests=subscription.interests,
                detail=subscription.detail,
            )
        except NoAnnouncement as error:
            log.info("%s: nothing to post for the run of %s: %s", key, scheduled.isoformat(), error)
            return None
        except SourceError as error:
            log.warning("%s: the digest is not available yet (%s); the catch-up check will retry", key, error)
            return None
        except OperationalError as error:
            log.warning("%s: the database is unavailable (%s); the catch-up check will retry", key, _reason(error))
            return None
        except Exception:
            log.exception("%s: delivery failed; the catch-up check will retry", key)
            return None
        level = logging.WARNING if result.outcome is Outcome.FAILED else logging.INFO
        log.log(level, "%s%s", result.describe(), " (late)" if late and result.outcome is Outcome.SENT else "")
        if result.outcome is Outcome.SENT:
            self.last_result = result
        return result

    async def _report_missed(self, subscription: Subscription, scheduled: dt.datetime) -> None:
        """A run before today that never posted: say so once at start instead of posting it late."""
        day = self.edition(scheduled)
        if day is None:
            return
        delivered = await db_call(self.delivery.deliveries.find, subscription.platform, subscription.channel_id, day)
        if delivered is None or delivered.status != "done":
            log.warning(
                "%s: the run of %s (digest of %s) was missed while the bot was down; not posting it late",
                subscription.channel_key,
                scheduled.isoformat(),
                day,
            )


def _reason(error: OperationalError) -> str:
    """The driver's first line (e.g. "the database system is shutting down"), never the URL."""
    return str(error.orig).splitlines()[0] if error.orig else type(error).__name__
