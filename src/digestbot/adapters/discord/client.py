"""The Discord side of ``digestbot run``: the gateway connection, ``/digest`` and thread questions.

Intents are minimal: ``guilds`` (channels and threads in the cache, interactions' context) and
``guild_messages`` (messages in servers, for follow-up questions). Reading what people write
needs the privileged Message Content intent (``DISCORD_MESSAGE_CONTENT=true``, and switched on in
the Developer Portal). Without it Discord delivers a message's text only when it mentions the
bot, so the bot then answers only mentions ("@Paper Digest what GPU did they use?") and
``/digest ask`` in a digest's thread; it never sees other messages' text.

Reconnects and resumes are discord.py's (``connect(reconnect=True)``, exponential back-off).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from digestbot.adapters.discord.commands import build_tree
from digestbot.adapters.discord.connection import make_client, use_gateway_from_api
from digestbot.adapters.discord.outgoing import send_kwargs
from digestbot.adapters.discord.render import render_reply
from digestbot.adapters.discord.respond import InteractionReplies
from digestbot.adapters.discord.sync import DEFAULT_STATE_FILE, SyncError, sync_if_changed
from digestbot.adapters.discord.transport import DiscordTransport, Pace
from digestbot.bot.commands.handlers import Conversation
from digestbot.bot.commands.replies import TextReply
from digestbot.bot.ports import BotServices
from digestbot.summarizer.io_pools import db_call

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)

HINT = "Ask me about a digest's papers in its thread (mention me there), or use `/digest ask`."
READY_TIMEOUT_SECONDS = 120.0
_KNOWN_CHANNELS = 1_000


def intents_for(*, message_content: bool) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    return intents


class ThreadQuestions:
    """``on_message``: a question in a digest's thread (or a mention of the bot) gets an answer there."""

    def __init__(self, *, client: discord.Client, services: BotServices, message_content: bool) -> None:
        self.client = client
        self.services = services
        self.message_content = message_content
        self._where: OrderedDict[int, tuple[str, str | None]] = OrderedDict()

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return
        mentioned = any(user.id == me.id for user in message.mentions)
        if not (mentioned or self.message_content):
            return  # without the intent its text is empty anyway
        if not await db_call(self.services.seen_events.first_time, f"discord:message:{message.id}"):
            return
        channel_id, thread_id = await self._locate(message.channel)
        question = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        conversation = Conversation(
            platform="discord", channel_id=channel_id, user_id=str(message.author.id), thread_id=thread_id
        )
        reply = None
        if question and thread_id is not None:
            async with message.channel.typing():
                reply = await self.services.handler.follow_up(question, conversation)
        if reply is None:
            if not mentioned:
                return  # an ordinary message in a thread that is not a digest's
            reply = TextReply(HINT)
        for number, outgoing in enumerate(render_reply(reply)):
            kwargs = send_kwargs(outgoing)
            if number == 0:
                kwargs.update(reference=message, mention_author=False)
            await message.channel.send(**kwargs)

    async def _locate(self, channel: discord.abc.MessageableChannel) -> tuple[str, str | None]:
        """(channel id, thread id): for a thread, its parent channel and itself.

        A thread missing from the cache arrives as a PartialMessageable; Discord is asked once
        what it is, and the answer remembered.
        """
        if isinstance(channel, discord.Thread):
            return str(channel.parent_id), str(channel.id)
        if not isinstance(channel, discord.PartialMessageable):
            return str(channel.id), None
        if channel.id not in self._where:
            try:
                fetched = await self.client.fetch_channel(channel.id)
            except discord.HTTPException:
                return str(channel.id), None
            thread = isinstance(fetched, discord.Thread)
            self._where[channel.id] = (str(fetched.parent_id), str(fetched.id)) if thread else (str(fetched.id), None)
            if len(self._where) > _KNOWN_CHANNELS:
                self._where.popitem(last=False)
        return self._where[channel.id]


class DiscordAdapter:
    """:class:`digestbot.bot.ports.ChatAdapter` for Discord."""

    platform = "discord"

    def __init__(
        self,
        *,
        services: BotServices,
        token: str,
        use_api_gateway: bool = False,
        guild_id: int | None = None,
        message_content: bool = False,
        sync_state_file: Path = DEFAULT_STATE_FILE,
        pace: Pace | None = None,
    ) -> None:
        self.client = make_client(intents_for(message_content=message_content))
        self.transport = DiscordTransport(self.client, token=token, pace=pace)
        self.questions = ThreadQuestions(client=self.client, services=services, message_content=message_content)
        replies = InteractionReplies(
            transport=self.transport, threads=services.threads, language=services.handler.language
        )
        self.tree = build_tree(self.client, services=services, replies=replies, mention_only=not message_content)
        self.client.event(self.questions.on_message)
        self._use_api_gateway = use_api_gateway
        self._guild_id = guild_id
        self._sync_state_file = sync_state_file
        self._task: asyncio.Task[None] | None = None

    def install_routes(self, app: web.Application) -> None:
        """Discord needs no HTTP route: interactions arrive over the gateway."""

    async def login(self) -> None:
        """REST login, then ``/digest`` registration if the command tree changed."""
        await self.transport.login()
        try:
            result = await sync_if_changed(self.tree, guild_id=self._guild_id, state_file=self._sync_state_file)
        except SyncError as error:
            log.error("%s", error)
        else:
            log.info("Discord commands %s (%s)", "synced" if result.synced else "unchanged", result.scope)

    async def start(self) -> None:
        await self.login()
        if self._use_api_gateway:
            await use_gateway_from_api(self.client)
        self._task = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=READY_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            if self._task in done:
                _raise_connect_error(self._task)
            raise TimeoutError(f"Discord's gateway did not get ready within {READY_TIMEOUT_SECONDS:.0f} s.")
        log.info("Discord connected as %s", self.client.user)

    async def stop(self) -> None:
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._task


def _raise_connect_error(task: asyncio.Task[None]) -> None:
    error = task.exception()
    if isinstance(error, discord.PrivilegedIntentsRequired):
        raise RuntimeError(
            "DISCORD_MESSAGE_CONTENT=true, but the Message Content intent is not enabled for this application: "
            "switch it on under Bot → Privileged Gateway Intents in the Developer Portal, or unset the variable."
        ) from None
    if error is not None:
        raise error
