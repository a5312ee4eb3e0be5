"""Build the summarizer's collaborators from settings: the source and the back ends.

This is the only place that decides between the offline and the LLM back end, so the rest
of the bot never asks which one it holds. The LLM modules (and ``openai``) are imported only
when a model is configured, so the offline path and ``digestbot --help`` stay light.

One process should hold one gateway (``make_gateway``) and pass it to ``make_digest_service``
and ``make_answerer``: the gateway owns the concurrency limit, the rate limit and the budget,
which only work when every call shares them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from digestbot.bot.config import ConfigError, Settings
from digestbot.bot.digests import DigestService, DigestStore
from digestbot.bot.shared_builds import SharedBuilds
from digestbot.summarizer.backends import Answerer, Categorizer, Summarizer
from digestbot.summarizer.llm.ports import (
    STAGES,
    MemoryResponseCache,
    MemoryUsageLedger,
    ResponseCache,
    UsageLedger,
)
from digestbot.summarizer.sources.base import PaperSource
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from digestbot.summarizer.llm.gateway import LlmGateway

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
WantedCategories = Callable[[], Collection[str] | None]
_announced: set[str] = set()


def make_source(settings: Settings, name: str | None = None) -> PaperSource:
    """``arxiv``, ``sample`` or a path to a JSON Lines file of papers."""
    choice = name or settings.digest_source
    if choice == "sample":
        from digestbot.summarizer.sources.jsonl import sample_source

        return sample_source()
    if choice == "arxiv":
        from digestbot.summarizer.sources.arxiv import ArxivSource

        return ArxivSource(
            api_url=settings.arxiv_api_url,
            rss_url=settings.arxiv_rss_url,
            arxiv_categories=settings.arxiv_category_list,
        )
    path = Path(choice)
    if path.suffix != ".jsonl" and not path.exists():
        raise ConfigError(
            f"DIGEST_SOURCE/--source '{choice}' is neither 'arxiv', 'sample' nor an existing .jsonl file."
        )
    from digestbot.summarizer.sources.jsonl import JsonlSource

    return JsonlSource(path)


def make_taxonomy(settings: Settings) -> Taxonomy:
    return load_taxonomy(settings.digest_taxonomy_file)


def stage_model(settings: Settings, stage: str) -> str:
    """The model of one LLM stage: its DIGEST_MODEL_<STAGE> override, else DIGEST_MODEL."""
    overrides = {
        "categorize": settings.digest_model_categorize,
        "summarize": settings.digest_model_summarize,
        "answer": settings.digest_model_answer,
    }
    return overrides[stage] or settings.digest_model


def _announce(message: str) -> None:
    """Log which back end is in use, once per process."""
    if message not in _announced:
        _announced.add(message)
        log.info(message)


def make_gateway(
    settings: Settings,
    *,
    cache: ResponseCache | None = None,
    ledger: UsageLedger | None = None,
    batch_deadline: dt.datetime | None = None,
) -> LlmGateway:
    """The one gateway for this process. ``batch_deadline`` (with ``LLM_BATCH_MODE``) sends calls
    through the Batch API until then; the scheduler passes its post time for prepared digests."""
    from digestbot.summarizer.llm.batch import BatchQueue
    from digestbot.summarizer.llm.gateway import DEFAULT_BASE_URL, GatewayConfig, LlmGateway, open_client
    from digestbot.summarizer.llm.prices import PriceTable

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    client = open_client(base_url=settings.openai_base_url, api_key=key, timeout=settings.llm_timeout_seconds)
    config = GatewayConfig(
        models={stage: stage_model(settings, stage) for stage in STAGES},
        base_url=settings.openai_base_url or DEFAULT_BASE_URL,
        concurrency=settings.llm_concurrency,
        requests_per_minute=settings.llm_requests_per_minute,
        max_retries=settings.llm_max_retries,
        daily_budget_usd=settings.llm_daily_budget_usd,
        daily_budget_tokens=settings.llm_daily_budget_tokens,
        prices=PriceTable(settings.llm_prices),
    )
    batcher = BatchQueue(client, deadline=batch_deadline) if settings.llm_batch_mode and batch_deadline else None
    return LlmGateway(
        client,
        config=config,
        cache=cache if cache is not None else MemoryResponseCache(),
        ledger=ledger if ledger is not None else MemoryUsageLedger(),
        batcher=batcher,
    )


def make_backends(
    settings: Settings,
    taxonomy: Taxonomy,
    *,
    gateway: LlmGateway | None = None,
    cache: ResponseCache | None = None,
    ledger: UsageLedger | None = None,
    wanted_categories: WantedCategories | None = None,
    progress: Progress | None = None,
) -> tuple[Categorizer, Summarizer]:
    """The categorizer and summarizer the settings call for (LLM with a key or base URL)."""
    from digestbot.summarizer.offline.categorizer import OfflineCategorizer
    from digestbot.summarizer.offline.model import make_offline_categorizer
    from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer

    offline = make_offline_categorizer(taxonomy)
    if not settings.llm_configured:
        _announce("No OPENAI_API_KEY or OPENAI_BASE_URL set: using the offline extractive back end.")
        return offline, ExtractiveSummarizer()
    from digestbot.summarizer.llm.categorizer import LlmCategorizer
    from digestbot.summarizer.llm.prefilter import PrefilteredCategorizer, WantedCategoriesSummarizer
    from digestbot.summarizer.llm.summarizer import LlmSummarizer

    gateway = gateway or make_gateway(settings, cache=cache, ledger=ledger)
    models = ", ".join(f"{stage}: {model}" for stage, model in gateway.config.models.items())
    _announce(f"Using the LLM back end at {gateway.config.base_url} ({models}).")
    categorizer: Categorizer = LlmCategorizer(
        gateway, taxonomy, batch_size=settings.llm_categorize_batch_size, fallback=offline, progress=progress
    )
    summarizer: Summarizer = LlmSummarizer(gateway, chunk_tokens=settings.llm_summary_chunk_tokens)
    if wanted_categories is not None:
        # The pre-filter's confidence threshold is calibrated on the keyword rules' scores.
        categorizer = PrefilteredCategorizer(categorizer, OfflineCategorizer(taxonomy), wanted_categories)
        summarizer = WantedCategoriesSummarizer(summarizer, wanted_categories)
    return categorizer, summarizer


def make_answerer(
    settings: Settings,
    *,
    gateway: LlmGateway | None = None,
    cache: ResponseCache | None = None,
    ledger: UsageLedger | None = None,
    fallback: Answerer | None = None,
) -> Answerer | None:
    """The LLM answerer, or ``fallback`` (``None`` if not given) when no model is configured."""
    if not settings.llm_configured:
        return fallback
    from digestbot.summarizer.llm.answerer import LlmAnswerer

    return LlmAnswerer(gateway or make_gateway(settings, cache=cache, ledger=ledger), fallback=fallback)


def make_digest_service(
    settings: Settings,
    *,
    source: PaperSource | None = None,
    language: str | None = None,
    store: DigestStore | None = None,
    gateway: LlmGateway | None = None,
    cache: ResponseCache | None = None,
    ledger: UsageLedger | None = None,
    wanted_categories: WantedCategories | None = None,
    progress: Progress | None = None,
    shared: SharedBuilds | None = None,
) -> DigestService:
    """The digest service with the back end the settings call for; ``cache``/``ledger`` default
    to memory versions and are used only when no ``gateway`` is passed; ``shared`` coordinates
    builds with other instances."""
    taxonomy = make_taxonomy(settings)
    categorizer, summarizer = make_backends(
        settings,
        taxonomy,
        gateway=gateway,
        cache=cache,
        ledger=ledger,
        wanted_categories=wanted_categories,
        progress=progress,
    )
    return DigestService(
        source=source or make_source(settings),
        taxonomy=taxonomy,
        categorizer=categorizer,
        summarizer=summarizer,
        store=store,
        language=language or settings.digest_language,
        shared=shared,
    )
