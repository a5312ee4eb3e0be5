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

import logging

import discord

from digestbot.adapters.discord.outgoing import send_kwargs
from digestbot.adapters.discord.render import render_reply
from digestbot.adapters.discord.transport import DiscordTransport
from digestbot.bot.commands.handlers import Conversation
from digestbot.bot.commands.replies import DigestReply, PaperReply, PostedReply, Reply, TextReply
from digestbot.bot.delivery.posting import linker, post_thread, thread_link
from digestbot.bot.ports import OutgoingMessage, ThreadLink, ThreadLinks, TransportError

log = logging.getLogger(__name__)


class InteractionReplies:
    """Posts replies for the command tree; ``language`` (the bot's) is recorded on a paper's thread link."""

    def __init__(self, *, transport: DiscordTransport, threads: ThreadLinks, language: str) -> None:
        self.transport = transport
        self.threads = threads
        self.language = language

    async def send(
        self, interaction: discord.Interaction, reply: Reply, conversation: Conversation, *, ephemeral: bool
    ) -> None:
        """``ephemeral``: how the interaction was deferred (the "thinking" message's visibility)."""
        if isinstance(reply, PostedReply):
            link = jump_url(interaction.guild_id, conversation.channel_id, reply.thread_id)
            reply = TextReply(reply.text(link), ephemeral=True)
        if reply.ephemeral and not ephemeral:
            # A public deferral cannot turn private: remove it, then answer only the asker.
            await interaction.delete_original_response()
            ephemeral = True
        if isinstance(reply, DigestReply | PaperReply) and not ephemeral:
            await self._linked(interaction, reply, conversation)
            return
        for number, message in enumerate(render_reply(reply)):
            await self.follow_up(interaction, number, message, conversation, ephemeral=ephemeral)

    async def _linked(
        self, interaction: discord.Interaction, reply: DigestReply | PaperReply, conversation: Conversation
    ) -> None:
        """The parent as the follow-up; a digest's other parts in a thread started from it (in a
        server channel), else as more follow-ups. The thread is linked once the parent exists."""
        into_thread = isinstance(reply, DigestReply) and conversation.thread_id is None and interaction.guild_id
        sender = _Sender(self, interaction, conversation, into_thread=bool(into_thread))

        def link(parent_id: str) -> ThreadLink:
            thread_id, channel_id = conversation.thread_id or parent_id, conversation.channel_id
            return thread_link(
                reply, platform="discord", channel_id=channel_id, thread_id=thread_id, language=self.language
            )

        messages = render_reply(reply)
        await post_thread(messages, send=sender.send, on_parent=linker(self.threads, link))

    async def follow_up(
        self,
        interaction: discord.Interaction,
        number: int,
        message: OutgoingMessage,
        conversation: Conversation,
        *,
        ephemeral: bool,
    ) -> str | None:
        """One follow-up (or, once the token expired, a message in the channel); its id."""
        if not interaction.is_expired():
            sent = await interaction.followup.send(**send_kwargs(message), ephemeral=ephemeral, wait=True)
            return str(sent.id)
        if ephemeral:
            log.warning("interaction %s expired before its private reply was ready", interaction.id)
            return None
        return await self.transport.send(
            conversation.channel_id,
            message,
            thread_id=conversation.thread_id,
            idempotency_key=f"discord:interaction:{interaction.id}:late:{number}",
        )


class _Sender:
    """How one public reply's parts go out: the parent as the interaction's follow-up, the rest
    into the parent's thread, falling back to follow-ups where the bot may not post there."""

    def __init__(
        self,
        replies: InteractionReplies,
        interaction: discord.Interaction,
        conversation: Conversation,
        *,
        into_thread: bool,
    ) -> None:
        self.replies, self.interaction, self.conversation = replies, interaction, conversation
        self.into_thread = into_thread

    async def send(self, index: int, message: OutgoingMessage, thread_id: str | None) -> str:
        if index > 0 and self.into_thread and thread_id is not None:
            try:
                return await self.replies.transport.send(
                    self.conversation.channel_id,
                    message,
                    thread_id=thread_id,
                    idempotency_key=f"discord:interaction:{self.interaction.id}:{index}",
                )
            except TransportError as error:
                log.warning(
                    "could not post into a thread in %s (%s); following up instead", self.conversation.channel_id, error
                )
                self.into_thread = False
        sent = await self.replies.follow_up(self.interaction, index, message, self.conversation, ephemeral=False)
        if sent is None:  # only a private follow-up is ever dropped
            raise TransportError(f"interaction {self.interaction.id} expired")
        return sent


def jump_url(guild_id: int | None, channel_id: str, message_id: str) -> str:
    """The link Discord's clients open at a message (``@me`` stands for a DM), as ``Message.jump_url``."""
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"
