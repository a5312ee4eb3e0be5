"""The ``digestbot`` command line; heavy libraries are imported inside the commands that use
them so ``digestbot --help`` stays instant."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from digestbot import __version__
from digestbot.app.cli_common import Console, LanguageOption, SourceOption, load_cli_settings, run_use_case

if TYPE_CHECKING:
    from digestbot.summarizer.models import Digest

app = typer.Typer(
    help="Paper Digest Bot: a daily, categorized digest of new AI papers from arXiv.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"digestbot {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    Console.quiet = quiet
    _redacted_logs(verbose=verbose)


def _redacted_logs(*, verbose: bool) -> None:
    """Every command logs through the filter that replaces configured secrets (a token in an
    error message, a database password in a traceback), not only ``run``. With a setting that
    does not load there is no secret to hide yet: the command itself then stops on that setting."""
    from digestbot.app.logs import configure_logging
    from digestbot.bot.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError:
        return
    configure_logging(settings, level="DEBUG" if verbose else "WARNING")


@app.command()
def digest(
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="Announcement date YYYY-MM-DD (default: the latest).")
    ] = None,
    source: SourceOption = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the .md and .png files.")] = Path("."),
    lang: LanguageOption = None,
    categories: Annotated[
        str | None, typer.Option("--categories", "-c", help="Only these category slugs, comma-separated.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the model calls and tokens a build would spend; build nothing.")
    ] = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Also print the top papers, their scores and why they rank there.")
    ] = False,
    interests: Annotated[
        str | None, typer.Option("--interests", help='With --explain: rank for a channel\'s interests, "a, b".')
    ] = None,
) -> None:
    """Build a digest and write digest-YYYY-MM-DD.md and digest-YYYY-MM-DD.png.

    The digest is also kept in DATABASE_URL, so a rebuild is free and `digestbot search` finds it."""
    from digestbot.app.cli_eval import dry_run_report, usage_line
    from digestbot.app.wiring import build_bot
    from digestbot.bot.commands.grammar import parse_date, resolve_category
    from digestbot.bot.layout.explain import explain_ranks
    from digestbot.summarizer.ranking import parse_interests

    settings = load_cli_settings(digest_source=source, digest_language=lang)

    async def build() -> None:
        day = parse_date(date) if date else None
        try:
            focus = parse_interests(interests or "")
        except ValueError as error:
            raise Console.fail(f"--interests: {error}") from None
        bot = build_bot(settings, subscribed_only=False, progress=Console.progress)
        service = bot.digests
        if dry_run:
            typer.echo(await dry_run_report(service, day))
            return
        wanted = [resolve_category(c, service.taxonomy) for c in categories.split(",")] if categories else None
        result = await service.digest(day, progress=Console.progress)
        if wanted:
            result = result.only(wanted)
        for path in _write_files(result, service.chart(result), out):
            typer.echo(str(path))
        Console.progress(f"{len(result.papers)} papers in {len(result.sections)} categories.")
        if bot.ledger is not None:
            Console.progress(usage_line(bot.ledger))
        if explain:
            typer.echo(explain_ranks(result, interests=focus))

    run_use_case(build())


def _write_files(result: Digest, chart_png: bytes, out: Path) -> tuple[Path, Path]:
    """``digest-YYYY-MM-DD.md`` and its chart in ``out``; returns both paths (Markdown first)."""
    from digestbot.bot.layout.markdown import chart_filename, render_digest

    out.mkdir(parents=True, exist_ok=True)
    chart_path = out / chart_filename(result)
    chart_path.write_bytes(chart_png)
    markdown_path = out / f"digest-{result.date.isoformat()}.md"
    markdown_path.write_text(render_digest(result, chart_file=chart_path.name), encoding="utf-8")
    return markdown_path, chart_path


@app.command()
def paper(
    reference: Annotated[str, typer.Argument(help="An arXiv id (2409.14674) or an arxiv.org URL.")],
    source: SourceOption = None,
    lang: LanguageOption = None,
) -> None:
    """Fetch one paper and print its summary."""
    from digestbot.app.wiring import build_bot
    from digestbot.bot.layout.markdown import render_paper
    from digestbot.summarizer.ids import parse_arxiv_ref

    settings = load_cli_settings(digest_source=source, digest_language=lang)

    async def show() -> None:
        arxiv_id = parse_arxiv_ref(reference).arxiv_id
        service = build_bot(settings, subscribed_only=False).digests
        found = await service.paper(arxiv_id)
        typer.echo(render_paper(found, await service.summarize_paper(found), service.language))

    run_use_case(show())


@app.command()
def categories() -> None:
    """List the categories (slug, name, what belongs there)."""
    from digestbot.app.factory import make_taxonomy

    taxonomy = make_taxonomy(load_cli_settings())
    for category in taxonomy.categories:
        typer.echo(f"{category.slug:<12} {category.name:<26} {category.description}")


@app.command()
def chat(source: SourceOption = None, lang: LanguageOption = None) -> None:
    """Talk to the bot in this terminal: type the same commands as in Slack (/digest llm, …)."""
    from digestbot.adapters.console import run_console
    from digestbot.app.wiring import build_bot
    from digestbot.bot.commands.handlers import CommandHandler

    # An in-memory database: a chat in the terminal leaves nothing behind. The terminal is no
    # channel a daily digest could go to, so subscriptions stay with `digestbot run`.
    settings = load_cli_settings(digest_source=source, digest_language=lang, database_url="sqlite://")
    bot = build_bot(settings, subscribed_only=False)
    handler = CommandHandler(digests=bot.digests, threads=bot.services.threads, questions=bot.questions)
    run_use_case(run_console(handler))


# Command groups that live in their own modules; each module has ``register(app)`` and keeps
# its heavy imports inside the commands, so ``digestbot --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "digestbot.app.cli_run",
    "digestbot.app.cli_questions",
    "digestbot.app.cli_discord",
    "digestbot.app.cli_eval",
)


for _module_name in COMMAND_MODULES:
    importlib.import_module(_module_name).register(app)


def main() -> None:
    app()
