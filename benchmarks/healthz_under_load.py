"""``/healthz`` latency of the real ``digestbot run`` while the I/O it does not own misbehaves.

Target (issue 11): ``/healthz`` p99 ≤ 100 ms

* (a) while another process holds the SQLite write lock for 5 s (``BEGIN IMMEDIATE`` in a
  subprocess) and the bot is asked thread questions and ``/digest`` commands meanwhile, so its
  database work queues behind the lock;
* (b) while the fake arXiv answers every request with 503 + ``Retry-After: 2`` and ten past
  dates are asked for with ``/digest llm <date>``.

The bot is a real ``digestbot run`` subprocess on Slack Socket Mode (the local fakes of
``tests/fakes``). ``/healthz`` is probed open-loop from threads, one request every 20 ms, each
latency counted from its scheduled time, so a stalled loop cannot hide its stall (no coordinated
omission). Run as ``.venv/bin/python benchmarks/healthz_under_load.py``; with another checkout's
interpreter (``/path/.venv/bin/python benchmarks/healthz_under_load.py``) it measures that code.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.arxiv_server import FakeArxivServer  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.fakes.slack_socket import FakeSocketMode  # noqa: E402

DIGESTBOT = str(Path(sys.executable).parent / "digestbot")
PROBE_INTERVAL = 0.02
LOCK_SECONDS = 5.0
SETTLE_SECONDS = 3.0
CHANNEL = "C0DIGEST"
PARENT_TS = "1750000000.000100"
PAST_DAYS = ("2024-09-30", "2024-10-01", "2024-10-02", "2024-10-03", "2024-10-06",
             "2024-10-07", "2024-10-08", "2024-10-09", "2024-10-10", "2024-10-13")  # fmt: skip
LOCKER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def probe(port: int, seconds: float) -> list[float]:
    """``/healthz`` every :data:`PROBE_INTERVAL` for ``seconds``; latencies from the scheduled times."""
    url = f"http://127.0.0.1:{port}/healthz"
    start = time.monotonic() + PROBE_INTERVAL

    def one(scheduled: float) -> float:
        time.sleep(max(0.0, scheduled - time.monotonic()))
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        return time.monotonic() - scheduled

    count = int(seconds / PROBE_INTERVAL)
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(one, [start + n * PROBE_INTERVAL for n in range(count)]))


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@asynccontextmanager
async def running_bot(folder: str, **env: str) -> AsyncIterator[tuple[int, FakeSocketMode, FakeSlackApi]]:
    """``digestbot run`` on Slack Socket Mode against the fakes, ready when this yields."""
    with FakeSlackApi() as slack:
        async with FakeSocketMode() as socket_mode:
            slack.socket_url = socket_mode.url
            port = free_port()
            environment = {
                **os.environ, "SLACK_BOT_TOKEN": FakeSlackApi.BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-test",
                "SLACK_API_URL": slack.api_url, "DATABASE_URL": f"sqlite:///{folder}/bot.db", "PORT": str(port),
                "DIGEST_FULLTEXT": "false", **env,
            }  # fmt: skip
            bot = await asyncio.create_subprocess_exec(
                DIGESTBOT, "run", cwd=folder, env=environment, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                while not await asyncio.to_thread(ready, port):
                    if bot.returncode is not None:
                        raise SystemExit("digestbot run exited before it was ready")
                    await asyncio.sleep(0.1)
                yield port, socket_mode, slack
            finally:
                bot.terminate()
                await bot.wait()


def command(text: str, number: int) -> dict[str, str]:
    return {"command": "/digest", "text": text, "channel_id": f"C{number:04d}", "user_id": f"U{number:04d}",
            "trigger_id": f"trigger-{number}", "response_url": ""}  # fmt: skip


def question(number: int) -> dict[str, object]:
    ts = f"1750000001.{number:06d}"
    event = {"type": "message", "user": "U0ALICE", "text": "Which GPU?", "ts": ts, "thread_ts": PARENT_TS}
    return {
        "type": "event_callback",
        "team_id": "T0TEST",
        "event_id": f"Ev{number}",
        "event": {"channel": CHANNEL, **event},
    }


async def measure(port: int, seconds: float, load: Callable[..., Awaitable[None]], *args: object) -> list[float]:
    """Probe ``/healthz`` for ``seconds`` while ``load(*args)`` runs."""
    probing = asyncio.create_task(asyncio.to_thread(probe, port, seconds))
    await load(*args)
    return await probing


def link_thread(folder: str) -> None:
    """A digest thread for the questions to be about (the database the bot will open)."""
    from digestbot.bot.ports import ThreadLink
    from digestbot.bot.storage.db import open_database
    from digestbot.bot.storage.threads import SqlThreadLinks

    sessions = open_database(f"sqlite:///{folder}/bot.db")
    SqlThreadLinks(sessions).link(ThreadLink("slack", CHANNEL, PARENT_TS, None, "en", ("2606.26650",)))


async def while_database_locked(folder: str) -> dict[str, list[float]]:
    """The day's digest is built first, so the load during the lock is database work (thread
    lookups, dedupe, stored digests, subscriptions), not the CPU of a build. Also measured: the
    idle bot (the noise floor of this machine) and the same load with no lock (what the load's
    own work on the loop costs, lock or not)."""
    link_thread(folder)
    async with running_bot(folder, DIGEST_SOURCE="sample") as (port, socket_mode, slack):
        await socket_mode.push("slash_commands", command("llm", 999))
        await slack.until(lambda: bool(slack.calls_to("chat.postMessage")), timeout=120)
        # Once quiet after its first work the bot settles its heap (app/memory.py): one full
        # garbage collection, ~130 ms, once per process. The noise floor is measured after it.
        await asyncio.sleep(SETTLE_SECONDS)
        idle = await measure(port, LOCK_SECONDS, asyncio.sleep, 0)

        async def load(first: int, until_done: Callable[[], Awaitable[object]]) -> None:
            for number in range(first, first + 20):
                await socket_mode.push("events_api", question(number))
                await socket_mode.push("slash_commands", command("llm", number))
                await socket_mode.push("slash_commands", command("settings", number))
            await until_done()

        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCKER, f"{folder}/bot.db", str(LOCK_SECONDS), stdout=asyncio.subprocess.PIPE
        )
        assert locker.stdout is not None
        await locker.stdout.readline()  # "locked"
        locked = await measure(port, LOCK_SECONDS + 1, load, 0, locker.wait)
        await asyncio.sleep(LOCK_SECONDS)  # let the backlog drain
        unlocked = await measure(port, LOCK_SECONDS + 1, load, 100, partial(asyncio.sleep, LOCK_SECONDS))
        return {"idle": idle, "locked": locked, "unlocked": unlocked}


async def while_arxiv_fails(folder: str) -> list[float]:
    with FakeArxivServer() as arxiv:
        arxiv.fail_next(status=503, times=100_000, retry_after="2")
        urls = {"ARXIV_API_URL": arxiv.api_url, "ARXIV_RSS_URL": arxiv.rss_url, "DIGEST_SOURCE": "arxiv"}
        async with running_bot(folder, **urls) as (port, socket_mode, _):

            async def load() -> None:
                for number, day in enumerate(PAST_DAYS):
                    await socket_mode.push("slash_commands", command(f"llm {day}", number))

            return await measure(port, 15.0, load)


def report(name: str, latencies: list[float]) -> None:
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(f"{name}: /healthz p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies) * 1000:.1f} ms "
          f"over {len(latencies)} probes (target p99 ≤ 100 ms, ratio {p99 / 100:.2f})")  # fmt: skip


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        figures = await while_database_locked(folder)
    report("(0) idle bot (its heap settled), the noise floor of this machine", figures["idle"])
    report(f"(a) SQLite write lock held {LOCK_SECONDS:.0f} s by another process", figures["locked"])
    report("(a') the same questions and commands with no lock", figures["unlocked"])
    with tempfile.TemporaryDirectory() as folder:
        report("(b) arXiv answering 503 + Retry-After: 2, ten past dates asked", await while_arxiv_fails(folder))


if __name__ == "__main__":
    asyncio.run(main())
