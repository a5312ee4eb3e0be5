"""Where a month-long ``digestbot run`` grows: the soak's daily work in one process, measured.

``soak.py`` judges the real process (RSS must grow < 10 % within each lifetime) but takes ten
minutes and says nothing of *what* grows. This does the same daily work in this process for many
simulated announcement days — the soak's month of papers from the fake arXiv, a digest built by
the LLM back end against the fake model server, posted to three Slack channels through the real
delivery path against the fake Slack, and a question answered in one of the threads — with the
fakes in a process of their own, so what they record is not counted. It prints RSS after each
day and the RSS growth from ``--from-day`` to the last day.

``--trace`` adds the memory ``tracemalloc`` sees (the bot's live Python objects) and, at the
end, how much of it grew between those days and where (by traceback). RSS growing while traced
memory stays flat is memory the allocator keeps, not an object someone holds; ``--trim``
(glibc's ``malloc_trim(0)`` after each day's work) and ``--arena-max N`` (``mallopt(M_ARENA_MAX)``),
which ``digestbot run`` both does (``app/memory.py``), tell which allocator behaviour it is.
With ``--trace`` the RSS figures include tracemalloc's own tables.

Run as ``.venv/bin/python benchmarks/memory_growth.py [--days 20] [--from-day 3] [--trace]
[--trim] [--arena-max 2] [--database-url postgresql+psycopg://…]`` (default: a SQLite file).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import multiprocessing
import os
import re
import sys
import tempfile
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.fakes.arxiv_server import FakeArxivServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.slack_api import FakeSlackApi

from digestbot.app.memory import release_free_memory, share_malloc_arenas
from digestbot.app.platforms import platform_settings
from digestbot.app.wiring import Bot, build_bot
from digestbot.bot.commands.handlers import Conversation
from digestbot.bot.config import Settings
from digestbot.bot.scheduling.scheduler import READY_DELAY
from digestbot.summarizer.sources.arxiv import ArxivSource
from digestbot.summarizer.sources.calendar import is_announcement_day, latest_announcement
from soak_world import month_of_papers

START = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)
CHANNELS = ("C0BERLIN", "C0CAIRO", "C0NEWYORK")
CATEGORIES = ("llm", "cv")
PAPERS_PER_DAY = 10
TOP_GROWTH = 12
FRAMES = 8
ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


class Calendar:
    """The simulated wall clock: one announcement day after another, each at its posting hour."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def next_day(self) -> dt.date:
        """Move to the next announcement's posting time; the edition it posts."""
        self.now += dt.timedelta(days=1)
        while not is_announcement_day((self.now - READY_DELAY).date()):
            self.now += dt.timedelta(days=1)
        return latest_announcement(self.now - READY_DELAY)


def serve_fakes(connection: Connection, days: int) -> None:
    """The fake arXiv, model server and Slack, in a process of their own so that what they
    record is not measured as the bot's; their addresses go back through ``connection``."""
    first, last = START.date() - dt.timedelta(days=4), (START + dt.timedelta(days=days * 2)).date()
    papers = month_of_papers(first, last, per_day=PAPERS_PER_DAY)
    with FakeArxivServer(papers=papers) as arxiv, FakeOpenAIServer() as model, FakeSlackApi() as slack:
        connection.send(
            {
                "SLACK_API_URL": slack.api_url,
                "OPENAI_BASE_URL": model.url,
                "ARXIV_API_URL": arxiv.api_url,
                "ARXIV_RSS_URL": arxiv.rss_url,
            }
        )
        connection.recv()  # until the measurement is over


def environment(folder: Path, urls: dict[str, str], database_url: str | None) -> None:
    """What the soak gives ``digestbot run``, set in this process (settings read the environment)."""
    os.environ.update(
        {
            **urls,
            "SLACK_BOT_TOKEN": FakeSlackApi.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "memory-signing-secret",
            "OPENAI_API_KEY": "sk-memory",
            "DIGEST_SOURCE": "arxiv",
            "DIGEST_FULLTEXT": "false",
            "DATABASE_URL": database_url or f"sqlite:///{folder}/bot.db",
        }
    )


