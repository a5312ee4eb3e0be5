"""The interfaces between the bot's use-cases and what plugs into them.

Adapters implement :class:`Transport`; storage implements :class:`ThreadLinks`; the
subscription and question services implement the two service ports the command handler
dispatches to. Keeping them here lets each side be written and tested alone, and keeps the
dependency arrow ``adapters -> bot``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from digestbot.bot.commands.replies import Reply
from digestbot.bot.config import PlatformSettings
from digestbot.bot.limits import CommandGate
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend

if TYPE_CHECKING:
    from aiohttp import web

    from digestbot.bot.commands.grammar import InterestsCommand, SubscribeCommand
    from digestbot.bot.commands.handlers import CommandHandler, Conversation
    from digestbot.bot.storage.deliveries import Delivery, DeliveryIntent, Part


@dataclass(frozen=True)
class OutgoingMessage:
    """One platform message, already rendered by an adapter (``payload`` is opaque to the bot).

    ``text`` is the plain-text fallback, also used in logs and by delivery bookkeeping;
    ``attachment`` carries a file (the chart) for the adapter to upload; ``language`` is the one
    the message is written in, for any words a transport adds to it (a chart it could not upload).
    """

    text: str
    payload: dict[str, Any]
    attachment: tuple[str, bytes] | None = None
    language: str = "en"


class DigestRenderer(Protocol):
    """A platform's layout of a digest and its chart as messages, parent first: deterministic for
    the same digest, so a resumed delivery sends the same parts (each adapter's ``render.py``;
    ``detail`` ``brief`` is the brief post of ``bot/layout/brief.py``, ``full`` the five-part one;
    ``trends`` are the categories whose share moved, for the brief parent's trend line)."""

    def __call__(
        self, digest: Digest, chart_png: bytes, *, detail: str = "full", trends: Sequence[CategoryTrend] = ()
    ) -> Sequence[OutgoingMessage]: ...


class TransportError(Exception):
    """A platform refused or failed a send. ``permanent``: retrying will not help (e.g. the
    bot was removed from the channel), so the subscription should be paused."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    """What the delivery service needs from a chat platform to post a digest exactly once.

    A digest is rendered (by the platform's :data:`DigestRenderer`, not here) into an ordered
    list of messages: the first is the parent (title, counts, chart), the rest are replies in the
    parent's thread. Delivery records each sent
    message's id, so after a crash it resumes at the first unsent index.
    """

    platform: str
    min_send_interval: float
    """Seconds delivery waits between a digest's parts: 0 for a transport that paces itself
    (every real one) or a test double; ``DEFAULT_PART_INTERVAL`` in ``bot.delivery`` otherwise."""

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        """Post one message; return the platform's message id (Slack ``ts``, Discord id).

        ``idempotency_key`` is stable per (channel, date, part): adapters attach it as a
        marker (Slack message metadata, Discord ``nonce``) so :meth:`find_sent` can find it.
        """
        ...

    async def find_sent(self, channel_id: str, idempotency_key: str, *, since: dt.datetime) -> str | None:
        """The id of a message carrying ``idempotency_key`` posted after ``since``, if any.

        Used only when a crash left it unknown whether a send happened.
        """
        ...

    async def ensure_attachment(
        self, channel_id: str, message: OutgoingMessage, *, message_id: str, thread_id: str | None
    ) -> None:
        """Make sure a message found after a crash carries its file: a transport that uploads the
        file after posting (Slack) finishes the upload; one that sends both at once does nothing."""
        ...

    async def close(self) -> None:
        """Release connections (``digestbot post`` calls it when done with a transport)."""
        ...


class DeliveryLedger(Protocol):
    """The delivery ledger (``bot/storage/deliveries.py``): one row per channel and digest date,
    one per message of it. The state machine and why it is exactly-once are in ``bot/delivery/service.py``."""

    def find(self, platform: str, channel_id: str, day: dt.date) -> Delivery | None: ...

    def ensure(self, intent: DeliveryIntent) -> Delivery:
        """The delivery's row, created on first use with what it will render."""
        ...

    def claim(
        self, delivery_id: int, *, holder: str, lease: dt.timedelta, holder_is_dead: Callable[[str], bool]
    ) -> Delivery | None:
        """Take the delivery for ``lease`` unless another live holder has it (None then)."""
        ...

    def parts(self, delivery_id: int) -> dict[int, Part]: ...

    def set_total(self, delivery_id: int, total: int) -> None: ...

    def start_part(
        self, delivery_id: int, index: int, *, idempotency_key: str, holder: str, lease: dt.timedelta
    ) -> None:
        """Record that a send is about to happen (raises ``LeaseLost`` if another holder took over)."""
        ...

    def renew(self, delivery_id: int, *, holder: str, lease: dt.timedelta) -> bool: ...

    def finish_part(self, delivery_id: int, index: int, message_id: str) -> None: ...

    def complete(self, delivery_id: int, holder: str) -> None: ...

    def release(self, delivery_id: int, holder: str, error: str) -> None: ...


@dataclass(frozen=True)
class Outlet:
    """A connected platform as delivery sees it: how it lays a digest out, and how it sends."""

    transport: Transport
    render_digest: DigestRenderer


@dataclass(frozen=True)
class ThreadLink:
    """Which digest (or single paper) a chat thread belongs to, for follow-up questions."""

    platform: str
    channel_id: str
    thread_id: str
    digest_date: dt.date | None
    language: str
    arxiv_ids: tuple[str, ...]


class ThreadLinks(Protocol):
    def link(self, link: ThreadLink) -> None: ...

    def lookup(self, platform: str, channel_id: str, thread_id: str) -> ThreadLink | None: ...

    def posted(self, platform: str, channel_id: str, day: dt.date) -> list[ThreadLink]:
        """The digest posts of ``day`` in a channel, oldest first (for "already posted: here")."""
        ...


class MemoryThreadLinks:
    """Thread links for one process (console, tests); ``digestbot run`` keeps them in the database."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str, str], ThreadLink] = {}

    def link(self, link: ThreadLink) -> None:
        self._links[(link.platform, link.channel_id, link.thread_id)] = link

    def lookup(self, platform: str, channel_id: str, thread_id: str) -> ThreadLink | None:
        return self._links.get((platform, channel_id, thread_id))

    def posted(self, platform: str, channel_id: str, day: dt.date) -> list[ThreadLink]:
        return [
            link
            for link in self._links.values()
            if (link.platform, link.channel_id, link.digest_date) == (platform, channel_id, day)
        ]


class SubscriptionCommands(Protocol):
    """``/digest subscribe|unsubscribe|settings|interests`` for one channel."""

    async def subscribe(self, command: SubscribeCommand, conversation: Conversation) -> Reply: ...

    async def interests(self, command: InterestsCommand, conversation: Conversation) -> Reply: ...

    async def unsubscribe(self, conversation: Conversation) -> Reply: ...

    async def settings(self, conversation: Conversation) -> Reply: ...

    def post_preferences(self, conversation: Conversation) -> tuple[str, tuple[str, ...]] | None:
        """The channel's (detail, interests) when it is subscribed: ``/digest`` posts like the schedule."""
        ...


class QuestionCommands(Protocol):
    """Questions about papers and search over stored digests."""

    async def ask_paper(self, arxiv_id: str, question: str, conversation: Conversation) -> Reply: ...

    async def ask_in_thread(self, question: str, link: ThreadLink, conversation: Conversation) -> Reply: ...

    async def search(self, words: str, conversation: Conversation) -> Reply: ...


class SeenEvents(Protocol):
    """Inbound de-duplication: platforms re-deliver events they think were not acknowledged."""

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` (e.g. ``slack:event:Ev123``) is seen, False afterwards."""
        ...


class MemorySeenEvents:
    def __init__(self) -> None:
        self._seen: set[str] = set()

    def first_time(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


@dataclass(frozen=True)
class BotServices:
    """Everything an adapter may call; built once by the composition root."""

    handler: CommandHandler
    threads: ThreadLinks
    seen_events: SeenEvents
    gate: CommandGate = field(default_factory=CommandGate)


class ChatAdapter(Protocol):
    """A connected platform inside ``digestbot run``.

    Each adapter package describes how to build one in its :class:`ChatPlatform`; the
    composition root loads it by platform name so ``bot/`` never imports a platform library.
    """

    platform: str

    @property
    def transport(self) -> Transport:
        """What delivery sends this platform's posts through (read-only: a narrower type fits)."""
        ...

    def install_routes(self, app: web.Application) -> None:
        """Add HTTP routes to the bot's web server (Slack HTTP mode); most adapters add none."""
        ...

    async def start(self) -> None:
        """Connect and serve; returns once connected (serving continues in the background)."""
        ...

    async def stop(self) -> None:
        """Disconnect gracefully, letting a message in flight finish."""
        ...


_S = TypeVar("_S", bound=PlatformSettings)


@dataclass(frozen=True)
class ChatPlatform(Generic[_S]):
    """An adapter package's descriptor, its module attribute ``PLATFORM``.

    The composition root finds it by the package's name, reads ``settings`` (the platform's own
    variables) and, when they are set, builds the adapter for ``digestbot run`` or a transport
    alone (Web API / REST) for ``digestbot post``. Nothing else names a platform.
    """

    name: str
    settings: type[_S]
    create_adapter: Callable[[_S, BotServices], ChatAdapter]
    create_transport: Callable[[_S], Transport]
    render_digest: DigestRenderer
