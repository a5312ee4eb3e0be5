"""``digestbot eval`` and ``digestbot cost``, plus the usage and dry-run lines of ``digestbot digest``.

``eval`` scores whichever categorizer the settings configure (the LLM one with a key or base
URL, else the offline one) against hand-labelled papers, so a team can pick its model on
evidence; ``cost`` prints what the ledger recorded for a day. Heavy imports stay inside the
commands so ``digestbot --help`` stays instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from digestbot.app.cli_common import Console, load_cli_settings, run_use_case
from digestbot.summarizer.llm.ports import STAGES

if TYPE_CHECKING:
    from digestbot.bot.config import Settings
    from digestbot.bot.digests import DigestService
    from digestbot.summarizer.llm.ports import ResponseCache, UsageLedger


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate_categorizer)
    app.command("cost")(show_cost)


def utc_today() -> dt.date:
    """The ledger's day (the gateway books calls by UTC date)."""
    return dt.datetime.now(dt.UTC).date()


def usage_line(ledger: UsageLedger, day: dt.date | None = None) -> str:
    """One line of a day's model usage, e.g. for the end of ``digestbot digest``."""
    day = day or utc_today()
    totals = ledger.totals(day)
    return (
        f"LLM usage {day.isoformat()}: {totals.calls} calls, {totals.cache_hits} answered from the cache, "
        f"{totals.prompt_tokens:,} prompt + {totals.completion_tokens:,} completion tokens, ${totals.cost_usd:.4f}"
    )


async def dry_run_report(service: DigestService, day: dt.date | None = None) -> str:
    """What building ``day``'s digest would spend, without a model call (``digest --dry-run``)."""
    from digestbot.summarizer.llm.categorizer import LlmCategorizer
    from digestbot.summarizer.llm.estimate import estimate_digest
    from digestbot.summarizer.llm.summarizer import LlmSummarizer

    categorizer, summarizer = service.categorizer, service.summarizer
    if not isinstance(categorizer, LlmCategorizer) or not isinstance(summarizer, LlmSummarizer):
        return "The offline back end is configured: building a digest makes no model calls."
    listing = await asyncio.to_thread(service.source.listing, day)
    estimate = estimate_digest(
        listing.papers,
        taxonomy=service.taxonomy,
        categorizer=categorizer,
        summarizer=summarizer,
        language=service.language,
    )
    return f"Dry run for {listing.date.isoformat()} ({len(listing.papers)} papers): {estimate.describe()}."


def evaluate_categorizer(
    labels: Annotated[
        Path,
        typer.Option(
            "--labels",
            help='JSON Lines of {"id": "2606.12345", "label": "llm"}, optionally with "acceptable": ["cv", …].',
        ),
    ],
    source: Annotated[
        str, typer.Option("--source", help="Where the labelled papers are: sample, or a .jsonl file of papers.")
    ],
) -> None:
    """Score the configured categorizer (LLM or offline) against labelled papers."""
    from digestbot.app.factory import make_backends, make_gateway, make_source, make_taxonomy
    from digestbot.bot.config import ConfigError
    from digestbot.summarizer.evaluation import evaluate, format_report, read_labels
    from digestbot.summarizer.sources.base import SourceError

    settings = load_cli_settings()
    taxonomy = make_taxonomy(settings)
    try:
        wanted = read_labels(labels, taxonomy.slugs)
        papers = [p for p in make_source(settings, source).listing().papers if p.arxiv_id in wanted.main]
    except (ValueError, OSError, SourceError, ConfigError) as error:
        raise Console.fail(str(error)) from None
    missing = sorted(set(wanted.main) - {p.arxiv_id for p in papers})
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise Console.fail(f"{len(missing)} labelled paper(s) are not in {source}: {shown}.")
    ledger = None
    gateway = None
    if settings.llm_configured:
        cache, ledger = _stores(settings)
        gateway = make_gateway(settings, cache=cache, ledger=ledger)
    categorizer, _ = make_backends(settings, taxonomy, gateway=gateway, progress=Console.progress)
    Console.progress(f"Categorizing {len(papers)} labelled papers with {_describe(settings)}…")
    assignments = run_use_case(categorizer.categorize(papers))
    fallbacks = sum(a.fallback for a in assignments)
    predicted = {a.arxiv_id: a.slug for a in assignments}
    report = evaluate(predicted, wanted.main, taxonomy.slugs, acceptable=wanted.acceptable)
    typer.echo(f"categorizer: {_describe(settings)}")
    typer.echo(format_report(report))
    if fallbacks:
        typer.echo(f"\n{fallbacks} paper(s) fell back to the offline categorizer; see the log for why.")
    if ledger is not None:
        Console.progress(usage_line(ledger))


def show_cost(
    date: Annotated[str | None, typer.Option("--date", "-d", help="Day YYYY-MM-DD (UTC); default today.")] = None,
) -> None:
    """Print the model calls, tokens and cost the ledger recorded for a day, per stage."""
    from digestbot.bot.commands.grammar import CommandError, parse_date

    settings = load_cli_settings()
    try:
        day = parse_date(date) if date else utc_today()
    except CommandError as error:
        raise Console.fail(str(error)) from None
    _, ledger = _stores(settings)
    typer.echo(f"{'stage':<11} {'calls':>6} {'cached':>7} {'prompt tok':>11} {'output tok':>11} {'cost USD':>10}")
    for stage in (*STAGES, None):
        totals = ledger.totals(day, stage)
        typer.echo(
            f"{stage or 'total':<11} {totals.calls:>6} {totals.cache_hits:>7} {totals.prompt_tokens:>11,} "
            f"{totals.completion_tokens:>11,} {totals.cost_usd:>10.4f}"
        )
    budget = [
        f"${settings.llm_daily_budget_usd:g}" if settings.llm_daily_budget_usd is not None else "",
        f"{settings.llm_daily_budget_tokens:,} tokens" if settings.llm_daily_budget_tokens is not None else "",
    ]
    if any(budget):
        typer.echo("daily budget: " + " and ".join(b for b in budget if b))


def _stores(settings: Settings) -> tuple[ResponseCache, UsageLedger]:
    """The database-backed stores, or one clear line when the database cannot be opened."""
    from digestbot.app.wiring import llm_stores
    from digestbot.bot.storage.db import StorageUnavailable

    try:
        return llm_stores(settings)
    except StorageUnavailable as error:
        raise Console.fail(str(error)) from None


def _describe(settings: Settings) -> str:
    from digestbot.app.factory import stage_model

    if not settings.llm_configured:
        return "the offline categorizer"
    return f"the LLM categorizer ({stage_model(settings, 'categorize')})"
