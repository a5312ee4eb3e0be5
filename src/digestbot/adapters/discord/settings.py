"""Discord's variables (``DISCORD_*``)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from digestbot.bot.config import PlatformSettings

_TOKEN_HELP = "copy the bot token from the Developer Portal (see docs/discord.md)"


class DiscordSettings(PlatformSettings):
    """The bot token, and what shapes the connection (docs/discord.md explains each)."""

    model_config = SettingsConfigDict(env_prefix="DISCORD_")

    token: SecretStr | None = None
    api_url: str | None = None
    guild_id: int | None = None
    message_content: bool = False

    def problems(self) -> list[str]:
        if self.token is None:
            return [f"DISCORD_TOKEN is not set; {_TOKEN_HELP}."]
        if self.token.get_secret_value().startswith(("xoxb-", "xapp-", "xoxp-")):
            return [f"DISCORD_TOKEN is a Slack token; {_TOKEN_HELP}."]
        return []
