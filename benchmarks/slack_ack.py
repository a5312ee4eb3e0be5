"""Slack slash-command latency in HTTP mode, against the fake Slack Web API.

Targets (issue 5):

* ack p99 ≤ 100 ms over 200 signed ``/digest llm`` requests to ``/slack/events`` while the
  day's digest is being built (the first request starts the build; every later one waits for
  it in the background, so each ack races the build for the event loop);
* ``/digest <category>`` for an already-built day answered — its first message posted to the
  fake Slack — p95 ≤ 300 ms.

Run as ``.venv/bin/python benchmarks/slack_ack.py``. Requests are signed like Slack's and go
through the real aiohttp route, Bolt's signature check and the real Web API client.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlackApi  # noqa: E402

from digestbot.adapters.slack import SlackSettings, create_adapter  # noqa: E402
from digestbot.adapters.slack.runner import EVENTS_PATH  # noqa: E402
from digestbot.app.factory import make_digest_service  # noqa: E402
from digestbot.bot.commands.handlers import CommandHandler  # noqa: E402
from digestbot.bot.config import Settings  # noqa: E402
from digestbot.bot.ports import BotServices, MemorySeenEvents, MemoryThreadLinks  # noqa: E402
from digestbot.summarizer.cpu import keep_event_loop_responsive  # noqa: E402

SECRET = "bench-signing-secret"
ACK_REQUESTS = 200
ARRIVAL_INTERVAL = 0.02
ANSWER_REQUESTS = 50
CATEGORIES = ("llm", "cv", "inference", "healthcare", "multimodal")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class SlackSide:
    """Slack's end of the wire, in its own thread and event loop — as Slack is another machine,
    a stalled bot loop cannot delay the requests, only their answers (no coordinated omission)."""

    def __init__(self, url: str, response_url: str) -> None:
        self.url = url
        self.response_url = response_url
        self.acks: list[str] = []  # each ack's text ("" for an empty ack), in arrival order

    def open_loop(self, texts: list[str], *, interval: float, channel: str | None = None) -> list[float]:
        """Send ``texts`` one every ``interval`` seconds regardless of answers; ack latencies.
        Each comes from its own user, in its own channel unless ``channel`` is given."""
        return asyncio.run(self._open_loop(texts, interval, channel))

    def one(self, text: str, channel: str, *, user: str = "U0BENCH") -> float:
        """Send one command; returns the ``time.monotonic()`` at which it was sent."""
        return asyncio.run(self._one(text, channel, user))

    async def _open_loop(self, texts: list[str], interval: float, channel: str | None) -> list[float]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            start = time.monotonic()

            async def arrive(number: int, text: str) -> float:
                await asyncio.sleep(max(0.0, start + number * interval - time.monotonic()))
                return await self._send(session, text, channel or f"C{number:04d}", user=f"U{number:04d}")

            return list(await asyncio.gather(*(arrive(n, text) for n, text in enumerate(texts))))

    async def _one(self, text: str, channel: str, user: str) -> float:
        async with aiohttp.ClientSession() as session:
            sent = time.monotonic()
            await self._send(session, text, channel, user=user)
            return sent

    async def _send(self, session: aiohttp.ClientSession, text: str, channel: str, *, user: str = "U0BENCH") -> float:
        form = urlencode(
            {
                "command": "/digest",
                "text": text,
                "channel_id": channel,
                "user_id": user,
                "team_id": "T0TEST",
                "response_url": self.response_url,
                "trigger_id": f"t-{time.monotonic_ns()}",
            }
        )
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=form),
        }
        started = time.monotonic()
        async with session.post(self.url, data=form.encode(), headers=headers) as response:
            body = await response.read()
            if response.status != 200:
                raise SystemExit(f"unexpected HTTP {response.status}")
        self.acks.append(json.loads(body).get("text", "") if body else "")
        return time.monotonic() - started


async def main() -> None:
    keep_event_loop_responsive()  # as `digestbot run` does
    with FakeSlackApi() as slack:
        settings = Settings(digest_source="sample")
        threads = MemoryThreadLinks()
        handler = CommandHandler(digests=make_digest_service(settings), threads=threads)
        adapter = create_adapter(
            SlackSettings(bot_token="xoxb-bench", signing_secret=SECRET, api_url=slack.api_url),
            BotServices(handler=handler, threads=threads, seen_events=MemorySeenEvents()),
        )
        web_app = web.Application()
        adapter.install_routes(web_app)
        server = TestServer(web_app, host="127.0.0.1", port=0)
        await server.start_server()
        await adapter.start()
        side = SlackSide(str(server.make_url(EVENTS_PATH)), slack.response_url())
        await ack_latency(side, slack)
        await answer_latency(side, slack)
        await adapter.stop()
        await server.close()


async def ack_latency(side: SlackSide, slack: FakeSlackApi) -> None:
    """The first request (``/digest``) starts the build; all 200 arrive on a fixed schedule."""
    started = time.monotonic()
    texts = ["", *["llm"] * (ACK_REQUESTS - 1)]
    acks = await asyncio.to_thread(side.open_loop, texts, interval=ARRIVAL_INTERVAL)
    await slack.until(lambda: len(slack.posted()) >= 1, timeout=60)
    built_after = min(call.at for call in slack.calls_to("chat.postMessage")) - started
    parents = lambda: len({m["ts"] for m in slack.posted() if "thread_ts" not in m})  # noqa: E731
    await slack.until(lambda: parents() >= ACK_REQUESTS, timeout=180)
    p99 = percentile(acks, 0.99)
    print(
        f"ack while building   n={len(acks)} (one every {ARRIVAL_INTERVAL * 1000:.0f} ms)  "
        f"p50 {statistics.median(acks) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  max {max(acks) * 1000:6.1f} ms  "
        f"(target p99 ≤ 100 ms, ratio {p99 / 0.100:.2f})"
    )
    print(f"                     first digest message posted {built_after:.2f} s after the first request")


async def answer_latency(side: SlackSide, slack: FakeSlackApi) -> None:
    answered, finished = [], []
    for number in range(ANSWER_REQUESTS):
        channel = f"D{number:04d}"
        text = CATEGORIES[number % len(CATEGORIES)]
        started = await asyncio.to_thread(side.one, text, channel, user=f"UD{number:04d}")
        await slack.until(lambda channel=channel: bool(slack.posted(channel)), timeout=30)
        await adapter_idle(slack, channel)
        posts = [call.at for call in slack.calls_to("chat.postMessage") if call.params["channel"] == channel]
        answered.append(min(posts) - started)
        finished.append(max(posts) - started)
    print(
        f"/digest <category>   n={len(answered)}  first message p50 {statistics.median(answered) * 1000:6.1f} ms  "
        f"p95 {percentile(answered, 0.95) * 1000:6.1f} ms  (target p95 ≤ 300 ms, "
        f"ratio {percentile(answered, 0.95) / 0.300:.2f});  all parts p95 {percentile(finished, 0.95) * 1000:6.1f} ms"
    )


async def adapter_idle(slack: FakeSlackApi, channel: str) -> None:
    """Wait until the channel's reply is complete (its parent's thread stops growing)."""
    seen = -1
    while True:
        count = len(slack.posted(channel))
        if count == seen:
            return
        seen = count
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main())
