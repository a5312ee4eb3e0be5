"""500 subscribed channels across time zones through one simulated day, and the cold start of ``run``.

Run as ``.venv/bin/python benchmarks/scheduler_load.py``. Targets (issue 7): one digest build per
(date, language); posts within the platforms' limits; scheduler overhead ≤ 50 MB RSS; cold start
of ``digestbot run`` to ready ≤ 2 s.

The day is simulated, not waited for: the clock jumps from one scheduled instant to the next and
each instant runs what APScheduler would run then (the subscriptions' cron jobs, concurrently).
Messages go to an in-memory transport that stamps each with *virtual* time: the delivery's own
pacing sleeps advance a per-delivery virtual clock instead of sleeping. Per-channel rates are
measured that way; the global rate is then computed by replaying the recorded deliveries through
the scheduler's concurrency limit (a delivery waits for a free slot, as it does for the semaphore).
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import gc
import heapq
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.dated_source import DatedSampleSource  # noqa: E402
from tests.fakes.memory_transport import FakePlatform, MemoryTransport, outlet  # noqa: E402

from digestbot.app.wiring import build_bot  # noqa: E402
from digestbot.bot.config import load_settings  # noqa: E402
from digestbot.bot.delivery.service import DEFAULT_PART_INTERVAL  # noqa: E402
from digestbot.bot.ports import OutgoingMessage  # noqa: E402
from digestbot.bot.scheduling.scheduler import MAX_CONCURRENT_DELIVERIES, DigestScheduler, announcement_edition  # noqa: E402

CHANNELS = 500
ZONES = [
    ("Asia/Seoul", "ko"),
    ("Asia/Tokyo", "en"),
    ("Asia/Shanghai", "en"),
    ("Asia/Kolkata", "en"),
    ("Europe/Berlin", "de"),
    ("Europe/London", "en"),
    ("Europe/Paris", "en"),
    ("America/New_York", "en"),
    ("America/Chicago", "en"),
    ("America/Los_Angeles", "en"),
    ("America/Sao_Paulo", "en"),
    ("Australia/Sydney", "en"),
    ("Africa/Lagos", "en"),
    ("UTC", "en"),
]
TIMES = ["08:00", "08:30", "09:00", "09:30", "10:00"]
DAY_START = dt.datetime(2026, 6, 29, 12, 0, tzinfo=dt.UTC)  # the simulated day: the next 24 hours
SLACK_PER_CHANNEL = 1.0  # messages per second per channel (chat.postMessage)
DISCORD_GLOBAL = 50.0  # requests per second per bot
COLD_STARTS = 5

_virtual_now: contextvars.ContextVar[list[float]] = contextvars.ContextVar("virtual_now")


async def virtual_sleep(seconds: float) -> None:
    _virtual_now.get()[0] += seconds


class VirtualTransport(MemoryTransport):
    """Renders like the test transport, keeps messages in memory, paced like a real platform."""

    min_send_interval = DEFAULT_PART_INTERVAL

    def __init__(self) -> None:
        super().__init__(FakePlatform(Path(tempfile.mkdtemp()) / "unused.db"))
        self.sent: dict[str, list[float]] = defaultdict(list)

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        self.sent[channel_id].append(_virtual_now.get()[0])
        return f"{channel_id}-{len(self.sent[channel_id])}"

    async def find_sent(self, channel_id: str, idempotency_key: str, *, since: dt.datetime) -> str | None:
        return None


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Clock:
    def __init__(self) -> None:
        self.now = DAY_START

    def __call__(self) -> dt.datetime:
        return self.now


async def simulate_day(folder: Path) -> None:
    clock = Clock()
    source = DatedSampleSource(papers=261)
    bot = build_bot(load_settings(database_url=f"sqlite:///{folder / 'bot.db'}"), paper_source=source, clock=clock)
    transport = VirtualTransport()
    bot.outlets["fake"] = outlet(transport)
    bot.delivery.sleep = virtual_sleep
    for number in range(CHANNELS):
        zone, language = ZONES[number % len(ZONES)]
        bot.subscriptions.add(f"fake:c{number:03d}", time=TIMES[number % len(TIMES)], timezone=zone, language=language)
    scheduler = DigestScheduler(
        subscriptions=bot.subscriptions.store,
        delivery=bot.delivery,
        digests=bot.digests,
        edition=announcement_edition,
        clock=clock,
    )

    gc.collect()
    before = rss_mb()
    scheduler.start(paused=True)  # 500 cron jobs, the catch-up check and the pre-build; left paused
    gc.collect()
    overhead = rss_mb() - before

    fires: dict[dt.datetime, list[str]] = defaultdict(list)
    for subscription in bot.subscriptions.list():
        fires[subscription.next_fire(DAY_START)].append(subscription.channel_key)
    deliveries: list[tuple[float, int]] = []
    started = time.perf_counter()
    for instant in sorted(fires):
        clock.now = instant

        async def run(key: str, at: float = instant.timestamp()) -> None:
            _virtual_now.set([at])
            result = await scheduler.run_subscription(key)
            if result is not None:
                deliveries.append((at, result.parts_sent))

        await asyncio.gather(*(run(key) for key in fires[instant]))
    elapsed = time.perf_counter() - started

    builds = Counter((day, language) for day, language in zip(source.listings, built_languages(bot), strict=True))
    print(f"channels: {CHANNELS} in {len(ZONES)} zones; {len(fires)} distinct posting instants in the day")
    print(f"digest builds per (date, language): {dict(sorted((f'{d} {lang}', n) for (d, lang), n in builds.items()))}")
    print(f"  -> max {max(builds.values())} build per (date, language) (target 1)")
    posted = sum(len(times) for times in transport.sent.values())
    print(f"messages posted: {posted} ({posted // CHANNELS} per channel), simulated day in {elapsed:.1f} s of CPU")
    gaps = [b - a for times in transport.sent.values() for a, b in itertools.pairwise(times)]
    windows = [sum(1 for t in times if start <= t < start + 1) for times in transport.sent.values() for start in times]
    print(
        f"per channel: at most {max(windows)} message(s) in any 1 s window, smallest gap {min(gaps):.2f} s "
        f"(Slack allows {SLACK_PER_CHANNEL:.0f}/s per channel, Discord 5 per 5 s)"
    )
    peak, drain = replay_global(deliveries)
    print(
        f"all channels: peak {peak} messages in any 1 s window with {MAX_CONCURRENT_DELIVERIES} concurrent "
        f"deliveries (Discord: {DISCORD_GLOBAL:.0f}/s per bot); the largest burst drains in {drain / 60:.1f} min"
    )
    print(f"scheduler RSS overhead for {CHANNELS} jobs: {overhead:.1f} MB (target ≤ 50 MB)")


def built_languages(bot: object) -> list[str]:
    """The language of each build, in build order (the store keeps one digest per build)."""
    from sqlalchemy import select

    from digestbot.bot.storage.tables import DigestRow

    sessions = bot.delivery.deliveries._sessions  # type: ignore[attr-defined]
    with sessions() as session:
        rows = session.execute(select(DigestRow.built_at, DigestRow.language).order_by(DigestRow.built_at)).all()
    return [language for _, language in rows]


def replay_global(deliveries: list[tuple[float, int]]) -> tuple[int, float]:
    """Peak messages per second over all channels, and how long the largest burst takes to drain."""
    slots = [0.0] * MAX_CONCURRENT_DELIVERIES
    sends: list[float] = []
    drain = 0.0
    for fire, parts in sorted(deliveries):
        start = max(fire, heapq.heappop(slots))
        times = [start + index * DEFAULT_PART_INTERVAL for index in range(parts)]
        sends.extend(times)
        heapq.heappush(slots, times[-1] + DEFAULT_PART_INTERVAL)
        drain = max(drain, times[-1] - fire)
    per_second = Counter(int(t) for t in sends)
    return max(per_second.values()), drain


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cold_start(folder: Path) -> float:
    """Seconds from launching ``digestbot run`` to a 200 from /healthz (no platform: no handshakes)."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite:///{folder / 'run.db'}", "DIGEST_SOURCE": "sample"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "digestbot"), "run"],
        env=env,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise SystemExit(f"digestbot run exited: {process.stderr.read().decode()}") from None  # type: ignore[union-attr]
                time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(simulate_day(Path(folder)))
    with tempfile.TemporaryDirectory() as folder:
        times = [cold_start(Path(folder)) for _ in range(COLD_STARTS)]
    print(
        f"cold start of digestbot run to ready: first (new database, migrations) {times[0]:.2f} s, "
        f"then median {statistics.median(times[1:]):.2f} s, max {max(times[1:]):.2f} s (target ≤ 2 s)"
    )


if __name__ == "__main__":
    main()
