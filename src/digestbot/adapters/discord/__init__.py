"""The Discord adapter (discord.py): daily digests, ``/digest`` commands and thread follow-ups.

The composition root finds :data:`PLATFORM` by the package's name and calls its
``create_adapter`` (for ``digestbot run``) or ``create_transport`` (REST only, for
``digestbot post``). Importing the package costs nothing: discord.py is imported inside these
functions, so ``digestbot --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digestbot.adapters.discord.settings import DiscordSettings
from digestbot.adapters.platform import declare_platform
from digestbot.bot.config import ready_secret

if TYPE_CHECKING:
    from digestbot.adapters.discord.client import DiscordAdapter
    from digestbot.adapters.discord.transport import DiscordTransport
    from digestbot.bot.ports import BotServices

__all__ = ["PLATFORM", "DiscordSettings", "bot_token", "create_adapter", "create_transport"]


def create_transport(settings: DiscordSettings) -> DiscordTransport:
    """A REST-only transport that logs in on first use (no gateway connection)."""
    from digestbot.adapters.discord.connection import make_client, use_api
    from digestbot.adapters.discord.transport import DiscordTransport

    use_api(settings.api_url)
    return DiscordTransport(make_client(), token=bot_token(settings))


def create_adapter(settings: DiscordSettings, services: BotServices) -> DiscordAdapter:
    """The gateway adapter; ``start()`` logs in, syncs ``/digest`` if it changed and connects."""
    from digestbot.adapters.discord.client import DiscordAdapter
    from digestbot.adapters.discord.connection import use_api

    use_api(settings.api_url)
    return DiscordAdapter(
        services=services,
        token=bot_token(settings),
        use_api_gateway=bool(settings.api_url),
        guild_id=settings.guild_id,
        message_content=settings.message_content,
    )


def bot_token(settings: DiscordSettings) -> str:
    """The token, read here and only here (it never reaches a log or an error message)."""
    return ready_secret(settings.token, problems=settings.problems(), variable="DISCORD_TOKEN")


PLATFORM = declare_platform(
    __name__, settings=DiscordSettings, create_adapter=create_adapter, create_transport=create_transport
)
