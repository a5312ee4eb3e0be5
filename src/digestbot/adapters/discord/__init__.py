"""The Discord adapter (discord.py): daily digests, ``/digest`` commands and thread follow-ups.

The composition root loads this package by name and calls :func:`create_adapter` (for
``digestbot run``) or :func:`create_transport` (REST only, for ``digestbot post``). Importing the
package costs nothing: discord.py is imported inside these functions, so ``digestbot --help``
stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digestbot.adapters.discord.client import DiscordAdapter
    from digestbot.adapters.discord.transport import DiscordTransport
    from digestbot.bot.config import Settings
    from digestbot.bot.ports import BotServices

__all__ = ["bot_token", "create_adapter", "create_transport"]


def create_transport(settings: Settings) -> DiscordTransport:
    """A REST-only transport that logs in on first use (no gateway connection)."""
    from digestbot.adapters.discord.connection import make_client, use_api
    from digestbot.adapters.discord.transport import DiscordTransport

    use_api(settings.discord_api_url)
    return DiscordTransport(make_client(), token=bot_token(settings))


def create_adapter(settings: Settings, services: BotServices) -> DiscordAdapter:
    """The gateway adapter; ``start()`` logs in, syncs ``/digest`` if it changed and connects."""
    from digestbot.adapters.discord.client import DiscordAdapter
    from digestbot.adapters.discord.connection import use_api

    use_api(settings.discord_api_url)
    return DiscordAdapter(
        services=services,
        token=bot_token(settings),
        use_api_gateway=bool(settings.discord_api_url),
        guild_id=settings.discord_guild_id,
        message_content=settings.discord_message_content,
    )


def bot_token(settings: Settings) -> str:
    """The token, read here and only here (it never reaches a log or an error message)."""
    from digestbot.bot.config import ConfigError

    if settings.discord_token is None:
        raise ConfigError(
            "DISCORD_TOKEN is not set; copy the bot token from the Developer Portal (see docs/discord.md)."
        )
    return settings.discord_token.get_secret_value()
