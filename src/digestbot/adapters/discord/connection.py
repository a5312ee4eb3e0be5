"""Building a discord.py client that talks to the configured Discord API.

discord.py builds every REST URL (messages, interaction callbacks, follow-up webhooks) from the
class attribute ``discord.http.Route.BASE`` and dials the gateway at
``DiscordWebSocket.DEFAULT_GATEWAY``; both are process-wide, so they are set here, once, from
``DISCORD_API_URL``. When that variable is set, the gateway URL is the one
``GET {DISCORD_API_URL}/gateway/bot`` returns, as Discord documents, since a plain client would
otherwise dial Discord's own gateway host.
"""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from digestbot.adapters.discord.outgoing import NO_MENTIONS

# A 429 asking us to wait longer than this raises instead of blocking a delivery for minutes;
# delivery then retries later. Shorter waits are handled inside discord.py (per-route buckets).
MAX_RATE_LIMIT_WAIT_SECONDS = 60.0


def use_api(api_url: str | None) -> None:
    """Point discord.py's REST client at ``api_url`` (``None``: Discord's own)."""
    if api_url:
        Route.BASE = api_url.rstrip("/")


def make_client(intents: discord.Intents | None = None) -> discord.Client:
    """A client that never pings (``AllowedMentions.none()``) and gives up on very long rate limits."""
    if intents is None:
        # REST alone needs no intents; "guilds" only keeps discord.py from warning that it is off.
        intents = discord.Intents.none()
        intents.guilds = True
    # The bot never joins voice; without this, every start warns that voice libraries are missing.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    return discord.Client(
        intents=intents,
        allowed_mentions=NO_MENTIONS,
        max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT_SECONDS,
    )


async def use_gateway_from_api(client: discord.Client) -> str:
    """Ask the configured API for the gateway URL and make the client dial it; returns the URL."""
    _, url, _ = await client.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    return url
