"""A month of the real ``digestbot run`` under a shifted clock, with faults (issue 11's soak).

Three Slack channels subscribe daily at a time inside their zone's repeated hour at the end of
daylight saving time: 02:30 Europe/Berlin (2026-10-25), 23:30 Africa/Cairo (2026-10-29) and
01:30 America/New_York (2026-11-01). The bot runs against the local fakes (arXiv API and feed,
an OpenAI-compatible model server, Slack's Web API in HTTP mode) and a throw-away PostgreSQL
cluster of its own, from 2026-10-15 to 2026-11-14, and meets:

- arXiv 503s with ``Retry-After`` (short, then longer than its retries: the day is built later);
- model 429s with ``Retry-After`` and replies that are not JSON;
- Slack 429s with ``Retry-After`` on ``chat.postMessage``;
- a PostgreSQL restart across a scheduled post;
- two SIGKILLs: one between two messages of a post, one while idle (restarted each time).

How the clock moves. libfaketime (Debian's, preloaded) shifts the process's wall *and* monotonic
clocks by an offset read from a file. Between events the process runs in real time, so network
timeouts, Slack's pacing, retries and the loop-lag probe all see real durations. When the bot is
idle, the offset jumps to just before the next scheduled post: to the process this is exactly
the machine pausing it (SIGSTOP) for that long — every asyncio and APScheduler timer that came
due fires on resume, and the catch-up check runs, as after a suspended laptop. A speed-up
(``x600``) was rejected: it shrinks every timeout and pacing interval 600-fold and turns loop
lag into fake seconds. Where a post is due but not complete, the clock moves on to the next
10-minute catch-up check, as a real day would pass. Skipping idle time is faithful because
nothing in the bot is meant to happen between its timers.

It passes when every (channel, announcement day) has exactly one complete digest in what the fake
Slack received (a parent and each of its thread parts, once), event-loop lag stays under 100 ms
at p99 (``DIGEST_LOOP_LAG_LOG`` samples; a sample spanning a clock jump has the jump taken off),
and resident memory grows by less than 10 % within each process lifetime after its first digest.
Run as root (it starts PostgreSQL as the ``postgres`` user): ``.venv/bin/python benchmarks/soak.py``.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.fakes.arxiv_server import FakeArxivServer
from tests.fakes.openai_server import FakeOpenAIServer, Fault
from tests.fakes.slack_api import FakeSlackApi, SlackCall

from digestbot.bot.scheduling.scheduler import CATCH_UP_EVERY, READY_DELAY
from digestbot.summarizer.sources.calendar import latest_announcement
from soak_verdicts import digest_verdict, fault_report, lag_verdict, rss_verdict
from soak_world import DIGESTBOT, BotProcess, Postgres, ShiftedClock, month_of_papers

START = dt.datetime(2026, 10, 15, 12, 0, tzinfo=dt.UTC)
DAYS = 30
CHANNELS = {
    "C0BERLIN": ("Europe/Berlin", dt.time(2, 30)),
    "C0CAIRO": ("Africa/Cairo", dt.time(23, 30)),
    "C0NEWYORK": ("America/New_York", dt.time(1, 30)),
}
CATEGORIES = "llm,cv"
PAPERS_PER_DAY = 10
LEAD = dt.timedelta(seconds=1)
"""How far before a post's time the clock lands: the scheduler's own timer then fires it."""
QUIET_SECONDS = 1.5
OUTCOME_TIMEOUT = 120.0
MAX_CATCH_UPS = 6


@dataclass(frozen=True)
class Event:
    """A subscription's scheduled post: when, where, and which announcement it stands for."""

    at: dt.datetime
    channel: str
    edition: dt.date


