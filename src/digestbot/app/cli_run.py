"""``digestbot run``, ``post``, ``subscriptions list|add|remove``, ``health`` and ``purge``.

Registered by ``digestbot.app.cli`` through ``COMMAND_MODULES``; heavy imports (SQLAlchemy,
APScheduler, aiohttp, the adapters) stay inside the commands so ``digestbot --help`` is instant.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from digestbot.app.cli_common import Console, LanguageOption, SourceOption, load_cli_settings, run_use_case

if TYPE_CHECKING:
    from digestbot.bot.scheduling.subscriptions import SubscriptionService

T = TypeVar("T")

_KEY_HELP = "The channel as platform:channel_id, e.g. slack:C0123ABC or discord:1234567890."
_DETAIL_HELP = "brief (top picks, compact lists; the default) or full."
_INTERESTS_HELP = 'Phrases raising papers into the top picks, e.g. "speech recognition, RAG"'
_POST_DETAIL_HELP = "brief or full, for this post only. Default: the channel's subscription, else brief."
_POST_INTERESTS_HELP = f'{_INTERESTS_HELP}, for this post only; "" for none. Default: the subscription\'s.'


def run() -> None:
    """Run the bot: every configured platform, the daily schedule, and GET /healthz on PORT."""
    from digestbot.app.lifecycle import run_bot
    from digestbot.app.logs import configure_logging

    settings = load_cli_settings()
    configure_logging(settings)  # LOG_LEVEL for the long-running bot (one-shot commands log warnings only)
    _guarded(lambda: run_use_case(run_bot(settings)))


def post(
    channel: Annotated[str, typer.Option("--channel", "-c", help=_KEY_HELP)],
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="Announcement date YYYY-MM-DD (default: the latest).")
    ] = None,
    source: SourceOption = None,
    lang: LanguageOption = None,
    detail: Annotated[str | None, typer.Option("--detail", help=_POST_DETAIL_HELP)] = None,
    interests: Annotated[str | None, typer.Option("--interests", help=_POST_INTERESTS_HELP)] = None,
) -> None:
    """Post a digest to one channel now (Web API / REST only); a repeat prints "already posted".

    Uses the channel's subscription (categories, language, detail, interests); options override it for this post."""
    from digestbot.app.platforms import platform_settings
    from digestbot.app.wiring import build_bot
    from digestbot.bot.commands.grammar import parse_date
    from digestbot.bot.delivery.service import Outcome
    from digestbot.bot.scheduling.subscriptions import parse_channel_key

    settings = load_cli_settings(digest_source=source)
    chosen_detail, chosen_interests = _post_overrides(detail, interests)

    async def deliver() -> None:
        platform, channel_id = parse_channel_key(channel)
        day = parse_date(date) if date else None
        ready = platform_settings(platform)
        transport = ready.create_transport()
        bot = await asyncio.to_thread(build_bot, settings, source=source)
        bot.outlets[platform] = ready.outlet(transport)
        subscription = bot.subscriptions.store.get(platform, channel_id)
        try:
            result = await bot.delivery.deliver(
                platform,
                channel_id,
                day=day or bot.scheduler.edition(bot.scheduler.clock()),
                language=lang or (subscription.language if subscription else settings.digest_language),
                categories=subscription.categories if subscription else (),
                interests=(subscription.interests if subscription else ())
                if chosen_interests is None
                else chosen_interests,
                detail=chosen_detail or (subscription.detail if subscription else "brief"),
            )
        finally:
            await transport.close()
        if result.outcome in (Outcome.FAILED, Outcome.INTERRUPTED):
            raise Console.fail(result.describe())
        typer.echo(result.describe())

    _guarded(lambda: run_use_case(deliver()))


def _post_overrides(detail: str | None, interests: str | None) -> tuple[str | None, tuple[str, ...] | None]:
    """``post``'s --detail and --interests, checked before anything is built (None: not given)."""
    from digestbot.bot.commands.grammar import parse_detail
    from digestbot.summarizer.ranking import parse_interests

    return _option("--detail", parse_detail, detail), _option("--interests", parse_interests, interests)


