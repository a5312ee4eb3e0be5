"""A simulated month of the real ``digestbot run`` under a shifted clock, with faults injected.

The bot runs as a real process under libfaketime (Debian's ``faketime`` package): its wall and
monotonic clocks are the real ones plus an offset that this script reads from a file, so the
script fast-forwards the month by jumping the offset to just before each scheduled post, and the
bot's scheduler, calendar and time zones see a real month go by (25 Oct 2026: Europe leaves
summer time; 1 Nov: the US does). Three channels subscribe, in Berlin, New York and Seoul.

Around it, all on this machine: the fake arXiv (the month's papers, one set per announcement),
the fake model server, the fake Slack Web API, and a PostgreSQL cluster of our own (so it can
be restarted). Injected: arXiv 503s with ``Retry-After``, model 429s and garbage JSON, Slack
429s, a PostgreSQL restart, and two SIGKILLs of the bot (restarted at once).

Passes when every (channel, announcement day) has exactly one complete digest, the event-loop
lag probe (``/healthz`` round trips every 100 ms) stays under 100 ms at p99, and the bot's RSS
grows by less than 10 % between the first and the last simulated week of its final process.

Needs ``apt-get install faketime`` and the PostgreSQL server binaries; run as root (the cluster
runs as the ``postgres`` user). ``.venv/bin/python benchmarks/soak.py [--days 30]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from tests.fakes.arxiv_server import FakeArxivServer  # noqa: E402
from tests.fakes.openai_server import FakeOpenAIServer, Fault  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

from digestbot.bot.scheduling.scheduler import announcement_edition  # noqa: E402
from digestbot.bot.scheduling.subscriptions import parse_weekdays  # noqa: E402
from digestbot.summarizer.models import Paper  # noqa: E402
from digestbot.summarizer.sources.calendar import is_announcement_day, submission_window  # noqa: E402
from digestbot.summarizer.sources.jsonl import sample_source  # noqa: E402

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
DIGESTBOT = Path(sys.executable).with_name("digestbot")
START = dt.datetime(2026, 10, 19, 0, 0, tzinfo=dt.UTC)  # a Monday, a week before Europe's change
SUBSCRIPTIONS = {"C0BERLIN": ("09:00", "Europe/Berlin"), "C0NEWYORK": ("08:00", "America/New_York"),
                 "C0SEOUL": ("09:00", "Asia/Seoul")}  # fmt: skip
PAPERS_PER_DAY = 12
SETTLE_SECONDS = 60.0
KILL_ON_FIRES = (5, 17)
PG_RESTART_ON_FIRE = 11


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ShiftedClock:
    """The offset file libfaketime reads on every clock call (``FAKETIME_NO_CACHE``)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "faketime"
        self.set(START - dt.timedelta(minutes=5))

    def set(self, wanted: dt.datetime) -> None:
        offset = (wanted - dt.datetime.now(dt.UTC)).total_seconds()
        self.path.write_text(f"{offset:+.0f}s\n")

    def now(self) -> dt.datetime:
        offset = float(self.path.read_text().strip().removesuffix("s"))
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)