def scheduled_posts() -> list[Event]:
    """Every daily post in the month, at the first of a repeated wall time (fold=0).

    A post due earlier on the first local day is in too: the bot catches it up when it starts.
    """
    end = START + dt.timedelta(days=DAYS)
    events = []
    for channel, (zone, wall) in CHANNELS.items():
        day = START.astimezone(ZoneInfo(zone)).date()
        while (at := dt.datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)) < end:
            events.append(Event(at, channel, latest_announcement(at - READY_DELAY)))
            day += dt.timedelta(days=1)
    return sorted(events, key=lambda event: event.at)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Month:
    """The fakes, the database, the clock and the bot, and the faults the scenario injects."""

    def __init__(self, *, folder: Path, arxiv: FakeArxivServer, model: FakeOpenAIServer, slack: FakeSlackApi) -> None:
        self.folder, self.arxiv, self.model, self.slack = folder, arxiv, model, slack
        self.postgres = Postgres(free_port())
        self.clock = ShiftedClock(folder, START)
        self.port = free_port()
        self.bot = BotProcess(folder=folder, env=self.bot_env(), clock=self.clock)
        self.kill_in: str | None = None
        self.kills = 0
        self.slack.on_call("chat.postMessage", self._maybe_kill, after=True)

    def bot_env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": FakeSlackApi.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "soak-signing-secret",
            "SLACK_API_URL": self.slack.api_url,
            "OPENAI_API_KEY": "sk-soak",
            "OPENAI_BASE_URL": self.model.url,
            "DIGEST_SOURCE": "arxiv",
            "ARXIV_API_URL": self.arxiv.api_url,
            "ARXIV_RSS_URL": self.arxiv.rss_url,
            "ARXIV_HTML_URL": f"{self.arxiv.base_url}/html",
            "DIGEST_FULLTEXT": "false",
            "DATABASE_URL": self.postgres.url,
            "PORT": str(self.port),
            "DIGEST_LOOP_LAG_LOG": "0.25",
        }

    def _maybe_kill(self, call: SlackCall) -> None:
        """SIGKILL the bot right after Slack stored a thread part of the armed channel's post."""
        if self.kill_in is not None and call.params.get("channel") == self.kill_in and call.params.get("thread_ts"):
            self.kill_in = None
            self.kills += 1
            self.bot.kill()

    def subscribe(self) -> None:
        env = {**self.bot_env(), "PATH": "/usr/bin:/bin"}
        for channel, (zone, wall) in CHANNELS.items():
            command = [DIGESTBOT, "subscriptions", "add", f"slack:{channel}", "--time", f"{wall:%H:%M}"]
            command += ["--tz", zone, "--days", "daily", "--categories", CATEGORIES]
            subprocess.run(command, env=env, cwd=self.folder, check=True, capture_output=True)

    def start_bot(self) -> None:
        self.bot.start(posts_before=len(self.slack.posted()))
        deadline = time.monotonic() + 60
        while not self._healthy():
            if not self.bot.alive() or time.monotonic() > deadline:
                raise SystemExit("digestbot run did not get ready:\n" + "\n".join(self.bot.log[-30:]))
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    # --- what the fake Slack and the database say ------------------------------------

    def parts_planned(self, channel: str, day: dt.date) -> int | None:
        """The bot's own record of a finished delivery's parts (None: not done, or no database)."""
        try:
            with psycopg.connect(self.postgres.url.replace("+psycopg", ""), connect_timeout=2) as connection:
                row = connection.execute(
                    "SELECT status, parts_total FROM deliveries WHERE platform = 'slack' AND channel_id = %s "
                    "AND digest_date = %s",
                    (channel, day),
                ).fetchone()
        except psycopg.Error:
            return None
        return row[1] if row is not None and row[0] == "done" else None

    def posted_parts(self, channel: str) -> Counter[tuple[dt.date, int]]:
        """(digest date, part index) of every message the bot posted in ``channel``, counted."""
        parts: Counter[tuple[dt.date, int]] = Counter()
        for message in self.slack.posted(channel):
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            stamp, _, rest = key.partition("-")
            if stamp:
                parts[dt.datetime.strptime(stamp, "%Y%m%d").date(), int(rest.split("-")[0])] += 1
        return parts

    def complete(self, channel: str, day: dt.date) -> bool:
        planned = self.parts_planned(channel, day)
        parts = self.posted_parts(channel)
        return planned is not None and all(parts[day, index] >= 1 for index in range(planned))

    # --- moving through the month -----------------------------------------------------

    def idle_for(self, seconds: float) -> None:
        """Wait until no fake served a request and the bot used no CPU for ``seconds``."""
        quiet_since, cpu, count = time.monotonic(), -1.0, -1
        while time.monotonic() - quiet_since < seconds:
            time.sleep(0.25)
            now_cpu = self.bot.cpu_seconds() if self.bot.alive() else cpu
            now_count = len(self.slack.calls) + len(self.model.requests) + len(self.arxiv.requests)
            if now_count != count or now_cpu - cpu > 0.02:
                quiet_since, cpu, count = time.monotonic(), now_cpu, now_count

    def post(self, event: Event) -> None:
        """Land just before ``event``; wait for its digest, letting catch-up checks pass if needed."""
        already = self.complete(event.channel, event.edition)
        since = len(self.bot.log)
        self.clock.jump_to(event.at - LEAD)
        for _ in range(MAX_CATCH_UPS):
            self.await_outcome(event, since=since)
            self.restart_if_killed()
            if already or self.complete(event.channel, event.edition):
                break
            since = len(self.bot.log)
            self.clock.jump_to(self.clock.now() + CATCH_UP_EVERY + dt.timedelta(seconds=5))
        if not already and not self.complete(event.channel, event.edition):
            print(f"  {self.clock.now():%Y-%m-%d %H:%M} UTC  {event.channel} {event.edition}: still incomplete")
        self.bot.sample_rss()
        if len(self.slack.posted()) > self.bot.lifetimes[-1].posts_before:
            self.bot.mark_warm()

    def await_outcome(self, event: Event, *, since: int) -> None:
        """Wait for the scheduler to log how this channel's run ended (sent, failed, already
        posted), then for quiet. The clock must not jump while a delivery is under way: a bot
        sleeping out arXiv's ``Retry-After`` uses no CPU and sends nothing, yet is not idle."""
        needle = f"slack:{event.channel} {event.edition}: "
        deadline = time.monotonic() + OUTCOME_TIMEOUT
        while self.bot.alive() and time.monotonic() < deadline:
            if any(needle in line for line in self.bot.log[since:]):
                break
            time.sleep(0.1)
        else:
            if self.bot.alive():
                print(f"  {self.clock.now():%Y-%m-%d %H:%M} UTC  {needle}no outcome within {OUTCOME_TIMEOUT:.0f} s")
        self.idle_for(QUIET_SECONDS)

    def restart_if_killed(self) -> None:
        if not self.bot.alive():
            self.bot.wait()
            self.start_bot()
            self.idle_for(QUIET_SECONDS)


