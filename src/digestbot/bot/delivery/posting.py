"""Posting one reply or digest: send the parent, link its thread, send the rest into it.

Every place that posts a digest or a paper — the daily delivery, a slash command on Slack or
Discord, the console — goes through :func:`post_thread`, so the order, the thread and the link
that makes questions in the thread answerable are decided here once. The platform supplies
only how one message is sent (:data:`SendPart`); delivery adds its exactly-once ledger through
:class:`PartLedger`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from digestbot.bot.commands.replies import DigestReply, PaperReply
from digestbot.bot.ports import OutgoingMessage, ThreadLink, ThreadLinks
from digestbot.summarizer.io_pools import db_call

SendPart = Callable[[int, OutgoingMessage, str | None], Awaitable[str]]
"""Send message number ``index`` (0 is the parent) into ``thread_id`` (None: the channel itself);
return the platform's message id."""


class PartLedger(Protocol):
    """What delivery records around each send so a crash never posts a part twice."""

    async def recorded(self, index: int) -> bool:
        """True when the part was sent and recorded before: skip it."""
        ...

    async def found(self, index: int, message: OutgoingMessage, parent_id: str | None) -> str | None:
        """The id of a part whose earlier send has an unknown outcome, if the platform has it."""
        ...

    async def before_send(self, index: int, *, sent_now: int) -> None:
        """Pace and commit the intent to send (may raise to stop)."""
        ...

    async def after_send(self, index: int, message_id: str) -> None: ...


class NoLedger:
    """Interactive answers: nothing to resume, nothing to record."""

    async def recorded(self, index: int) -> bool:
        return False

    async def found(self, index: int, message: OutgoingMessage, parent_id: str | None) -> str | None:
        return None

    async def before_send(self, index: int, *, sent_now: int) -> None:
        return None

    async def after_send(self, index: int, message_id: str) -> None:
        return None


@dataclass(frozen=True)
class Posted:
    parent_id: str | None
    sent_now: int


async def post_thread(
    messages: Sequence[OutgoingMessage],
    *,
    send: SendPart,
    on_parent: Callable[[str], Awaitable[None]],
    ledger: PartLedger | None = None,
    parent_id: str | None = None,
) -> Posted:
    """The parent first, then the rest in the parent's thread; ``on_parent`` runs as soon as the
    parent exists (it links the thread), so a question asked while the rest is still going out
    is already answered. ``parent_id`` is the parent's id when an earlier attempt sent it."""
    ledger = ledger or NoLedger()
    sent_now = 0
    for index, message in enumerate(messages):
        if await ledger.recorded(index):
            continue
        message_id = await ledger.found(index, message, parent_id)
        if message_id is None:
            await ledger.before_send(index, sent_now=sent_now)
            message_id = await send(index, message, None if index == 0 else parent_id)
            sent_now += 1
        await ledger.after_send(index, message_id)
        if index == 0:
            parent_id = message_id
            await on_parent(parent_id)
    return Posted(parent_id, sent_now)


def thread_link(
    reply: DigestReply | PaperReply, *, platform: str, channel_id: str, thread_id: str, language: str
) -> ThreadLink:
    """What a reply's thread is about: a digest's papers in the digest's own language, or one
    paper in the bot's ``language`` (a paper summary has none of its own)."""
    if isinstance(reply, DigestReply):
        digest = reply.digest
        ids = tuple(paper.arxiv_id for paper in digest.papers)
        return ThreadLink(platform, channel_id, thread_id, digest.date, digest.language, ids)
    return ThreadLink(platform, channel_id, thread_id, None, language, (reply.paper.arxiv_id,))


def linker(threads: ThreadLinks, link: Callable[[str], ThreadLink]) -> Callable[[str], Awaitable[None]]:
    """An ``on_parent`` that records ``link(parent_id)``."""

    async def on_parent(parent_id: str) -> None:
        await db_call(threads.link, link(parent_id))

    return on_parent
