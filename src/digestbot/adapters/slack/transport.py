"""Posting to Slack over the Web API: :class:`SlackTransport` implements ``bot.ports.Transport``.

Two clients, because Slack offers no idempotency key: calls that are safe to repeat (reads,
uploads) retry connection errors, 429 (after ``Retry-After``) and 500/503, but
``chat.postMessage`` retries only 429 — a post whose answer was lost may have happened, so it
is reported as a non-permanent :class:`TransportError` and delivery asks :meth:`find_sent`
before posting again. Every post carries its idempotency key as message metadata for that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from digestbot.adapters.slack.blocks import context
from digestbot.adapters.slack.brief import PENDING_FILE
from digestbot.adapters.slack.limits import LIMITS, POST_BURST, POSTS_PER_SECOND, SlackLimits
from digestbot.adapters.slack.mrkdwn import escape
from digestbot.bot.ports import OutgoingMessage, TransportError
from digestbot.summarizer.bounded import CHANNELS_KEPT, BoundedMap
from digestbot.summarizer.phrases import phrase

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "digest_part"
# Errors after which retrying cannot help: the channel or the installation is gone.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
    }
)
NETWORK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError)
# find_sent looks this far back for thread parents (replies are not in channel history) and
# for the key itself, which also absorbs clock skew between this host and Slack.
LOOKBACK = dt.timedelta(days=1)
HISTORY_PAGE_SIZE = 200
HISTORY_PAGES = 10
RATE_LIMIT_RETRIES = 3
IMAGE_PROCESSING_WAIT = 3.0
"""Seconds to wait before posting a chart's image block again: Slack answers ``invalid_blocks``
while a just-uploaded file is still being processed, which usually takes a second or two."""


class BlocksRefused(TransportError):
    """Slack answered ``invalid_blocks``: nothing was posted, so posting again is safe."""


def build_clients(*, token: str, base_url: str) -> tuple[AsyncWebClient, AsyncWebClient]:
    """(client for everything but posting, client for ``chat.postMessage``)."""
    safe = AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    posting = AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )
    return safe, posting


class Pacer:
    """About one post per second per channel, with short bursts (Slack's ``chat.postMessage``
    tier); a generic cell-rate algorithm, so concurrent posters queue fairly without locks."""

    def __init__(
        self,
        *,
        rate: float = POSTS_PER_SECOND,
        burst: int = POST_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._interval = 1.0 / rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        # Per channel; a channel quiet for an hour has no reservation left worth keeping.
        self._next_slot: BoundedMap[str, float] = BoundedMap(max_items=CHANNELS_KEPT, ttl_seconds=3600.0, clock=clock)

    async def wait(self, channel_id: str) -> None:
        now = self._clock()
        slot = max(self._next_slot.get(channel_id, now), now)
        self._next_slot[channel_id] = slot + self._interval  # reserved before sleeping
        delay = slot - now - (self._burst - 1) * self._interval
        if delay > 0:
            await self._sleep(delay)


class SlackTransport:
    platform = "slack"
    # Delivery need not space parts itself: the pacer here sees every post to a channel —
    # scheduled digests, command answers and thread replies alike.
    min_send_interval = 0.0

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        post_client: AsyncWebClient,
        pacer: Pacer | None = None,
        limits: SlackLimits = LIMITS,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.post_client = post_client
        self.pacer = pacer or Pacer()
        self.limits = limits
        self._sleep = sleep

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        """Post once. A chart shown inside the message (the brief parent) is uploaded first and
        named by its file id; any other file goes into the message's thread afterwards. A failed
        upload is reported in words — the text is never held back by the picture."""
        metadata = {"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": idempotency_key}}
        if message.attachment is not None and _pending_image(message.payload):
            return await self._send_with_image(channel_id, message, thread_id=thread_id, metadata=metadata)
        ts = await self._post(channel_id, message, thread_id=thread_id, metadata=metadata)
        if message.attachment is not None:
            await self._attach(channel_id, message, thread_ts=thread_id or ts)
        return ts

    async def _send_with_image(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, metadata: dict[str, Any]
    ) -> str:
        """Post a message that shows its chart in an image block. Slack refuses the block
        (``invalid_blocks``) while the upload is still being processed: it is posted again after
        :data:`IMAGE_PROCESSING_WAIT`, and if Slack still refuses, the message goes out without the
        image and the chart follows in its thread — the message itself is never lost."""
        assert message.attachment is not None
        shown = await self._with_uploaded_image(channel_id, message)
        for attempt in range(2):
            try:
                return await self._post(channel_id, shown, thread_id=thread_id, metadata=metadata)
            except BlocksRefused:
                if not _shows_uploaded_image(shown.payload):
                    raise  # the image is not what Slack refused
                if attempt == 0:
                    await self._sleep(IMAGE_PROCESSING_WAIT)
        log.warning("Slack refused the chart's image block in %s twice; posting the chart in the thread.", channel_id)
        blocks = [block for block in shown.payload["blocks"] if block.get("type") != "image"]
        plain = OutgoingMessage(shown.text, {**shown.payload, "blocks": blocks}, None)
        ts = await self._post(channel_id, plain, thread_id=thread_id, metadata=metadata)
        await self._attach(channel_id, message, thread_ts=thread_id or ts)
        return ts

    async def _with_uploaded_image(self, channel_id: str, message: OutgoingMessage) -> OutgoingMessage:
        """The message with its image block naming the uploaded file (shared to no channel: the
        block shows it), or with a note in its place when Slack refused the upload."""
        assert message.attachment is not None
        filename, content = message.attachment
        try:
            response = await self.client.files_upload_v2(
                filename=filename,
                content=content,
                title=phrase("chart.file_title", message.language),
                alt_txt=phrase("chart.file_alt", message.language),
            )
            file_id = str(response["files"][0]["id"])
            replacement: dict[str, Any] | None = None
        except NETWORK_ERRORS as error:
            reason = _error_code(error)
            log.warning("Chart upload for Slack channel %s failed (%s); posting the note instead.", channel_id, reason)
            file_id, replacement = "", context(escape(phrase("chart.unavailable", message.language, reason=reason)))
        blocks = []
        for block in message.payload["blocks"]:
            if block.get("type") == "image" and block.get("slack_file", {}).get("id") == PENDING_FILE:
                block = replacement or {**block, "slack_file": {"id": file_id}}
            blocks.append(block)
        return OutgoingMessage(message.text, {**message.payload, "blocks": blocks}, None)

    async def ensure_attachment(
        self, channel_id: str, message: OutgoingMessage, *, message_id: str, thread_id: str | None
    ) -> None:
        """Upload the chart of a message that delivery found already posted after a crash: the
        upload follows the post, so a crash between them left the message without it. (A crash
        during the upload itself may show the chart twice, which beats never.)"""
        if message.attachment is not None and not _pending_image(message.payload):
            await self._attach(channel_id, message, thread_ts=thread_id or message_id)

    async def close(self) -> None:
        """Nothing to release: the Web API clients open an HTTP session per call."""

    async def find_sent(
        self, channel_id: str, idempotency_key: str, *, since: dt.datetime, thread_id: str | None = None
    ) -> str | None:
        """The ``ts`` of our message carrying ``idempotency_key``, posted after ``since``.

        Thread replies are not in ``conversations.history``: with ``thread_id`` that thread is
        read; without it, the threads of our recent digest parents that got replies after
        ``since``.
        """
        oldest = since.timestamp()
        window = f"{oldest - LOOKBACK.total_seconds():.6f}"
        try:
            if thread_id is not None:
                return await self._find(idempotency_key, self._thread(channel_id, thread_id, window))
            parents: list[str] = []
            async for message in self._history(channel_id, window):
                if _key_of(message) == idempotency_key:
                    return str(message["ts"])
                if _key_of(message) is not None and float(message.get("latest_reply") or 0) > oldest:
                    parents.append(str(message["ts"]))
            for parent in parents:
                found = await self._find(idempotency_key, self._thread(channel_id, parent, window))
                if found is not None:
                    return found
            return None
        except NETWORK_ERRORS as error:
            raise _failure("conversations.history", channel_id, error) from None

    async def _post(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, metadata: dict[str, Any] | None
    ) -> str:
        await self.pacer.wait(channel_id)
        try:
            response = await self.post_client.chat_postMessage(
                channel=channel_id,
                text=message.text,
                thread_ts=thread_id,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
                **message.payload,
            )
        except NETWORK_ERRORS as error:
            raise _failure("chat.postMessage", channel_id, error) from None
        return str(response["ts"])

    async def _attach(self, channel_id: str, message: OutgoingMessage, *, thread_ts: str) -> None:
        """Share the message's file in its thread: the chart, or the brief post's full digest; when
        Slack refuses, a note in the message's language says so and where else to look."""
        assert message.attachment is not None
        filename, content = message.attachment
        chart = filename.endswith(".png")
        described = (
            {
                "title": phrase("chart.file_title", message.language),
                "alt_txt": phrase("chart.file_alt", message.language),
            }
            if chart
            else {"title": filename}
        )
        try:
            await self.client.files_upload_v2(
                channel=channel_id, thread_ts=thread_ts, filename=filename, content=content, **described
            )
        except NETWORK_ERRORS as error:
            reason = _error_code(error)
            log.warning(
                "Upload of %s to Slack channel %s failed (%s); posting a note instead.", filename, channel_id, reason
            )
            unavailable = phrase(
                "chart.unavailable" if chart else "brief.file_unavailable", message.language, reason=reason
            )
            note = OutgoingMessage(text=unavailable, payload={})
            try:
                await self._post(channel_id, note, thread_id=thread_ts, metadata=None)
            except TransportError as failure:
                log.warning("Could not post the chart note either: %s", failure)

    async def _history(self, channel_id: str, oldest: str) -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = await self.client.conversations_history(
                channel=channel_id, oldest=oldest, limit=HISTORY_PAGE_SIZE, cursor=cursor, include_all_metadata=True
            )
            for message in response.get("messages") or []:
                yield message
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return

    async def _thread(self, channel_id: str, parent_ts: str, oldest: str) -> AsyncIterator[dict[str, Any]]:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = await self.client.conversations_replies(
                channel=channel_id,
                ts=parent_ts,
                oldest=oldest,
                limit=HISTORY_PAGE_SIZE,
                cursor=cursor,
                include_all_metadata=True,
            )
            for message in response.get("messages") or []:
                yield message
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return

    @staticmethod
    async def _find(key: str, messages: AsyncIterator[dict[str, Any]]) -> str | None:
        async for message in messages:
            if _key_of(message) == key:
                return str(message["ts"])
        return None


