"""``digestbot discord …``: print the invite URL, register ``/digest`` explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from digestbot.app.cli_common import Console, load_cli_settings, run_use_case

if TYPE_CHECKING:
    from digestbot.adapters.discord import DiscordSettings
    from digestbot.adapters.discord.sync import SyncResult
    from digestbot.bot.config import Settings


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Discord: the invite URL and /digest registration.", no_args_is_help=True)
    group.command("invite-url")(invite_url)
    group.command("sync")(sync)
    app.add_typer(group, name="discord")


def invite_url(
    client_id: Annotated[
        int | None,
        typer.Option(
            "--client-id",
            help="The application id (Developer Portal → General Information). Default: asked from Discord "
            "with DISCORD_TOKEN.",
        ),
    ] = None,
) -> None:
    """Print the URL that adds the bot to a server with exactly the permissions it needs."""
    from digestbot.adapters.discord.invite import PERMISSIONS
    from digestbot.adapters.discord.invite import invite_url as build_url

    settings = _discord_settings()
    if client_id is None:
        client_id = run_use_case(_application_id(settings))
    typer.echo(build_url(client_id, guild_id=settings.guild_id))
    for name, (_, why) in PERMISSIONS.items():
        Console.progress(f"  {name}: {why}")


def sync(
    force: Annotated[bool, typer.Option("--force", help="Sync even if the commands did not change.")] = False,
) -> None:
    """Register /digest with Discord now (globally, or in DISCORD_GUILD_ID's server, where it is instant).

    ``digestbot run`` does this by itself whenever the commands changed.
    """
    result = run_use_case(_sync(load_cli_settings(), _discord_settings(), force=force))
    if result.synced:
        typer.echo(f"Synced {result.commands} command(s) ({result.scope}).")
    else:
        typer.echo(f"Commands unchanged since the last sync ({result.scope}); nothing sent. Use --force to resend.")


def _discord_settings() -> DiscordSettings:
    from digestbot.adapters.discord import DiscordSettings
    from digestbot.bot.config import ConfigError, load_platform_settings

    try:
        return load_platform_settings(DiscordSettings)
    except ConfigError as error:
        raise Console.fail(str(error)) from None


async def _application_id(settings: DiscordSettings) -> int:
    from digestbot.adapters.discord import create_transport
    from digestbot.bot.ports import TransportError

    transport = create_transport(settings)
    try:
        await transport.login()
    except TransportError as error:
        raise Console.fail(str(error)) from None
    finally:
        await transport.close()
    if transport.application_id is None:
        raise Console.fail("Discord did not say which application this token belongs to; pass --client-id.")
    return transport.application_id


async def _sync(settings: Settings, discord: DiscordSettings, *, force: bool) -> SyncResult:
    from digestbot.adapters.discord import create_adapter
    from digestbot.adapters.discord.sync import SyncError, sync_if_changed
    from digestbot.app.wiring import build_bot
    from digestbot.bot.ports import TransportError

    adapter = create_adapter(discord, build_bot(settings).services)
    try:
        await adapter.transport.login()
        return await sync_if_changed(adapter.tree, guild_id=discord.guild_id, force=force)
    except (TransportError, SyncError) as error:
        raise Console.fail(str(error)) from None
    finally:
        await adapter.stop()
