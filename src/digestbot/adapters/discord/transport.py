"""Posting digests to Discord over REST alone (no gateway), so ``digestbot post`` works from cron.

Idempotency, in two layers: every send carries a ``nonce`` derived from the delivery's
idempotency key with ``enforce_nonce`` (Discord then returns the earlier message instead of
posting a duplicate, for a few minutes), and a short marker derived from the same key in the last
embed's footer, which :meth:`DiscordTransport.find_sent` finds in history after the nonce is gone.

Threads: Discord gives a thread started from a message the message's id, so the parent's id is
the thread id the delivery service passes for every later part; the thread is created on the
first part sent into it.

Rate limits: discord.py waits out Discord's per-route buckets and 429s itself; on top of that a
sliding window paces bursts per channel (Discord allows about 5 messages per 5 s in a channel),
so a 20-part digest streams steadily instead of hitting 429s.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import discord

from digestbot.adapters.discord.outgoing import footer_text, send_kwargs
from digestbot.bot.ports import OutgoingMessage, TransportError
from digestbot.summarizer.bounded import CHANNELS_KEPT, BoundedMap, is_held

# Discord: 1440 minutes = the thread hides after a day without messages (1-100 chars per name).
THREAD_ARCHIVE_MINUTES = 1440
DEFAULT_THREAD_NAME = "Paper digest"
THREAD_ALREADY_EXISTS = 160004
# How far find_sent reads back in a channel (and in each of our threads) after ``since``.
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Pace:
    """At most ``burst`` sends per ``per_seconds`` into one channel or thread."""

    burst: int = 5
    per_seconds: float = 5.0


def idempotency_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def nonce_for(key: str) -> str:
    """Discord nonces are at most 25 characters; the same key always gives the same nonce."""
    return idempotency_token(key)[:25]


def marker_for(key: str) -> str:
    """The footer marker :meth:`DiscordTransport.find_sent` looks for (short: it is visible)."""
    return f"ref {idempotency_token(key)[:12]}"


class _Pacer:
    def __init__(self, pace: Pace) -> None:
        self._pace = pace
        # Per channel, bounded: a bot in thousands of channels keeps the busy ones only.
        self._sent: BoundedMap[int, deque[float]] = BoundedMap(max_items=CHANNELS_KEPT, ttl_seconds=3600.0)
        self._locks: BoundedMap[int, asyncio.Lock] = BoundedMap(max_items=CHANNELS_KEPT, in_use=is_held)

    @contextlib.asynccontextmanager
    async def slot(self, channel_id: int) -> AsyncIterator[None]:
        async with self._locks.get_or_create(channel_id, asyncio.Lock):
            recent = self._sent.get_or_create(channel_id, deque)
            while recent and time.monotonic() - recent[0] >= self._pace.per_seconds:
                recent.popleft()
            if len(recent) >= self._pace.burst:
                await asyncio.sleep(self._pace.per_seconds - (time.monotonic() - recent[0]))
                recent.popleft()
            try:
                yield
            finally:
                recent.append(time.monotonic())


class DiscordTransport:
    """:class:`digestbot.bot.ports.Transport` for Discord; logs in lazily with ``token``.

    Inside ``digestbot run`` the gateway client is passed in already logged in (``token=None``).
    """

    platform = "discord"
    # The delivery service's pause between parts; none is needed, this transport paces itself.
    min_send_interval = 0.0

    def __init__(self, client: discord.Client, *, token: str | None, pace: Pace | None = None) -> None:
        self._client = client
        self._token = token
        self._pacer = _Pacer(pace or Pace())
        self._login_lock = asyncio.Lock()
        self._channels: BoundedMap[int, discord.abc.Messageable] = BoundedMap(max_items=CHANNELS_KEPT)
        # Threads we made; one forgotten is only asked for again (Discord answers "already exists").
        self._threads: BoundedMap[int, bool] = BoundedMap(max_items=CHANNELS_KEPT)

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        async with _errors(channel_id):
            channel = await self._channel(int(channel_id))
            target = channel
            if thread_id is not None:
                target = await self._thread(channel, int(thread_id), message.payload.get("thread_name"))
            kwargs = send_kwargs(message, marker=marker_for(idempotency_key))
            async with self._pacer.slot(_channel_key(target)):
                sent = await target.send(**kwargs, nonce=nonce_for(idempotency_key))
        return str(sent.id)

    async def ensure_attachment(
        self, channel_id: str, message: OutgoingMessage, *, message_id: str, thread_id: str | None
    ) -> None:
        """Nothing to finish: a message and its file are one request here."""

    async def find_sent(self, channel_id: str, idempotency_key: str, *, since: dt.datetime) -> str | None:
        """Our message carrying the key's nonce or marker, in the channel or in a thread we started there."""
        marker, nonce = marker_for(idempotency_key), nonce_for(idempotency_key)
        after = discord.Object(id=discord.utils.time_snowflake(since))
        async with _errors(channel_id):
            channel = await self._channel(int(channel_id))
            threads: list[int] = []
            async for found in channel.history(after=after, limit=HISTORY_LIMIT, oldest_first=True):
                if not self._ours(found):
                    continue
                if _carries(found, marker, nonce):
                    return str(found.id)
                if found.flags.has_thread:
                    threads.append(found.id)
            for thread_id in threads:
                thread = self._partial(channel, thread_id)
                async for found in thread.history(after=after, limit=HISTORY_LIMIT, oldest_first=True):
                    if self._ours(found) and _carries(found, marker, nonce):
                        return str(found.id)
        return None

    @property
    def application_id(self) -> int | None:
        """Known after :meth:`login` (the bot's application, for the invite URL)."""
        return self._client.application_id

    async def close(self) -> None:
        """Close the HTTP session (``digestbot post`` calls this when done)."""
        await self._client.close()

    async def login(self) -> None:
        """Log in over REST once; concurrent first sends share one login."""
        if self._client.user is not None:
            return
        async with self._login_lock:
            if self._client.user is None:
                if self._token is None:
                    raise TransportError("DISCORD_TOKEN is not set; the Discord adapter cannot log in.", permanent=True)
                async with _errors("(login)"):
                    await self._client.login(self._token)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        await self.login()
        if channel_id not in self._channels:
            channel = self._client.get_channel(channel_id) or await self._client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                raise TransportError(
                    f"Discord channel {channel_id} cannot hold messages (forum or category?).", permanent=True
                )
            self._channels[channel_id] = channel
        return self._channels[channel_id]

    async def _thread(
        self, channel: discord.abc.Messageable, thread_id: int, name: str | None
    ) -> discord.abc.Messageable:
        if thread_id not in self._threads:
            parent = channel.get_partial_message(thread_id)  # type: ignore[attr-defined]
            try:
                await parent.create_thread(
                    name=name or DEFAULT_THREAD_NAME, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
            except discord.HTTPException as error:
                if error.code != THREAD_ALREADY_EXISTS:
                    raise
            self._threads[thread_id] = True
        return self._partial(channel, thread_id)

    def _partial(self, channel: discord.abc.Messageable, thread_id: int) -> discord.PartialMessageable:
        guild = getattr(channel, "guild", None)
        return self._client.get_partial_messageable(
            thread_id, guild_id=guild.id if guild else None, type=discord.ChannelType.public_thread
        )

    def _ours(self, message: discord.Message) -> bool:
        return self._client.user is not None and message.author.id == self._client.user.id


def _carries(message: discord.Message, marker: str, nonce: str) -> bool:
    if message.nonce is not None and str(message.nonce) == nonce:
        return True
    return any(footer_text(embed.to_dict()).endswith(marker) for embed in message.embeds)


def _channel_key(channel: discord.abc.Messageable) -> int:
    return getattr(channel, "id", 0)


@contextlib.asynccontextmanager
async def _errors(channel_id: str) -> AsyncIterator[None]:
    """Discord's failures as :class:`TransportError`; ``permanent`` when retrying cannot help."""
    try:
        yield
    except discord.LoginFailure:
        raise TransportError(
            "Discord rejected the bot token (DISCORD_TOKEN); create a new one.", permanent=True
        ) from None
    except discord.Forbidden as error:
        raise TransportError(
            f"Discord denied access to channel {channel_id} ({error.text or 'Missing Access'}); "
            "invite the bot there with `digestbot discord invite-url`.",
            permanent=True,
        ) from None
    except discord.NotFound as error:
        raise TransportError(f"Discord channel {channel_id}: {error.text or 'not found'}.", permanent=True) from None
    except discord.RateLimited as error:
        raise TransportError(f"Discord asked to wait {error.retry_after:.0f} s (rate limit);") from None
    except discord.HTTPException as error:
        permanent = 400 <= error.status < 500 and error.status not in (408, 429)
        raise TransportError(f"Discord answered HTTP {error.status}: {error.text}", permanent=permanent) from None
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        raise TransportError(f"Could not reach Discord ({type(error).__name__});") from None