def _pending_image(payload: dict[str, Any]) -> bool:
    return any(
        block.get("type") == "image" and block.get("slack_file", {}).get("id") == PENDING_FILE
        for block in payload.get("blocks") or []
    )


def _shows_uploaded_image(payload: dict[str, Any]) -> bool:
    return any(block.get("type") == "image" and "slack_file" in block for block in payload.get("blocks") or [])


def _key_of(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT_TYPE:
        return None
    key = (metadata.get("event_payload") or {}).get("key")
    return str(key) if key is not None else None


def _error_code(error: BaseException) -> str:
    """Slack's error code, or the exception's kind; never its message (it may quote a URL)."""
    if isinstance(error, SlackApiError):
        data = error.response.data if isinstance(error.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {error.response.status_code}")
    return type(error).__name__


def _failure(method: str, channel_id: str, error: BaseException) -> TransportError:
    code = _error_code(error)
    if code == "invalid_blocks":
        return BlocksRefused(f"Slack refused the blocks of {method} in {channel_id}: {code}.")
    if code in PERMANENT_ERRORS:
        return TransportError(f"Slack refused {method} in {channel_id}: {code}.", permanent=True)
    if method == "chat.postMessage" and not isinstance(error, SlackApiError):
        return TransportError(f"{method} to {channel_id} failed ({code}); it may or may not have been posted.")
    return TransportError(f"{method} in {channel_id} failed: {code}.")