# --- the scenario: which fault comes before which post ------------------------------------


def faults(month: Month) -> dict[int, tuple[str, Callable[[], None]]]:
    """Fault injections keyed by the index of the post they precede."""

    def restart_postgres() -> None:
        month.postgres.stop()
        month.clock.jump_to(month.clock.now() + dt.timedelta(minutes=1))
        time.sleep(8)
        month.postgres.start()

    def kill_idle() -> None:
        month.bot.kill()
        month.kills += 1
        month.start_bot()

    return {
        3: ("arXiv 503 x2, Retry-After: 2", lambda: month.arxiv.fail_next(status=503, times=2, retry_after="2")),
        8: (
            "model 429 + 2 replies not JSON",
            lambda: month.model.fail_next(
                Fault.http(429, retry_after=1), Fault.content("not json"), Fault.content('{"categories": [')
            ),
        ),
        12: (
            "Slack 429 x3 on chat.postMessage",
            lambda: month.slack.fail_next("chat.postMessage", status=429, times=3, retry_after="1"),
        ),
        17: ("SIGKILL between two messages of a post", lambda: setattr(month, "kill_in", "C0CAIRO")),
        24: ("PostgreSQL restart", restart_postgres),
        31: (
            "arXiv 503 x5, Retry-After: 2 (all of a build's retries)",
            lambda: month.arxiv.fail_next(status=503, times=5, retry_after="2"),
        ),
        38: ("SIGKILL while idle", kill_idle),
        45: (
            "model 429 x3 + not JSON",
            lambda: month.model.fail_next(*[Fault.http(429, retry_after=1)] * 3, Fault.content("{{{")),
        ),
        52: (
            "Slack 429 x2 on chat.postMessage",
            lambda: month.slack.fail_next("chat.postMessage", status=429, times=2, retry_after="2"),
        ),
    }


def run_month(month: Month, events: list[Event]) -> None:
    injections = faults(month)
    started = time.monotonic()
    for index, event in enumerate(events):
        if index in injections:
            name, inject = injections[index]
            print(f"  {month.clock.now():%Y-%m-%d %H:%M} UTC  inject: {name}", flush=True)
            inject()
        month.post(event)
        if index % 10 == 9:
            print(
                f"  {event.at:%Y-%m-%d %H:%M} UTC  {index + 1}/{len(events)} posts due, "
                f"{time.monotonic() - started:.0f} s",
                flush=True,
            )


def main() -> int:
    events = scheduled_posts()
    first, last = START.date() - dt.timedelta(days=4), (START + dt.timedelta(days=DAYS)).date()
    papers = month_of_papers(first, last, per_day=PAPERS_PER_DAY)
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="digestbot-soak-") as folder,
        FakeArxivServer(papers=papers) as arxiv,
        FakeOpenAIServer() as model,
        FakeSlackApi() as slack,
    ):
        month = Month(folder=Path(folder), arxiv=arxiv, model=model, slack=slack)
        with month.postgres:
            month.subscribe()
            print(
                f"{len(events)} scheduled posts from {START:%Y-%m-%d} for {DAYS} days; clock via libfaketime",
                flush=True,
            )
            month.start_bot()
            try:
                run_month(month, events)
            finally:
                code = month.bot.stop() if month.bot.alive() else None
            print(f"\nsimulated {DAYS} days in {time.monotonic() - began:.0f} s (bot's last exit code {code})")
            results = [digest_verdict(month, events, CHANNELS), lag_verdict(month), rss_verdict(month)]
            fault_report(month)
    print("SOAK PASSED" if all(results) else "SOAK FAILED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
