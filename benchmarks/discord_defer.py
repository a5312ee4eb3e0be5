"""How fast does ``/digest`` defer while a digest is being built, and how much memory does the bot hold?

Run as ``.venv/bin/python benchmarks/discord_defer.py [--builds 3] [--every-ms 10]``.

Deferral: Discord drops an interaction not answered within 3 s; the target is p99 ≤ 100 ms.
A "gateway" thread hands ``/digest categories`` interactions to the bot every ``--every-ms``
(through discord.py's own ``parse_interaction_create``, scheduled onto the bot's event loop as the
gateway reader would) while ``--builds`` digests of the shipped sample day (261 papers, offline
back end) are built on the same loop. Latency = arrival of the defer callback at the local fake
Discord API minus the moment the thread handed the interaction over. The same is measured idle.

The bot runs the offline back end and the chart in one CPU worker thread and hands the GIL over
every 1 ms (``digestbot.summarizer.cpu``), as ``digestbot run`` does.

Memory: resident set size (VmRSS) of this process with discord.py, slack_bolt and slack_sdk
imported and the Discord adapter started (REST login, ``/digest`` tree, connected to the fake's
gateway) — before and after the digests are built and cached. (The full target, ≤ 200 MB for
``digestbot run`` with Slack and Discord connected, also includes Slack's Socket Mode connection and
the scheduler, which are not measured here.)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.discord_api import FakeDiscord, running_fake  # noqa: E402

from digestbot.adapters.discord.client import DiscordAdapter  # noqa: E402
from digestbot.app.factory import make_digest_service  # noqa: E402
from digestbot.bot.commands.handlers import CommandHandler  # noqa: E402
from digestbot.bot.config import Settings  # noqa: E402
from digestbot.bot.digests import DigestService  # noqa: E402
from digestbot.bot.ports import BotServices, MemorySeenEvents, MemoryThreadLinks  # noqa: E402
from digestbot.summarizer.cpu import keep_event_loop_responsive  # noqa: E402

CHANNEL = 111_111_111_111_111_111


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Gateway(threading.Thread):
    """Hands interactions to the bot's loop at a steady pace, noting when each was handed over."""

    def __init__(self, fake: FakeDiscord, adapter: DiscordAdapter, loop: asyncio.AbstractEventLoop, every: float):
        super().__init__(daemon=True)
        self.fake, self.adapter, self.loop, self.every = fake, adapter, loop, every
        self.handed: dict[str, float] = {}
        self.running = threading.Event()
        self.running.set()

    def run(self) -> None:
        while self.running.is_set():
            payload = self.fake.interaction(
                channel_id=CHANNEL, options=[{"type": 1, "name": "categories", "options": []}]
            )
            self.handed[payload["id"]] = time.monotonic()
            self.loop.call_soon_threadsafe(self.adapter.client._connection.parse_interaction_create, payload)
            time.sleep(self.every)


def deferral_latencies(fake: FakeDiscord, handed: dict[str, float]) -> list[float]:
    latencies = []
    for request in fake.requests_to("POST", r"/interactions/\d+/.+/callback"):
        interaction_id = request.path.split("/")[2]
        if interaction_id in handed and request.payload.get("type") == 5:
            latencies.append((request.at - handed[interaction_id]) * 1000)
    return latencies


async def measure(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    service: DigestService | None,
    *,
    builds: int,
    every: float,
) -> list[float]:
    """Deferral latencies while ``service`` builds ``builds`` digests (``None``: idle for as long)."""
    gateway = Gateway(fake, adapter, asyncio.get_running_loop(), every)
    gateway.start()
    if service is not None:
        for number in range(builds):
            # A new language each time, so every round really builds (the service caches digests).
            digest = await service.digest(language=f"x{number}")
            await service.chart_png(digest)
    else:
        await asyncio.sleep(builds * 1.0)
    gateway.running.clear()
    gateway.join()
    await asyncio.sleep(0.5)  # let the last interactions finish
    return deferral_latencies(fake, gateway.handed)


def report(name: str, latencies: list[float]) -> None:
    print(
        f"{name:<28} n={len(latencies):4d}  p50={statistics.median(latencies):7.1f} ms  "
        f"p99={percentile(latencies, 0.99):7.1f} ms  max={max(latencies):7.1f} ms"
    )


async def main(builds: int, every_ms: float) -> None:
    keep_event_loop_responsive()
    import slack_bolt  # noqa: F401  (measured: the Slack libraries share the process in `digestbot run`)
    import slack_sdk.web.async_client  # noqa: F401

    with running_fake() as fake:
        fake.add_channel(CHANNEL)
        service = make_digest_service(Settings(digest_source="sample"))
        services = BotServices(
            handler=CommandHandler(digests=service),
            threads=MemoryThreadLinks(),
            seen_events=MemorySeenEvents(),
        )
        adapter = DiscordAdapter(
            services=services,
            token=fake.token,
            use_api_gateway=True,
            sync_state_file=Path(tempfile.mkdtemp()) / "discord-commands.json",
        )
        await adapter.start()
        print(f"RSS, Discord connected (REST + the fake's gateway), Slack libraries imported: {rss_mb():6.1f} MB")
        idle = await measure(fake, adapter, None, builds=builds, every=every_ms / 1000)
        busy = await measure(fake, adapter, service, builds=builds, every=every_ms / 1000)
        print(f"RSS after {builds} digests built and cached: {rss_mb():6.1f} MB")
        report("deferral, idle", idle)
        report(f"deferral, {builds} builds running", busy)
        print(f"target p99 <= 100 ms while building: {'met' if percentile(busy, 0.99) <= 100 else 'NOT met'}")
        await adapter.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=3)
    parser.add_argument("--every-ms", type=float, default=10.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.builds, arguments.every_ms))
