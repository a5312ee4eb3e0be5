"""One busy channel must not hold up the others (issue 11), in Slack HTTP mode against the fakes.

While a day's digest builds (the LLM back end against the fake model server, 200 ms a call),
40 people in one channel send ``/digest <category>`` for that day within one second. Meanwhile
people in quiet channels ask for a category of an already built day, one after another.

Printed:

* the burst's slash ack p50/p99 (target p99 ≤ 100 ms);
* the quiet channels' time to the first posted message, p50/p95 (target p95 ≤ 300 ms);
* how the busy channel was answered: messages posted, "already on its way"/limit replies, and
  how long its paced posting took.

Real pacing (Slack's one message per second per channel) is on, as in production. Run as
``.venv/bin/python benchmarks/burst.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.dated_source import DatedSampleSource  # noqa: E402
from tests.fakes.openai_server import FakeOpenAIServer  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

from digestbot.adapters.slack import SlackSettings, create_adapter  # noqa: E402
from digestbot.adapters.slack.runner import EVENTS_PATH  # noqa: E402
from digestbot.app.factory import make_digest_service  # noqa: E402
from digestbot.bot.commands.handlers import CommandHandler  # noqa: E402
from digestbot.bot.config import Settings  # noqa: E402
from digestbot.bot.digests import MemoryDigestStore  # noqa: E402
from digestbot.bot.ports import BotServices, MemorySeenEvents, MemoryThreadLinks  # noqa: E402
from digestbot.summarizer.cpu import keep_event_loop_responsive  # noqa: E402
from slack_ack import SECRET, SlackSide, adapter_idle, percentile  # noqa: E402

BUSY = "C0BUSY"
BURST = 40
BURST_INTERVAL = 0.025
QUIET_ASKS = 20
QUIET_ALONE_DAY, CACHED_DAY, BUILDING_DAY = dt.date(2026, 6, 24), dt.date(2026, 6, 25), dt.date(2026, 6, 28)
CATEGORIES = ("llm", "cv", "inference", "multimodal", "rl", "training", "general", "healthcare")
MODEL_LATENCY = 0.2


async def main() -> None:
    keep_event_loop_responsive()  # as `digestbot run` does
    with FakeSlackApi() as slack, FakeOpenAIServer(latency=MODEL_LATENCY) as model:
        settings = Settings(digest_source="sample", openai_base_url=model.url, openai_api_key="sk-bench")
        threads, store = MemoryThreadLinks(), MemoryDigestStore()
        source = DatedSampleSource(papers=99)
        prebuilt = make_digest_service(settings, source=source, store=store)
        await prebuilt.digest(CACHED_DAY)
        await prebuilt.digest(QUIET_ALONE_DAY)  # same papers: the model cache answers
        calls_for_one_build = len(model.chat_requests())
        # the bot's own service: a cold model cache, so the burst's day is a real build
        handler = CommandHandler(digests=make_digest_service(settings, source=source, store=store), threads=threads)
        services = BotServices(handler=handler, threads=threads, seen_events=MemorySeenEvents())
        slack_settings = SlackSettings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=slack.api_url)
        adapter = create_adapter(slack_settings, services)
        web_app = web.Application()
        adapter.install_routes(web_app)
        server = TestServer(web_app, host="127.0.0.1", port=0)
        await server.start_server()
        await adapter.start()
        url = str(server.make_url(EVENTS_PATH))
        await asyncio.to_thread(SlackSide(url, slack.response_url()).one, "help", "C0WARMUP")  # first-request costs
        burst_side, quiet_side = SlackSide(url, slack.response_url()), SlackSide(url, slack.response_url())
        alone = await quiet_channels(quiet_side, slack, day=QUIET_ALONE_DAY, prefix="C0ALONE")
        print(
            f"quiet, no burst      n={len(alone)} cached  first message p50 {statistics.median(alone) * 1000:6.1f} ms  "
            f"p95 {percentile(alone, 0.95) * 1000:6.1f} ms  (the same asks with nothing else going on)"
        )
        await burst_with_quiet_channels(burst_side, quiet_side, slack)
        print(f"model calls: {len(model.chat_requests())} in all; one build takes {calls_for_one_build}")
        await adapter.stop()
        await server.close()


async def burst_with_quiet_channels(side: SlackSide, quiet_side: SlackSide, slack: FakeSlackApi) -> None:
    texts = [f"{CATEGORIES[n % len(CATEGORIES)]} {BUILDING_DAY.isoformat()}" for n in range(BURST)]
    started = time.monotonic()
    burst = asyncio.create_task(asyncio.to_thread(side.open_loop, texts, interval=BURST_INTERVAL, channel=BUSY))
    quiet = await quiet_channels(quiet_side, slack, day=CACHED_DAY, prefix="C0QUIET")
    acks = await burst
    await slack.until(lambda: len(busy_parents(slack)) >= len(CATEGORIES), timeout=300)
    await adapter_idle(slack, BUSY)
    busy_done = max(call.at for call in slack.calls_to("chat.postMessage") if call.params["channel"] == BUSY)
    p99 = percentile(acks, 0.99)
    print(
        f"burst ack            n={len(acks)} in {BUSY} (one every {BURST_INTERVAL * 1000:.0f} ms)  "
        f"p50 {statistics.median(acks) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  max {max(acks) * 1000:6.1f} ms  "
        f"(target p99 ≤ 100 ms, ratio {p99 / 0.100:.2f}); slowest: {slowest(acks)}"
    )
    p95 = percentile(quiet, 0.95)
    print(
        f"quiet /digest <cat>  n={len(quiet)} cached, during the burst  first message p50 "
        f"{statistics.median(quiet) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  max {max(quiet) * 1000:6.1f} ms  "
        f"(target p95 ≤ 300 ms, ratio {p95 / 0.300:.2f})"
    )
    print(
        f"busy channel         {len(busy_parents(slack))} digests posted ({len(slack.posted(BUSY))} messages, "
        f"paced), last message {busy_done - started:.1f} s after the burst began; replies to the asker: "
        f"{dict(asker_replies(side.acks))}"
    )


async def quiet_channels(side: SlackSide, slack: FakeSlackApi, *, day: dt.date, prefix: str) -> list[float]:
    """Quiet channels ask one after another while the burst is answered; time to first message."""
    answered = []
    for number in range(QUIET_ASKS):
        channel = f"{prefix}{number:02d}"
        text = f"{CATEGORIES[number % len(CATEGORIES)]} {day.isoformat()}"
        sent = await asyncio.to_thread(side.one, text, channel, user=f"U{prefix}{number:02d}")
        await slack.until(lambda channel=channel: bool(slack.posted(channel)), timeout=120)
        first = min(call.at for call in slack.calls_to("chat.postMessage") if call.params["channel"] == channel)
        answered.append(first - sent)
    return answered


def slowest(acks: list[float], count: int = 3) -> str:
    """The slowest acks and their place in the burst, to tell a stall at the start from noise."""
    ranked = sorted(enumerate(acks), key=lambda item: item[1], reverse=True)[:count]
    return ", ".join(f"#{number} {seconds * 1000:.0f} ms" for number, seconds in ranked)


def busy_parents(slack: FakeSlackApi) -> list[dict[str, object]]:
    return [m for m in slack.posted(BUSY) if "thread_ts" not in m]


def asker_replies(acks: list[str]) -> Counter[str]:
    """The burst's acks by their first words: "Working on it…", "on its way", a limit."""
    return Counter(" ".join(text.split()[:5]) for text in acks)


if __name__ == "__main__":
    asyncio.run(main())