async def one_day(bot: Bot, day: dt.date, *, number: int) -> None:
    """Post ``day`` to every channel (together, as the three zones' posts are independent), then
    ask a question in one channel's thread, as a reader would."""
    results = await asyncio.gather(
        *(bot.delivery.deliver("slack", channel, day=day, language="en", categories=CATEGORIES) for channel in CHANNELS)
    )
    for result in results:
        if result.outcome.value not in ("sent", "already posted"):
            raise SystemExit(f"delivery failed: {result.describe()}")
    channel = CHANNELS[number % len(CHANNELS)]
    link = bot.services.threads.posted("slack", channel, day)[0]
    asker = Conversation("slack", channel, f"U{number:04d}", thread_id=link.thread_id)
    await bot.questions.ask_in_thread("What is the main contribution of the first paper?", link, asker)


def show_growth(early: tracemalloc.Snapshot, late: tracemalloc.Snapshot) -> None:
    stats = late.compare_to(early, "traceback")
    print(f"\ntraced memory between the two days: {sum(stat.size_diff for stat in stats) / 2**20:+.2f} MB")
    print(f"\nlargest growth by traceback (top {TOP_GROWTH}):")
    for stat in stats[:TOP_GROWTH]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB in {stat.count_diff:+6d} blocks (now {stat.size / 1024:.1f} KiB)")
        for frame in stat.traceback[:FRAMES]:
            print(f"      {frame.filename.removeprefix(ROOT)}:{frame.lineno}")


async def measure(urls: dict[str, str], options: argparse.Namespace) -> None:
    calendar = Calendar()
    with tempfile.TemporaryDirectory(prefix="digestbot-memory-") as folder:
        environment(Path(folder), urls, options.database_url)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        source = ArxivSource(
            api_url=urls["ARXIV_API_URL"], rss_url=urls["ARXIV_RSS_URL"], min_interval_seconds=0.0,
            backoff_seconds=0.0, now=calendar,
        )  # fmt: skip
        bot = await asyncio.to_thread(build_bot, settings, paper_source=source, clock=calendar)
        ready = platform_settings("slack")
        transport = ready.create_transport()
        bot.outlets["slack"] = ready.outlet(transport)
        try:
            await each_day(bot, calendar, options)
        finally:
            await transport.close()
            await bot.scheduler.shutdown()
            bot.engine.dispose()


async def each_day(bot: Bot, calendar: Calendar, options: argparse.Namespace) -> None:
    days, from_day = options.days, options.from_day
    early: tracemalloc.Snapshot | None = None
    rss: dict[int, float] = {}
    print(f"{'day':>3} {'edition':10} {'RSS MB':>7} {'traced MB':>9}")
    for number in range(1, days + 1):
        await one_day(bot, calendar.next_day(), number=number)
        gc.collect()
        if options.freeze:
            gc.freeze()
        if options.trim:
            release_free_memory()
        rss[number] = rss_mb()
        traced, _ = tracemalloc.get_traced_memory()
        print(f"{number:3} {calendar.now:%Y-%m-%d} {rss[number]:7.1f} {traced / 2**20:9.1f}", flush=True)
        if number == from_day and tracemalloc.is_tracing():
            early = tracemalloc.take_snapshot()  # a copy of every trace: later RSS includes it
    growth = rss[days] / rss[from_day] - 1
    print(f"RSS day {from_day} -> {days}: {rss[from_day]:.1f} -> {rss[days]:.1f} MB ({growth:+.1%})")
    if early is not None:
        show_growth(early, tracemalloc.take_snapshot())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--from-day", type=int, default=3)
    parser.add_argument("--trace", action="store_true", help="tracemalloc: slower, and RSS includes its tables")
    parser.add_argument("--trim", action="store_true", help="glibc malloc_trim(0) after each day, before measuring")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() the day's survivors, after collecting")
    parser.add_argument("--database-url", help="where the bot keeps its data (default: a SQLite file)")
    parser.add_argument("--arena-max", type=int, default=0, help="glibc malloc arenas (0: glibc's default)")
    options = parser.parse_args()
    if options.arena_max:
        share_malloc_arenas(options.arena_max)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    fakes = multiprocessing.get_context("spawn").Process(target=serve_fakes, args=(child, options.days), daemon=True)
    fakes.start()
    urls = parent.recv()
    if options.trace:
        tracemalloc.start(FRAMES)
    try:
        asyncio.run(measure(urls, options))
    finally:
        parent.send("stop")
        fakes.join(timeout=10)


if __name__ == "__main__":
    main()
