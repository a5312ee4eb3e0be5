"""Build the summarizer's collaborators from settings: the source and the back ends.

This is the only place that decides between the offline and the LLM back end, so the rest
of the bot never asks which one it holds.
"""

from __future__ import annotations

import logging
from pathlib import Path

from digestbot.bot.config import ConfigError, Settings
from digestbot.bot.digests import DigestService, DigestStore
from digestbot.summarizer.sources.base import PaperSource
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)


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


def make_digest_service(
    settings: Settings,
    *,
    source: PaperSource | None = None,
    language: str | None = None,
    store: DigestStore | None = None,
) -> DigestService:
    """The digest service with the back end the settings call for."""
    taxonomy = make_taxonomy(settings)
    from digestbot.summarizer.offline.categorizer import OfflineCategorizer
    from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer

    if settings.llm_configured:
        log.warning("An LLM is configured, but this build only has the offline back end; using it.")
    else:
        log.info("No OPENAI_API_KEY or OPENAI_BASE_URL set: using the offline extractive back end.")
    return DigestService(
        source=source or make_source(settings),
        taxonomy=taxonomy,
        categorizer=OfflineCategorizer(taxonomy),
        summarizer=ExtractiveSummarizer(),
        store=store,
        language=language or settings.digest_language,
    )