def _option(name: str, parse: Callable[[str], T], value: str | None) -> T | None:
    """``value`` parsed, ``None`` when the option was not given; a bad value ends as one line naming it."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as error:
        raise Console.fail(f"{name}: {error}") from None


def health(
    url: Annotated[
        str | None, typer.Option("--url", help="Default: http://127.0.0.1:$PORT/healthz of this host.")
    ] = None,
) -> None:
    """Ask a running bot whether it is healthy (exit code 0) or not (1), for orchestrators."""
    import urllib.error
    import urllib.request

    target = url or f"http://127.0.0.1:{load_cli_settings().port}/healthz"
    try:
        with urllib.request.urlopen(target, timeout=5) as response:
            report = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read().decode(errors="replace")[:300]
        raise Console.fail(f"{target} answered HTTP {error.code}: {body}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Console.fail(f"No healthy bot at {target} ({error}).") from None
    typer.echo(json.dumps(report, indent=2))
    if report.get("status") != "ok":
        raise typer.Exit(code=1)


def purge(
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="Keep this many days. [default: DIGEST_RETENTION_DAYS]")
    ] = None,
) -> None:
    """Delete cached model replies, ledger rows, question turns, thread links, full texts and
    finished deliveries older than the retention horizon (a running bot does this daily)."""

    def run_purge() -> None:
        from digestbot.bot.storage.db import open_database
        from digestbot.bot.storage.retention import purge_and_describe

        settings = load_cli_settings()
        sessions = open_database(settings.database_url)
        typer.echo(purge_and_describe(sessions, retention_days=days or settings.digest_retention_days))

    _guarded(run_purge)


subscriptions_app = typer.Typer(help="List, add or remove channels that get the daily digest.", no_args_is_help=True)


def _subscription_service() -> SubscriptionService:
    from digestbot.app.wiring import build_bot

    return build_bot(load_cli_settings()).subscriptions


@subscriptions_app.command("list")
def list_subscriptions() -> None:
    """Every subscribed channel with its schedule and next post."""

    def show() -> None:
        service = _subscription_service()
        found = service.list()
        if not found:
            typer.echo("No subscriptions. Add one: digestbot subscriptions add slack:C0123 --time 09:00 --tz UTC")
        for subscription in found:
            typer.echo(f"{subscription.channel_key:<32} {service.summary(subscription)}")

    _guarded(show)


@subscriptions_app.command("add")
def add_subscription(
    channel: Annotated[str, typer.Argument(help=_KEY_HELP)],
    time: Annotated[str | None, typer.Option("--time", "-t", help="HH:MM, 24-hour. [default: DIGEST_TIME]")] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA time zone, e.g. Asia/Seoul. [default: DIGEST_TIMEZONE]")
    ] = None,
    days: Annotated[
        str | None, typer.Option("--days", help="mon-fri (default), sun-thu, mon,wed,fri or daily.")
    ] = None,
    categories: Annotated[
        str | None, typer.Option("--categories", "-c", help="Category slugs, comma-separated (default: all).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", "-l", help="e.g. en or ko. [default: DIGEST_LANGUAGE]")] = None,
    detail: Annotated[str | None, typer.Option("--detail", help=_DETAIL_HELP)] = None,
    interests: Annotated[str | None, typer.Option("--interests", help=f'{_INTERESTS_HELP}; "" clears.')] = None,
) -> None:
    """Subscribe a channel (or change its subscription); a running bot picks it up within minutes."""

    def add() -> None:
        from digestbot.app.platforms import known_platforms
        from digestbot.bot.scheduling.subscriptions import SubscriptionError, parse_channel_key

        platform, _ = parse_channel_key(channel)
        if platform not in known_platforms():  # a typo would otherwise wait silently for a platform that never comes
            known = ", ".join(sorted(known_platforms()))
            raise SubscriptionError(f"Unknown platform '{platform}' in {channel}; use one of: {known}.")
        service = _subscription_service()
        subscription = service.add(
            channel,
            time=time,
            timezone=tz,
            days=days,
            categories=categories,
            language=lang,
            detail=detail,
            interests=interests,
        )
        typer.echo(f"{subscription.channel_key}: {service.summary(subscription)}")

    _guarded(add)


@subscriptions_app.command("remove")
def remove_subscription(channel: Annotated[str, typer.Argument(help=_KEY_HELP)]) -> None:
    """Stop posting to a channel."""

    def remove() -> None:
        if not _subscription_service().remove(channel):
            raise Console.fail(f"{channel} has no subscription.")
        typer.echo(f"Removed {channel}.")

    _guarded(remove)


def _guarded(action: Callable[[], object]) -> None:
    """Storage, subscription and transport errors end as one line and exit code 1."""
    from digestbot.bot.config import ConfigError
    from digestbot.bot.ports import TransportError
    from digestbot.bot.scheduling.subscriptions import SubscriptionError
    from digestbot.bot.storage.db import StorageUnavailable

    try:
        action()
    except (StorageUnavailable, SubscriptionError, TransportError, ConfigError) as error:
        raise Console.fail(str(error)) from None


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(post)
    app.command()(health)
    app.command()(purge)
    app.add_typer(subscriptions_app, name="subscriptions")
