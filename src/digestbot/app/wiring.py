"""The one place that builds the bot's services: database, digests, questions, delivery, scheduler.

Every command that needs more than settings calls :func:`build_bot` — ``digestbot run``,
``post``, ``digest``, ``paper``, ``ask``, ``search``, ``subscriptions``, ``chat`` and
``discord sync`` — so the database is opened (waited for, migrated) in one place, one LLM
gateway is shared by every caller in the process, and each store is chosen once. Nothing here
connects to a chat platform: the adapters get :attr:`Bot.services`, and each connected platform's
transport and digest layout are registered in :attr:`Bot.outlets`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digestbot.app.factory import (
    Progress,
    WantedCategories,
    make_answerer,
    make_digest_service,
    make_gateway,
    make_source,
)
from digestbot.app.platforms import configured_names
from digestbot.bot.commands.handlers import CommandHandler
from digestbot.bot.config import Settings
from digestbot.bot.delivery.service import DeliveryService
from digestbot.bot.digests import DigestService
from digestbot.bot.limits import CommandGate, CommandLimits
from digestbot.bot.ports import BotServices, Outlet, ThreadLinks, TransportError
from digestbot.bot.questions.limits import QuestionLimits
from digestbot.bot.questions.search_index import IndexingDigestStore, SearchIndex
from digestbot.bot.questions.service import QuestionService
from digestbot.bot.scheduling.scheduler import DigestScheduler, Edition, announcement_edition, latest_edition
from digestbot.bot.scheduling.subscriptions import SubscriptionDefaults, SubscriptionService, wanted_categories
from digestbot.bot.shared_builds import SharedBuilds
from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.deliveries import SqlDeliveries
from digestbot.bot.storage.digests import SqlDigestStore
from digestbot.bot.storage.events import SqlSeenEvents
from digestbot.bot.storage.fulltext import SqlFullTextCache
from digestbot.bot.storage.leases import SqlBuildLeases
from digestbot.bot.storage.llm import SqlResponseCache, SqlUsageLedger
from digestbot.bot.storage.retention import purge_and_describe
from digestbot.bot.storage.subscriptions import SqlSubscriptionStore
from digestbot.bot.storage.threads import SqlThreadLinks
from digestbot.bot.storage.turns import SqlThreadTurns
from digestbot.summarizer.offline.answerer import ExtractiveAnswerer
from digestbot.summarizer.sources.arxiv import ArxivSource
from digestbot.summarizer.sources.base import PaperSource
from digestbot.summarizer.sources.fulltext import ArxivHtmlFetcher

if TYPE_CHECKING:
    from digestbot.summarizer.llm.gateway import LlmGateway
    from digestbot.summarizer.llm.ports import ResponseCache, UsageLedger


def edition_for(source_name: str) -> Edition:
    """arXiv follows its announcement calendar; a file or the sample holds one day."""
    return announcement_edition if source_name == "arxiv" else latest_edition


@dataclass
class Bot:
    """Every long-lived object of one bot process (also what the commands and the tests build)."""

    settings: Settings
    engine: Engine
    digests: DigestService
    subscriptions: SubscriptionService
    questions: QuestionService
    delivery: DeliveryService
    scheduler: DigestScheduler
    services: BotServices
    outlets: dict[str, Outlet]
    ledger: UsageLedger | None


def _outlet_in(outlets: dict[str, Outlet], platform: str) -> Outlet:
    if platform not in outlets:
        raise TransportError(f"{platform} is not connected in this process (its token is not configured).")
    return outlets[platform]


def _gateway(
    settings: Settings, sessions: sessionmaker[Session], *, batch_deadline: dt.datetime | None = None
) -> LlmGateway:
    """An LLM gateway whose cache and ledger are in the database, so every gateway of the
    process (the direct one, batch ones) shares cached answers and the daily budget."""
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
            settings,
            source=digests.source,
            store=digests.store,
            gateway=gateway,
            wanted_categories=wanted,
            shared=digests.shared,
        )

    return for_deadline


def _question_service(
    settings: Settings, *, engine: Engine, digests: DigestService, index: SearchIndex, gateway: LlmGateway | None
) -> QuestionService:
    """Questions over the same database. Full text is fetched from arXiv only when papers come
    from arXiv (sharing that source's pacing) and ``DIGEST_FULLTEXT`` is not off, so a fresh
    clone on the sample data never touches the network."""
    offline = ExtractiveAnswerer()
    fetcher = None
    if isinstance(digests.source, ArxivSource) and settings.digest_fulltext:
        fetcher = ArxivHtmlFetcher(
            base_url=settings.arxiv_html_url, cache=SqlFullTextCache(engine), pacer=digests.source.pacer
        )
    return QuestionService(
        digests=digests,
        index=index,
        answerer=make_answerer(settings, gateway=gateway, fallback=offline) or offline,
        fulltext=fetcher,
        turns=SqlThreadTurns(engine),
        limits=QuestionLimits.from_settings(settings),
    )


def _scheduler(
    settings: Settings,
    store: SqlSubscriptionStore,
    delivery: DeliveryService,
    digests: DigestService,
    *,
    batch: Callable[[dt.datetime], DigestService] | None,
    purge: Callable[[], str],
    clock: Clock,
) -> DigestScheduler:
    """The daily schedule over every platform whose credentials are set."""
    return DigestScheduler(
        subscriptions=store,
        delivery=delivery,
        digests=digests,
        edition=edition_for(digests.source.name),
        platforms=configured_names(),
        clock=clock,
        batch_digests=batch,
        batch_lead=dt.timedelta(hours=settings.llm_batch_lead_hours),
        purge=purge,
    )


def llm_stores(settings: Settings) -> tuple[ResponseCache, UsageLedger]:
    """The LLM's response cache and usage ledger in the database alone (``digestbot cost``,
    ``eval``): a rebuilt digest costs no calls and the daily budget counts earlier runs."""
    sessions = open_database(settings.database_url)
    return SqlResponseCache(sessions), SqlUsageLedger(sessions)


def build_bot(
    settings: Settings,
    *,
    source: str | None = None,
    paper_source: PaperSource | None = None,
    clock: Clock = utc_now,
    subscribed_only: bool = True,
    progress: Progress | None = None,
) -> Bot:
    """Open the database (waiting and migrating) and wire every service; nothing connects yet.

    ``source`` names a source as ``--source`` does; ``paper_source`` passes one in (tests).
    ``subscribed_only`` lets the LLM back end skip summarizing categories no channel subscribes
    to (the long-running bot); the command line's ``digest`` wants every category.
    """
    sessions = open_database(settings.database_url)
    engine: Engine = sessions.kw["bind"]
    subscription_store = SqlSubscriptionStore(sessions, clock=clock)
    gateway = _gateway(settings, sessions) if settings.llm_configured else None
    paper_source = paper_source or make_source(settings, source)
    wanted: WantedCategories = lambda: wanted_categories(subscription_store.active())  # noqa: E731
    index = SearchIndex(engine)
    digests = make_digest_service(
        settings,
        source=paper_source,
        store=IndexingDigestStore(SqlDigestStore(sessions, clock=clock), index),
        gateway=gateway,
        wanted_categories=wanted if subscribed_only else None,
        progress=progress,
        shared=SharedBuilds(SqlBuildLeases(sessions, clock=clock)),
    )
    threads = SqlThreadLinks(sessions, clock=clock)
    subscriptions = SubscriptionService(
        store=subscription_store,
        taxonomy=digests.taxonomy,
        defaults=SubscriptionDefaults.from_settings(settings),
        clock=clock,
    )
    outlets: dict[str, Outlet] = {}
    delivery = DeliveryService(
        deliveries=SqlDeliveries(sessions, clock=clock),
        digests=digests,
        threads=threads,
        outlet_for=partial(_outlet_in, outlets),
        subscriptions=subscription_store,
        clock=clock,
    )
    batch = _batch_digests(settings, sessions, digests, wanted) if gateway and settings.llm_batch_mode else None
    purge = partial(purge_and_describe, sessions, retention_days=settings.digest_retention_days, clock=clock)
    scheduler = _scheduler(settings, subscription_store, delivery, digests, batch=batch, purge=purge, clock=clock)
    subscriptions.watch(scheduler.refresh)
    questions = _question_service(settings, engine=engine, digests=digests, index=index, gateway=gateway)
    handler = CommandHandler(digests=digests, threads=threads, subscriptions=subscriptions, questions=questions)
    services = _bot_services(settings, sessions, handler, threads, clock=clock)
    ledger = gateway.ledger if gateway is not None else None
    return Bot(settings, engine, digests, subscriptions, questions, delivery, scheduler, services, outlets, ledger)


def _bot_services(
    settings: Settings, sessions: sessionmaker[Session], handler: CommandHandler, threads: ThreadLinks, *, clock: Clock
) -> BotServices:
    """What every adapter is handed: the command handler, and the shared guards around it
    (event dedupe across instances, per-user and per-channel command limits)."""
    return BotServices(
        handler=handler,
        threads=threads,
        seen_events=SqlSeenEvents(sessions, clock=clock),
        gate=CommandGate(CommandLimits.from_settings(settings)),
    )
