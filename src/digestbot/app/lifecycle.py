"""``digestbot run``: the long-running bot, one asyncio loop.

Start-up: logs (text or JSON, secrets redacted) → database (retry, migrate) and services
(:func:`~digestbot.app.wiring.build_bot`) → the web server (``GET /healthz``; adapters may add
routes, e.g. Slack's HTTP mode) → every configured adapter → the scheduler. SIGTERM or SIGINT
stops it in reverse, letting the message in flight finish. Memory the bot frees goes back to the
system once each burst of work is over (:mod:`~digestbot.app.memory`), so months of days leave it
its size.

With no platform configured the console runs on a terminal, and without a terminal (a
container) the bot runs the scheduler and the health endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from digestbot.app.health import Health, start_web
from digestbot.app.loop_lag import log_loop_lag
from digestbot.app.memory import release_memory_when_idle, share_malloc_arenas
from digestbot.app.platforms import configured_platforms
from digestbot.app.wiring import Bot, build_bot
from digestbot.bot.commands.handlers import CommandHandler
from digestbot.bot.config import Settings
from digestbot.summarizer.cpu import keep_event_loop_responsive, run_cpu_bound
from digestbot.summarizer.offline.sentence_ranker import load_background

log = logging.getLogger("digestbot")


async def run_bot(settings: Settings, *, interactive: bool | None = None) -> None:
    """Run until SIGTERM/SIGINT (or the console's ``quit``); see the module docstring."""
    share_malloc_arenas()  # before the first thread
    keep_event_loop_responsive()
    ready = configured_platforms()
    bot = await asyncio.to_thread(build_bot, settings)
    bot.subscriptions.seed(settings)
    platforms = [platform.name for platform in ready]
    adapters = [platform.create_adapter(bot.services) for platform in ready]
    bot.outlets.update({p.name: p.outlet(adapter.transport) for p, adapter in zip(ready, adapters, strict=True)})
    health = Health()
    runner = await start_web(health, adapters, settings.port)
    stop = asyncio.Event()
    probe: asyncio.Task[None] | None = None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        releaser = asyncio.create_task(release_memory_when_idle())
        warming = asyncio.create_task(run_cpu_bound(load_background))  # not in the first question
        for adapter in adapters:
            await adapter.start()
        bot.scheduler.start()
        _report_unscheduled(bot, platforms)
        health.ready = True
        log.info("ready: %s, health on :%d/healthz", ", ".join(platforms) or "no chat platform", settings.port)
        if settings.digest_loop_lag_log > 0:
            probe = asyncio.create_task(log_loop_lag(settings.digest_loop_lag_log))
        if not adapters and (sys.stdin.isatty() if interactive is None else interactive):
            await _console_until(stop, bot.services.handler)
        else:
            await stop.wait()
        log.info("shutting down")
    finally:
        health.ready = False
        releaser.cancel()
        warming.cancel()
        if probe is not None:
            probe.cancel()
        await bot.scheduler.shutdown()
        for adapter in adapters:
            await adapter.stop()
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        log.info("stopped")


async def _console_until(stop: asyncio.Event, handler: CommandHandler) -> None:
    """The terminal as the chat platform, sharing the bot's services (so /digest subscribe works)."""
    from digestbot.adapters.console import run_console

    console = asyncio.create_task(run_console(handler))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({console, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for task in (console, stopper):
        task.cancel()


def _report_unscheduled(bot: Bot, platforms: list[str]) -> None:
    """Subscriptions of a platform without a token cannot be posted; say so once, not every run."""
    for subscription in bot.subscriptions.list():
        if subscription.platform not in platforms:
            log.warning(
                "%s is subscribed but %s is not configured; its digests wait until it is",
                subscription.channel_key,
                subscription.platform,
            )
