"""``digestbot run``: the composition root of the long-running bot, one asyncio loop.

Start-up: logs (text or JSON, secrets redacted) → database (retry, migrate) → services → the
web server (``GET /healthz``; adapters may add routes, e.g. Slack's HTTP mode) → every
configured adapter → the scheduler. SIGTERM or SIGINT stops it in reverse, letting the message
in flight finish.

Adapters are loaded by platform name (:data:`PLATFORMS`), so ``bot/`` never imports a
platform library; each adapter package exposes ``create_adapter(settings, services)`` and
``create_transport(settings)``. With no platform configured the console runs on a terminal,
and without a terminal (a container) the bot runs the scheduler and the health endpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.config import ConfigError, Settings
from digestbot.bot.delivery import DeliveryService
from digestbot.bot.digests import DigestService
from digestbot.bot.factory import WantedCategories, make_digest_service, make_source
from digestbot.bot.handlers import CommandHandler
from digestbot.bot.ports import BotServices, ChatAdapter, Transport, TransportError
from digestbot.bot.scheduler import DigestScheduler, Edition, announcement_edition, latest_edition
from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.deliveries import SqlDeliveries
from digestbot.bot.storage.digests import SqlDigestStore
from digestbot.bot.storage.events import SqlSeenEvents
from digestbot.bot.storage.subscriptions import SqlSubscriptionStore
from digestbot.bot.storage.threads import SqlThreadLinks
from digestbot.bot.subscriptions import SubscriptionDefaults, SubscriptionService, wanted_categories
from digestbot.summarizer.cpu import keep_event_loop_responsive
from digestbot.summarizer.sources.base import PaperSource

if TYPE_CHECKING:
    from digestbot.summarizer.llm.gateway import LlmGateway

log = logging.getLogger("digestbot")


def _slack_configured(settings: Settings) -> bool:
    has_mode = settings.slack_app_token is not None or settings.slack_signing_secret is not None
    return settings.slack_bot_token is not None and has_mode


@dataclass(frozen=True)
class Platform:
    """An adapter package by import path, and whether the settings configure it (its tokens)."""

    module: str
    configured: Callable[[Settings], bool]


PLATFORMS: dict[str, Platform] = {
    "slack": Platform("digestbot.adapters.slack", _slack_configured),
    "discord": Platform("digestbot.adapters.discord", lambda settings: settings.discord_token is not None),
}


def register_platform(name: str, module: str, *, configured: Callable[[Settings], bool]) -> None:
    """Add a platform (another adapter package, or a test double) under ``name``."""
    PLATFORMS[name] = Platform(module, configured)


def load_platform(name: str) -> ModuleType:
    if name not in PLATFORMS:
        raise ConfigError(f"Unknown platform '{name}'; use one of: {', '.join(sorted(PLATFORMS))}.")
    return importlib.import_module(PLATFORMS[name].module)


def configured_platforms(settings: Settings) -> list[str]:
    return [name for name, platform in PLATFORMS.items() if platform.configured(settings)]


def edition_for(source_name: str) -> Edition:
    """arXiv follows its announcement calendar; a file or the sample holds one day."""
    return announcement_edition if source_name == "arxiv" else latest_edition


# --- composition ------------------------------------------------------------------------


@dataclass
class Bot:
    """Every long-lived object of one bot process (also what ``post`` and the tests build)."""

    settings: Settings
    digests: DigestService
    subscriptions: SubscriptionService
    delivery: DeliveryService
    scheduler: DigestScheduler
    services: BotServices
    transports: dict[str, Transport]


def _transport_in(transports: dict[str, Transport], platform: str) -> Transport:
    if platform not in transports:
        raise TransportError(f"{platform} is not connected in this process (its token is not configured).")
    return transports[platform]


def _gateway(
    settings: Settings, sessions: sessionmaker[Session], *, batch_deadline: dt.datetime | None = None
) -> LlmGateway:
    """An LLM gateway whose cache and ledger are in the database, so every gateway of the
    process (the direct one, batch ones) shares cached answers and the daily budget."""
    from digestbot.bot.factory import make_gateway
    from digestbot.bot.storage.llm import SqlResponseCache, SqlUsageLedger

    return make_gateway(
        settings, cache=SqlResponseCache(sessions), ledger=SqlUsageLedger(sessions), batch_deadline=batch_deadline
    )


def _batch_digests(
    settings: Settings, sessions: sessionmaker[Session], digests: DigestService, wanted: WantedCategories
) -> Callable[[dt.datetime], DigestService]:
    """LLM_BATCH_MODE: a digest service like ``digests`` (same source, store, taxonomy) whose
    gateway sends calls through the Batch API until ``deadline``, then falls back to direct calls."""

    def for_deadline(deadline: dt.datetime) -> DigestService:
        gateway = _gateway(settings, sessions, batch_deadline=deadline)
        return make_digest_service(
            settings, source=digests.source, store=digests.store, gateway=gateway, wanted_categories=wanted
        )

    return for_deadline


def build_bot(
    settings: Settings,
    *,
    source: str | None = None,
    paper_source: PaperSource | None = None,
    clock: Clock = utc_now,
) -> Bot:
    """Open the database (waiting and migrating) and wire every service; nothing connects yet.

    ``source`` names a source as ``--source`` does; ``paper_source`` passes one in (tests).
    """
    from digestbot.bot.factory import make_answerer
    from digestbot.bot.questions import create_question_service
    from digestbot.summarizer.offline.answerer import ExtractiveAnswerer

    sessions = open_database(settings.database_url)
    subscription_store = SqlSubscriptionStore(sessions, clock=clock)
    gateway = _gateway(settings, sessions) if settings.llm_configured else None
    paper_source = paper_source or make_source(settings, source)
    wanted: WantedCategories = lambda: wanted_categories(subscription_store.active())  # noqa: E731
    digests = make_digest_service(
        settings,
        source=paper_source,
        store=SqlDigestStore(sessions, clock=clock),
        gateway=gateway,
        wanted_categories=wanted,
    )
    threads = SqlThreadLinks(sessions, clock=clock)
    subscriptions = SubscriptionService(
        store=subscription_store,
        taxonomy=digests.taxonomy,
        defaults=SubscriptionDefaults.from_settings(settings),
        clock=clock,
    )
    transports: dict[str, Transport] = {}
    delivery = DeliveryService(
        deliveries=SqlDeliveries(sessions, clock=clock),
        digests=digests,
        threads=threads,
        transport_for=partial(_transport_in, transports),
        subscriptions=subscription_store,
        clock=clock,
    )
    batch_mode = gateway is not None and settings.llm_batch_mode
    scheduler = DigestScheduler(
        subscriptions=subscription_store,
        delivery=delivery,
        digests=digests,
        edition=edition_for(paper_source.name),
        platforms=configured_platforms(settings),
        clock=clock,
        batch_digests=_batch_digests(settings, sessions, digests, wanted) if batch_mode else None,
        batch_lead=dt.timedelta(hours=settings.llm_batch_lead_hours),
    )
    subscriptions.watch(scheduler.refresh)
    answerer = make_answerer(settings, gateway=gateway, fallback=ExtractiveAnswerer()) if gateway else None
    questions = create_question_service(
        settings=settings, engine=sessions.kw["bind"], digests=digests, answerer=answerer
    )
    handler = CommandHandler(digests=digests, threads=threads, subscriptions=subscriptions, questions=questions)
    services = BotServices(handler=handler, threads=threads, seen_events=SqlSeenEvents(sessions, clock=clock))
    return Bot(
        settings=settings,
        digests=digests,
        subscriptions=subscriptions,
        delivery=delivery,
        scheduler=scheduler,
        services=services,
        transports=transports,
    )


# --- the health endpoint ----------------------------------------------------------------


@dataclass
class Health:
    """What ``GET /healthz`` says. The endpoint is public (Docker, Kubernetes and load balancers
    call it without credentials), so it says whether the bot is up and nothing else: no channel,
    platform, schedule or back end that would tell a stranger about the team using it."""

    ready: bool = False

    def report(self) -> dict[str, str]:
        return {"status": "ok" if self.ready else "starting"}


async def _start_web(health: Health, adapters: list[ChatAdapter], port: int) -> Any:
    from aiohttp import web

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response(health.report(), status=200 if health.ready else 503)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    for adapter in adapters:
        adapter.install_routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()
    return runner


# --- the process ------------------------------------------------------------------------


async def run_bot(settings: Settings, *, interactive: bool | None = None) -> None:
    """Run until SIGTERM/SIGINT (or the console's ``quit``); see the module docstring."""
    keep_event_loop_responsive()
    bot = await asyncio.to_thread(build_bot, settings)
    bot.subscriptions.seed(settings)
    platforms = configured_platforms(settings)
    adapters = [load_platform(name).create_adapter(settings, bot.services) for name in platforms]
    bot.transports.update({adapter.platform: adapter.transport for adapter in adapters})
    health = Health()
    runner = await _start_web(health, adapters, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        for adapter in adapters:
            await adapter.start()
        bot.scheduler.start()
        _report_unscheduled(bot, platforms)
        health.ready = True
        log.info("ready: %s, health on :%d/healthz", ", ".join(platforms) or "no chat platform", settings.port)
        if not adapters and (sys.stdin.isatty() if interactive is None else interactive):
            await _console_until(stop, settings, bot.services.handler)
        else:
            await stop.wait()
        log.info("shutting down")
    finally:
        health.ready = False
        await bot.scheduler.shutdown()
        for adapter in adapters:
            await adapter.stop()
        await runner.cleanup()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        log.info("stopped")


async def _console_until(stop: asyncio.Event, settings: Settings, handler: CommandHandler) -> None:
    """The terminal as the chat platform, sharing the bot's services (so /digest subscribe works)."""
    from digestbot.adapters.console import run_console

    console = asyncio.create_task(run_console(settings, handler=handler))
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
