"""Delivering a handler's reply to a deferred interaction.

The deferral left a "thinking…" message; the first follow-up replaces it. A digest asked for in a
channel is posted like the daily one: the parent (chart, counts) as the follow-up, then a thread
from it with one or more messages per category, sent by the transport (the thread id is the
parent's id, and it is linked so replies in it are follow-up questions). Inside a thread, in a
DM, or where the bot may not create threads, the parts follow as follow-ups instead.

Interaction tokens expire after 15 minutes; a reply that took longer (a first build with a slow
model) is posted to the channel by the transport instead of being lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import discord

from digestbot.adapters.discord.outgoing import send_kwargs
from digestbot.adapters.discord.render import render_digest, render_reply
from digestbot.adapters.discord.transport import DiscordTransport
from digestbot.bot.handlers import Conversation
from digestbot.bot.ports import OutgoingMessage, ThreadLink, ThreadLinks, TransportError
from digestbot.bot.replies import DigestReply, PaperReply, Reply, TextReply

log = logging.getLogger(__name__)


class InteractionReplies:
    """Posts replies for the command tree; ``language`` is recorded on the thread links it makes."""

    def __init__(self, *, transport: DiscordTransport, threads: ThreadLinks, language: str) -> None:
        self.transport = transport
        self.threads = threads
        self.language = language

    async def send(
        self, interaction: discord.Interaction, reply: Reply, conversation: Conversation, *, ephemeral: bool
    ) -> None:
        """``ephemeral``: how the interaction was deferred (the "thinking" message's visibility)."""
        if isinstance(reply, TextReply) and reply.ephemeral and not ephemeral:
            # A public deferral cannot turn private: remove it, then answer only the asker.
            await interaction.delete_original_response()
            ephemeral = True
        if isinstance(reply, DigestReply) and not ephemeral:
            await self._digest(interaction, reply, conversation)
            return
        sent = await self._post(interaction, render_reply(reply), conversation, ephemeral=ephemeral)
        if isinstance(reply, PaperReply) and sent is not None and not ephemeral:
            # Anyone may open a thread on this message; its id will be the message's id.
            self._link(conversation, thread_id=sent, digest_date=None, arxiv_ids=(reply.paper.arxiv_id,))

    async def _digest(self, interaction: discord.Interaction, reply: DigestReply, conversation: Conversation) -> None:
        parent, *parts = render_digest(reply.digest, reply.chart_png)
        parent_id = await self._post(interaction, [parent], conversation, ephemeral=False)
        if parent_id is None:
            return
        thread_id = conversation.thread_id
        if thread_id is None and interaction.guild_id is not None:
            parts = await self._into_thread(interaction, parts, conversation, parent_id=parent_id)
            thread_id = parent_id
        await self._post(interaction, parts, conversation, ephemeral=False)
        ids = tuple(paper.arxiv_id for paper in reply.digest.papers)
        self._link(conversation, thread_id=thread_id or parent_id, digest_date=reply.digest.date, arxiv_ids=ids)

    async def _into_thread(
        self,
        interaction: discord.Interaction,
        parts: Sequence[OutgoingMessage],
        conversation: Conversation,
        *,
        parent_id: str,
    ) -> list[OutgoingMessage]:
        """Send ``parts`` into a thread on the parent; returns the parts that could not be sent there."""
        for number, part in enumerate(parts, start=1):
            try:
                await self.transport.send(
                    conversation.channel_id,
                    part,
                    thread_id=parent_id,
                    idempotency_key=f"discord:interaction:{interaction.id}:{number}",
                )
            except TransportError as error:
                log.warning(
                    "could not post into a thread in %s (%s); following up instead", conversation.channel_id, error
                )
                return list(parts[number - 1 :])
        return []

    async def _post(
        self,
        interaction: discord.Interaction,
        messages: Sequence[OutgoingMessage],
        conversation: Conversation,
        *,
        ephemeral: bool,
    ) -> str | None:
        """Send ``messages`` as follow-ups (or, once the token expired, to the channel); the first one's id."""
        first: str | None = None
        for number, message in enumerate(messages):
            if interaction.is_expired():
                if ephemeral:
                    log.warning("interaction %s expired before its private reply was ready", interaction.id)
                    return first
                sent_id = await self.transport.send(
                    conversation.channel_id,
                    message,
                    thread_id=conversation.thread_id,
                    idempotency_key=f"discord:interaction:{interaction.id}:late:{number}",
                )
            else:
                sent = await interaction.followup.send(**send_kwargs(message), ephemeral=ephemeral, wait=True)
                sent_id = str(sent.id)
            first = first or sent_id
        return first

    def _link(
        self, conversation: Conversation, *, thread_id: str, digest_date: dt.date | None, arxiv_ids: tuple[str, ...]
    ) -> None:
        link = ThreadLink(
            platform="discord",
            channel_id=conversation.channel_id,
            thread_id=thread_id,
            digest_date=digest_date,
            language=self.language,
            arxiv_ids=arxiv_ids,
        )
        self.threads.link(link)