class Postgres:
    """A throw-away cluster owned by ``postgres``, so the soak may restart it."""

    def __init__(self, folder: Path) -> None:
        self.data = folder / "pg"
        self.port = free_port()
        self.bin = Path(shutil.which("pg_ctl") or "pg_ctl").parent
        self.data.mkdir()
        shutil.chown(self.data, "postgres", "postgres")
        self._as_postgres(f"{self.bin}/initdb -D {self.data} -A trust -U postgres >/dev/null")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, command: str) -> None:
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True)

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -o '{options}' -l {self.data}/log -w start >/dev/null")

    def restart(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m fast -w restart >/dev/null")

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl -D {self.data} -m fast -w stop >/dev/null")


def month_of_papers(days: int) -> tuple[list[Paper], list[dt.date]]:
    """Fresh papers for every announcement day of the period, published in its submission window."""
    sample = sample_source().papers()
    papers, announced = [], []
    for offset in range(-7, days + 2):  # the first posts of the period show the week before's papers
        day = (START + dt.timedelta(days=offset)).date()
        if not is_announcement_day(day):
            continue
        announced.append(day)
        start, _ = submission_window(day)
        for number in range(PAPERS_PER_DAY):
            template = sample[((offset + 7) * PAPERS_PER_DAY + number) % len(sample)]
            arxiv_id = f"{day:%y%m}.{offset + 7:02d}{number:03d}"
            published = start + dt.timedelta(minutes=10 + number)
            papers.append(template.model_copy(update={"arxiv_id": arxiv_id, "published": published, "version": 1}))
    return papers, announced


def fires(days: int) -> list[tuple[dt.datetime, str]]:
    """Every scheduled post of the period (Mon–Fri in each channel's zone), in time order."""
    weekdays = parse_weekdays("mon-fri")
    found = []
    for channel, (time_of_day, zone) in SUBSCRIPTIONS.items():
        hour, minute = (int(part) for part in time_of_day.split(":"))
        for offset in range(days):
            local = (START + dt.timedelta(days=offset)).astimezone(ZoneInfo(zone)).date()
            instant = dt.datetime.combine(local, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
            if local.weekday() in weekdays and START <= instant < START + dt.timedelta(days=days):
                found.append((instant, channel))
    return sorted(set(found))


class Ledger:
    """Reads the bot's delivery ledger: whether a (channel, digest date) is done, and in how many messages."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_pre_ping=True)

    def done(self, channel: str, day: dt.date) -> bool:
        return self.parts(channel, day) is not None

    def parts(self, channel: str, day: dt.date) -> int | None:
        query = text(
            "SELECT parts_total FROM deliveries WHERE platform = 'slack' AND channel_id = :channel "
            "AND digest_date = :day AND status = 'done'"
        )
        try:
            with self.engine.connect() as connection:
                return connection.execute(query, {"channel": channel, "day": day}).scalar_one_or_none()
        except OperationalError:  # the database is restarting
            return None


class Bot:
    """``digestbot run`` under the shifted clock; restartable."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.port = int(env["PORT"])
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def cli(self, *args: str) -> None:
        subprocess.run([str(DIGESTBOT), *args], env=self.env, cwd=self.folder, check=True, capture_output=True)

    def start(self) -> None:
        log = self.folder / f"bot-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(DIGESTBOT), "run"], env=self.env, cwd=self.folder, stdout=sink, stderr=sink,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while probe(self.port) is None:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the bot did not start; see {log}")
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def rss_kib(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def probe(port: int) -> float | None:
    """One /healthz round trip in seconds, or None when the bot does not answer."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            response.read()
    except OSError:
        return None
    return time.monotonic() - started


class LagProbe(threading.Thread):
    """``/healthz`` every 100 ms: the event loop's responsiveness as a client sees it."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.samples, self.stopped = port, list[float](), threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            if (seconds := probe(self.port)) is not None:
                self.samples.append(seconds)


def posted_days(slack: FakeSlackApi, channel: str, *, parents_only: bool = True) -> Counter[str]:
    """Messages (parents only, or all) per digest date, read from the idempotency key that each
    message carries in its metadata (``YYYYMMDD-<part>-<channel hash>``)."""
    keys = [((m.get("metadata") or {}).get("event_payload") or {}).get("key", "") for m in slack.posted(channel)]
    return Counter(key.split("-")[0] for key in keys if key and (not parents_only or key.split("-")[1] == "0"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    days = parser.parse_args().days
    if not LIBFAKETIME.exists():
        raise SystemExit("libfaketime is missing: apt-get install faketime")
    folder = Path(tempfile.mkdtemp(prefix="digestbot-soak-"))
    os.chmod(folder, 0o755)
    papers, announced = month_of_papers(days)
    postgres = Postgres(folder)
    postgres.start()
    try:
        with FakeArxivServer(papers=papers) as arxiv, FakeOpenAIServer() as model, FakeSlackApi() as slack:
            run(folder, days, postgres, arxiv, model, slack, announced)
    finally:
        postgres.stop()


def run(
    folder: Path,
    days: int,
    postgres: Postgres,
    arxiv: FakeArxivServer,
    model: FakeOpenAIServer,
    slack: FakeSlackApi,
    announced: list[dt.date],
) -> None:
    clock = ShiftedClock(folder)
    env = {
        **os.environ,
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(clock.path),
        "FAKETIME_NO_CACHE": "1",
        "DATABASE_URL": postgres.url,
        "DIGEST_SOURCE": "arxiv",
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_RSS_URL": arxiv.rss_url,
        "OPENAI_BASE_URL": model.url,
        "OPENAI_API_KEY": "sk-soak",
        "SLACK_BOT_TOKEN": FakeSlackApi.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "soak-signing-secret",
        "SLACK_API_URL": slack.api_url,
        "PORT": str(free_port()),
    }
    bot = Bot(env, folder)
    for channel, (time_of_day, zone) in SUBSCRIPTIONS.items():
        bot.cli("subscriptions", "add", f"slack:{channel}", "--time", time_of_day, "--tz", zone, "--days", "mon-fri")
    bot.start()
    try:
        drive(bot, clock, postgres, arxiv=arxiv, model=model, slack=slack, days=days, announced=announced)
    finally:
        bot.stop()


def drive(
    bot: Bot,
    clock: ShiftedClock,
    postgres: Postgres,
    *,
    arxiv: FakeArxivServer,
    model: FakeOpenAIServer,
    slack: FakeSlackApi,
    days: int,
    announced: list[dt.date],
) -> None:
    """Jump from one scheduled post to the next, injecting faults, then report."""
    lag = LagProbe(bot.port)
    lag.start()
    schedule = fires(days)
    rss: list[tuple[dt.datetime, int]] = []
    started = time.monotonic()
    ledger = Ledger(postgres.url)
    for number, (instant, channel) in enumerate(schedule, 1):
        inject(number, arxiv=arxiv, model=model, slack=slack)
        clock.set(instant - dt.timedelta(seconds=20))
        if number == PG_RESTART_ON_FIRE:
            postgres.restart()
        day = announcement_edition(instant)
        if number in KILL_ON_FIRES:
            wait_for(lambda channel=channel, day=day: f"{day:%Y%m%d}" in posted_days(slack, channel), seconds=60)
            bot.kill()  # mid-post: the parent is out, its replies (paced, 1 a second) are not all
            bot.start()
            rss.clear()  # RSS growth is measured over the final process
        if not wait_for(lambda channel=channel, day=day: ledger.done(channel, day), seconds=SETTLE_SECONDS):
            print(f"fire {number}: {channel}'s digest of {day} not delivered within {SETTLE_SECONDS:.0f} s", flush=True)
        rss.append((instant, bot.rss_kib()))
    clock.set(schedule[-1][0] + dt.timedelta(hours=1))
    time.sleep(5)
    lag.stopped.set()
    bot.stop()
    report(slack, ledger, schedule, lag.samples, rss, time.monotonic() - started, bot)


def inject(number: int, *, arxiv: FakeArxivServer, model: FakeOpenAIServer, slack: FakeSlackApi) -> None:
    """A different fault before every few fires, so each kind lands on several days."""
    if number % 4 == 1:
        arxiv.fail_next(status=503, times=2, retry_after="2")
    if number % 4 == 2:
        model.fail_next(Fault.http(429, retry_after=1), Fault.content("{not json"))
    if number % 4 == 3:
        slack.fail_next("chat.postMessage", status=429, retry_after="1")


def wait_for(condition: object, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def report(
    slack: FakeSlackApi,
    ledger: Ledger,
    schedule: list[tuple[dt.datetime, str]],
    lag: list[float],
    rss: list[tuple[dt.datetime, int]],
    seconds: float,
    bot: Bot,
) -> None:
    duplicates, missing, incomplete = [], [], []
    for channel in SUBSCRIPTIONS:
        parents, messages = posted_days(slack, channel), posted_days(slack, channel, parents_only=False)
        duplicates += [f"{channel} {day}×{n}" for day, n in parents.items() if n > 1]
        for day in sorted({announcement_edition(instant) for instant, ch in schedule if ch == channel}):
            key = f"{day:%Y%m%d}"
            if key not in parents:
                missing.append(f"{channel} {day}")
            elif messages[key] != ledger.parts(channel, day):
                incomplete.append(f"{channel} {day}: {messages[key]} of {ledger.parts(channel, day)}")
    errors = [line for log in bot.logs for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
    quarter = max(1, len(rss) // 4)
    first, final = [kib for _, kib in rss[:quarter]], [kib for _, kib in rss[-quarter:]]
    growth = statistics.median(final) / statistics.median(first) - 1
    p99 = sorted(lag)[int(0.99 * (len(lag) - 1))] if lag else float("nan")
    print(f"simulated {len(schedule)} scheduled posts in {seconds:.0f} s; logs in {bot.folder}")
    print(
        f"digests: {sum(len(posted_days(slack, c)) for c in SUBSCRIPTIONS)} (channel, day) posts; "
        f"{len(duplicates)} duplicated {duplicates[:5]}, {len(missing)} missing {missing[:5]}, "
        f"{len(incomplete)} incomplete {incomplete[:5]}"
    )
    print(f"event-loop lag probe n={len(lag)}  p99 {p99 * 1000:.1f} ms  (target < 100 ms)")
    print(f"RSS of the last process {statistics.median(first) / 1024:.0f} → {statistics.median(final) / 1024:.0f} MiB "
          f"({growth:+.1%}; target < +10 %)")  # fmt: skip
    print(f"ERROR lines in the bot's logs: {len(errors)}")
    ok = not duplicates and not missing and not incomplete and p99 < 0.100 and growth < 0.10
    print("PASS" if ok else "FAIL")


if __name__ == "__main__":
    main()
