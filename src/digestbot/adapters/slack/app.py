"""The Bolt app: ``/digest`` commands and follow-up questions in digest threads.

Slack wants every request acknowledged within 3 seconds, and re-delivers what it thinks was
not. So each listener acknowledges first (a short "working on it" for slow commands), then
does the work in a tracked background task; events are de-duplicated on ``event_id`` (the async
Socket Mode adapter drops Slack's retry headers) and on the message itself, because one thread
message that mentions the bot arrives twice, as ``message`` and as ``app_mention``. Slash
commands are de-duplicated on ``trigger_id`` the same way, so a signed request replayed within
its five minutes is acknowledged but answered only once.

Where answers go: digests and paper summaries are posted with ``chat.postMessage`` (their
thread is linked to the papers, so questions asked there are answered); answers to
``/digest ask`` and confirmations go through ``response_url`` in the channel (Slack shows the
command above them); errors, search results and the category list only to the asker.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from digestbot.adapters.slack.mrkdwn import escape, unescape
from digestbot.adapters.slack.render import render_reply
from digestbot.adapters.slack.transport import NETWORK_ERRORS, SlackTransport
from digestbot.bot.commands.grammar import (
    ADMIN_COMMANDS,
    AskCommand,
    Command,
    CommandError,
    DigestCommand,
    PaperCommand,
    SearchCommand,
)
from digestbot.bot.commands.handlers import Conversation
from digestbot.bot.commands.replies import DigestReply, PaperReply, PostedReply, Reply, TextReply
from digestbot.bot.delivery.posting import linker, post_thread, thread_link
from digestbot.bot.limits import Refusal, Ticket
from digestbot.bot.ports import BotServices, OutgoingMessage, ThreadLink, TransportError
from digestbot.summarizer.io_pools import db_call

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLOW_COMMANDS = (DigestCommand, PaperCommand, AskCommand, SearchCommand)
WORKING = "Working on it…"
FAILED = "Sorry, something went wrong on my side; please try again in a minute."
CANNOT_POST = "{error} Invite me with `/invite @Paper Digest`, or use /digest in a channel I'm in."
MENTION_HINT = "Ask me in the thread of a digest and I'll answer from its papers; `/digest help` lists the commands."
TOO_MANY_PARTS = "The rest did not fit into Slack's five responses; please narrow the request."


class SlackBot:
    """The ``AsyncApp`` with our listeners; one per process, shared by both connection modes."""

    def __init__(
        self, *, services: BotServices, transport: SlackTransport, client: AsyncWebClient, signing_secret: str
    ) -> None:
        self.services = services
        self.transport = transport
        self.client = client
        # Always verify signatures: an empty secret (Socket Mode) rejects any HTTP request,
        # while Socket Mode envelopes skip verification by design.
        self.app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=False)
        self.app.command("/digest")(self.on_command)
        self.app.event("message")(self.on_message)
        self.app.event("app_mention")(self.on_mention)
        self._tasks: set[asyncio.Task[None]] = set()

    async def drain(self, timeout: float = 30.0) -> None:
        """Let answers in flight finish (graceful shutdown), up to ``timeout`` seconds."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # -- listeners -----------------------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        """Acknowledge from memory alone: nothing before ``ack`` waits on the database, so a
        database locked for seconds delays the answer, never the ack (Bolt gives up after 3 s
        and Slack shows the user ``operation_timeout``). Replays are recognised after the ack."""
        try:
            parsed = self.services.handler.parse(unescape(command.get("text") or ""))
        except CommandError as error:
            await ack(text=escape(str(error)), response_type="ephemeral")
            return
        ticket = self.services.gate.admit(
            user_key=f"{PLATFORM}:{command['user_id']}",
            channel_key=f"{PLATFORM}:{command['channel_id']}",
            command=parsed,
        )
        if isinstance(ticket, Refusal):
            await ack(text=escape(ticket.text), response_type="ephemeral")
            return
        if isinstance(parsed, SLOW_COMMANDS):
            await ack(text=WORKING, response_type="ephemeral")
        else:
            await ack()
        self._spawn(self._answer_command(parsed, command, respond=respond, ticket=ticket))

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if not _is_thread_question(event, context.bot_user_id):
            return
        if await self._digest_thread(event) is not None:
            await self._take_question(body, event, context.bot_user_id)

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if _is_thread_question(event, context.bot_user_id) and await self._digest_thread(event) is not None:
            await self._take_question(body, event, context.bot_user_id)
        elif await self._first_time(body, event, kind="hint"):
            self._spawn(self._hint(event))

    # -- commands ------------------------------------------------------------------------------

    async def _answer_command(
        self, command: Command, payload: dict[str, Any], *, respond: AsyncRespond, ticket: Ticket
    ) -> None:
        """In the channel's queue; computing holds a global work slot, posting (paced) does not.

        A replay of a signed request (Slack gives every invocation its own ``trigger_id``) was
        acknowledged like any command, and ends here, unanswered."""
        async with ticket:
            trigger_id = payload.get("trigger_id")
            if trigger_id and not await db_call(self.services.seen_events.first_time, f"slack:command:{trigger_id}"):
                return
            async with ticket.turn():
                await self._answer_in_turn(command, payload, respond=respond, ticket=ticket)

    async def _answer_in_turn(
        self, command: Command, payload: dict[str, Any], *, respond: AsyncRespond, ticket: Ticket
    ) -> None:
        try:
            channel_id, user_id = payload["channel_id"], payload["user_id"]
            async with ticket.working():
                can_manage = isinstance(command, ADMIN_COMMANDS) and await can_manage_channel(
                    self.client, user_id=user_id, channel_id=channel_id
                )
                conversation = Conversation(PLATFORM, channel_id, user_id, can_manage_channel=can_manage)
                reply = await self.services.handler.handle(command, conversation)
            if isinstance(reply, PostedReply):
                reply = TextReply(reply.text(await self._permalink(channel_id, reply.thread_id)), ephemeral=True)
            if isinstance(reply, DigestReply | PaperReply):
                await self._post_linked(reply, channel_id, key=f"slack:command:{payload.get('trigger_id')}")
            else:
                await self._respond(reply, respond)
        except TransportError as error:
            log.warning("Posting a /digest answer failed: %s", error)
            await _respond_safely(respond, CANNOT_POST.format(error=error) if error.permanent else FAILED)
        except Exception:
            log.exception("A /digest command failed")
            await _respond_safely(respond, FAILED)

    async def _post_linked(self, reply: DigestReply | PaperReply, channel_id: str, *, key: str) -> None:
        """Parent, then its thread, linked as soon as the parent exists (:func:`post_thread`)."""

        async def send(index: int, message: OutgoingMessage, thread_id: str | None) -> str:
            return await self.transport.send(channel_id, message, thread_id=thread_id, idempotency_key=f"{key}:{index}")

        def link(thread_id: str) -> ThreadLink:
            language = self.services.handler.language
            return thread_link(reply, platform=PLATFORM, channel_id=channel_id, thread_id=thread_id, language=language)

        messages = render_reply(reply, limits=self.transport.limits)
        await post_thread(messages, send=send, on_parent=linker(self.services.threads, link))

    async def _permalink(self, channel_id: str, message_ts: str) -> str | None:
        try:
            return str((await self.client.chat_getPermalink(channel=channel_id, message_ts=message_ts))["permalink"])
        except NETWORK_ERRORS as error:
            log.warning("chat.getPermalink in %s failed: %s", channel_id, type(error).__name__)
            return None

    async def _respond(self, reply: Reply, respond: AsyncRespond) -> None:
        private = reply.ephemeral
        messages = render_reply(reply, limits=self.transport.limits)
        uses = self.transport.limits.response_url_uses
        if len(messages) > uses:
            messages = messages[: uses - 1] + render_reply(TextReply(TOO_MANY_PARTS))
        for message in messages:
            await respond(
                text=message.text,
                blocks=message.payload.get("blocks"),
                response_type="ephemeral" if private else "in_channel",
            )

    # -- thread questions ----------------------------------------------------------------------

    async def _digest_thread(self, event: dict[str, Any]) -> ThreadLink | None:
        return await db_call(self.services.threads.lookup, PLATFORM, event["channel"], event["thread_ts"])

    async def _take_question(self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None) -> None:
        if await self._first_time(body, event, kind="message"):
            question = unescape(_without_mention(event.get("text") or "", bot_user_id)).strip()
            conversation = Conversation(PLATFORM, event["channel"], event["user"], thread_id=event["thread_ts"])
            self._spawn(self._answer_question(question, conversation, message_ts=event["ts"]))

    async def _first_time(self, body: dict[str, Any], event: dict[str, Any], *, kind: str) -> bool:
        """False for a re-delivered event, or for a message already handled via its twin event."""
        seen = self.services.seen_events
        event_id = body.get("event_id")
        if event_id is not None and not await db_call(seen.first_time, f"slack:event:{event_id}"):
            return False
        return await db_call(seen.first_time, f"slack:{kind}:{event['channel']}:{event['ts']}")

    async def _answer_question(self, question: str, conversation: Conversation, *, message_ts: str) -> None:
        channel_id, thread_id = conversation.channel_id, conversation.thread_id
        try:
            async with self.services.gate.working():
                reply = await self.services.handler.follow_up(question, conversation)
            if reply is None:
                return
            if isinstance(reply, TextReply) and reply.ephemeral:
                await self._ephemeral(channel_id, conversation.user_id, reply.text, thread_ts=thread_id)
                return
            key = f"slack:reply:{channel_id}:{message_ts}"
            for number, message in enumerate(render_reply(reply, limits=self.transport.limits)):
                await self.transport.send(channel_id, message, thread_id=thread_id, idempotency_key=f"{key}:{number}")
        except Exception:
            log.exception("Answering a question in a Slack thread failed")
            await self._ephemeral(channel_id, conversation.user_id, FAILED, thread_ts=thread_id)

    async def _hint(self, event: dict[str, Any]) -> None:
        thread_ts = event.get("thread_ts")
        await self._ephemeral(event["channel"], event.get("user", ""), MENTION_HINT, thread_ts=thread_ts)

    async def _ephemeral(self, channel_id: str, user_id: str, text: str, *, thread_ts: str | None) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=escape(text), thread_ts=thread_ts
            )
        except NETWORK_ERRORS as error:
            log.warning("chat.postEphemeral in %s failed: %s", channel_id, type(error).__name__)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Work after the ack; its bounds (queues, slots) are the gate's (``bot/limits.py``)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def can_manage_channel(client: AsyncWebClient, *, user_id: str, channel_id: str) -> bool:
    """Who may change a channel's subscription: workspace admins and owners, the channel's
    creator, and anyone in a direct message with the bot. Guests never. Slack's API does not
    expose channel managers to bots, so these are the rights the Web API can confirm."""
    if channel_id.startswith("D"):
        return True
    try:
        user = (await client.users_info(user=user_id))["user"]
        if user.get("is_restricted") or user.get("is_ultra_restricted"):
            return False
        if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
            return True
        channel = (await client.conversations_info(channel=channel_id))["channel"]
        return bool(channel.get("creator") == user_id)
    except NETWORK_ERRORS as error:
        log.warning("Could not check %s's rights in %s: %s", user_id, channel_id, type(error).__name__)
        return False


def _is_thread_question(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A person's message inside a thread; not ours, not another bot's, not an edit or join."""
    return (
        event.get("subtype") in (None, "thread_broadcast")
        and not event.get("bot_id")
        and event.get("user") not in (None, bot_user_id)
        and event.get("thread_ts") not in (None, event.get("ts"))
        and bool((event.get("text") or "").strip())
    )


def _without_mention(text: str, bot_user_id: str | None) -> str:
    return re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text) if bot_user_id else text


async def _respond_safely(respond: AsyncRespond, text: str) -> None:
    try:
        await respond(text=escape(text), response_type="ephemeral")
    except NETWORK_ERRORS as error:
        log.warning("response_url failed: %s", type(error).__name__)
