"""Exactly-once delivery of a digest to a channel, per (channel, digest date).

Neither Slack nor Discord offers a durable idempotency key (Discord's ``nonce`` lasts minutes),
so the guarantee comes from our database, with the platform consulted only where a crash
leaves a send's outcome unknown. The state machine:

``deliveries`` row (UNIQUE platform, channel_id, digest_date)::

    (absent) --ensure--> pending --claim--> sending --all parts sent--> done
                                    ^          | failure / shutdown
                                    +-- failed <+   (a permanent failure also pauses the subscription)

``delivery_parts`` row per rendered message::

    (absent) --start_part (committed BEFORE the request)--> sending --finish_part--> sent (+ message id)

Why it holds:

- *Never twice.* A part is marked ``sending`` before the request and ``sent`` with the
  platform's id after. On resume, ``sent`` parts are skipped; a part left ``sending`` (crash or
  timeout between request and commit: outcome unknown) is looked up on the platform with
  ``transport.find_sent(key, since=start)`` before it is sent again. The key is deterministic
  per (channel, date, part index) and travels with the message (Slack metadata, Discord nonce).
- *Never two senders.* Claiming is one conditional UPDATE (``status in (pending, failed)`` or
  lease expired, or holder provably dead), which exactly one instance wins on PostgreSQL and
  on SQLite alike; we chose this over ``SELECT … FOR UPDATE SKIP LOCKED`` because it needs no
  long transaction (the lock would be held across network calls) and works the same on SQLite.
  Every ``start_part`` renews the lease and re-checks the holder in the same transaction (a
  fence), so an instance that stalled past its lease cannot start another send.
- *Never lost.* A delivery that failed, was interrupted or crashed stays not ``done``; the
  scheduler's catch-up check (or a repeated ``digestbot post``) resumes it at the first unsent
  part, with the replies threaded under the parent's recorded id.
- *Restarts are immediate.* A SIGKILLed holder's lease would block others for ``lease``;
  a holder on this host whose process is gone (or whose pid is now ours) is known dead, so a
  restarted bot resumes at once. Holders on other hosts or containers wait for the lease.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path

from digestbot.bot.delivery.posting import post_thread
from digestbot.bot.digests import DigestService
from digestbot.bot.ports import (
    DeliveryLedger,
    OutgoingMessage,
    Outlet,
    ThreadLink,
    ThreadLinks,
    Transport,
    TransportError,
)
from digestbot.bot.scheduling.subscriptions import SubscriptionStore
from digestbot.bot.shared_builds import renewing
from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.deliveries import SENT, Delivery, DeliveryIntent, LeaseLost, Part
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.models import Digest, Note
from digestbot.summarizer.ranking import ranked_for

log = logging.getLogger(__name__)

DEFAULT_LEASE = dt.timedelta(seconds=60)
"""How long a holder that stopped sending keeps a delivery. Every message renews it (about one
per second), so only a dead or stalled holder lets it run out; then another instance resumes."""
DEFAULT_PART_INTERVAL = 1.0
"""Seconds between two messages of one delivery: Slack allows about one message per second per
channel (``chat.postMessage``), Discord five per five seconds; the adapters pace and retry
too, but a delivery never bursts a channel even with an adapter that does not. A transport may
declare it as its ``min_send_interval`` unless it paces itself."""
FIND_SENT_SLACK = dt.timedelta(minutes=2)
"""How far before our own ``started_at`` to look for a message: our clock and the platform's may differ."""


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_POSTED = "already posted"
    BUSY = "being posted by another instance"
    FAILED = "failed"
    INTERRUPTED = "interrupted by shutdown"


class _Stopping(Exception):
    """Raised between two messages once :meth:`DeliveryService.stop` was called."""


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    channel_key: str
    digest_date: dt.date | None
    parts_sent: int = 0
    parts_total: int = 0
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.channel_key} {self.digest_date or 'latest'}: {self.outcome.value}"
        if self.outcome is Outcome.SENT:
            text += f" ({self.parts_sent} of {self.parts_total} messages sent now)"
        return f"{text} — {self.detail}" if self.detail else text


class _Ledger:
    """The :class:`~digestbot.bot.posting.PartLedger` of one delivery: the ``delivery_parts``
    rows that make resuming it after a crash send each part exactly once."""

    def __init__(
        self, service: DeliveryService, delivery: Delivery, transport: Transport, parts: dict[int, Part], holder: str
    ) -> None:
        self.service, self.delivery, self.transport = service, delivery, transport
        self.parts, self.holder = parts, holder
        self.sent_now = 0
        self._found: set[int] = set()

    def _key(self, index: int) -> str:
        return idempotency_key(self.delivery.platform, self.delivery.channel_id, self.delivery.digest_date, index)

    async def recorded(self, index: int) -> bool:
        part = self.parts.get(index)
        return part is not None and part.status == SENT

    async def found(self, index: int, message: OutgoingMessage, parent_id: str | None) -> str | None:
        """A send whose outcome is unknown: look before sending again. A message found after a
        crash may lack the file its send was still uploading (Slack uploads the chart after the
        post); the transport finishes it."""
        part = self.parts.get(index)
        if part is None:
            return None
        channel_id = self.delivery.channel_id
        message_id = await self.transport.find_sent(
            channel_id, self._key(index), since=part.started_at - FIND_SENT_SLACK
        )
        if message_id:
            self._found.add(index)
            log.info("%s part %d was already sent (found %s)", self.delivery.channel_key, index, message_id)
            if message.attachment is not None:
                await self.transport.ensure_attachment(channel_id, message, message_id=message_id, thread_id=parent_id)
        return message_id

    async def before_send(self, index: int, *, sent_now: int) -> None:
        if self.service._stopping:
            raise _Stopping
        if sent_now:
            await self.service.sleep(self.transport.min_send_interval)
        await db_call(
            self.service.deliveries.start_part,
            self.delivery.id,
            index,
            idempotency_key=self._key(index),
            holder=self.holder,
            lease=self.service.lease,
        )

    async def after_send(self, index: int, message_id: str) -> None:
        if index not in self._found:
            self.sent_now += 1
        await db_call(self.service.deliveries.finish_part, self.delivery.id, index, message_id)


def idempotency_key(platform: str, channel_id: str, day: dt.date, index: int) -> str:
    """Deterministic per (channel, date, part) and at most 23 characters (Discord's nonce allows 25)."""
    channel = hashlib.sha256(f"{platform}:{channel_id}".encode()).hexdigest()[:10]
    return f"{day:%Y%m%d}-{index}-{channel}"


@dataclass(frozen=True)
class Holder:
    """Who holds a claim: process id and a per-process token, plus the host scope in which the
    pid is meaningful (kernel boot id and pid namespace, so containers never confuse pids)."""

    scope: str | None
    pid: int
    token: str

    @classmethod
    def current(cls) -> Holder:
        return cls(scope=_pid_scope(), pid=os.getpid(), token=secrets.token_hex(6))

    def encode(self) -> str:
        return f"{self.scope or '-'}|{self.pid}|{self.token}|{socket.gethostname()[:60]}"

    def knows_dead(self, encoded: str) -> bool:
        """True only when ``encoded`` names a process of our own pid scope that no longer runs."""
        scope, pid, token = [*encoded.split("|"), "", "", ""][:3]
        if self.scope is None or scope != self.scope or not pid.isdigit():
            return False
        if int(pid) == self.pid:
            return token != self.token
        return not _alive(int(pid))


def _pid_scope() -> str | None:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child nobody has reaped yet is a zombie: dead, though kill(0) succeeds
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(kw_only=True, eq=False)
class DeliveryService:
    """Posts a stored digest to one channel, exactly once; the transports come from the adapters.

    ``holder`` names this process in the ledger's leases (pid scope, pid and a token), so a
    survivor can tell a dead holder from a busy one; ``sleep`` is injectable for the lease-retry tests.
    """

    deliveries: DeliveryLedger
    digests: DigestService
    threads: ThreadLinks
    outlet_for: Callable[[str], Outlet]
    subscriptions: SubscriptionStore | None = None
    clock: Clock = utc_now
    holder: Holder = field(default_factory=Holder.current)
    lease: dt.timedelta = DEFAULT_LEASE
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _stopping: bool = field(default=False, init=False)

    def stop(self) -> None:
        """Finish the message in flight, start no other (graceful shutdown); resumed at the next start."""
        self._stopping = True

    async def deliver(
        self,
        platform: str,
        channel_id: str,
        *,
        day: dt.date | None,
        language: str,
        categories: tuple[str, ...] = (),
        note: Note | str | None = None,
        interests: tuple[str, ...] = (),
        detail: str = "brief",
    ) -> DeliveryResult:
        """Post ``day``'s digest (``None``: the source's latest) unless it already was, as a
        ``brief`` or ``full`` post (``detail``); the channel's ``interests`` re-rank its papers
        (one digest serves every channel).

        Source errors (no announcement, arXiv down) propagate before any intent is recorded.
        """
        try:
            outlet = self.outlet_for(platform)
        except TransportError as error:
            return DeliveryResult(Outcome.FAILED, f"{platform}:{channel_id}", day, detail=str(error))
        if day is not None:
            known = await db_call(self.deliveries.find, platform, channel_id, day)
            if known is not None:
                if known.status == "done":
                    return DeliveryResult(Outcome.ALREADY_POSTED, known.channel_key, day)
                language, categories, note = known.language, known.categories, known.note
        digest = await self.digests.digest(day, language=language)
        intent = DeliveryIntent(platform, channel_id, digest.date, language, categories, note, detail, interests)
        row = await db_call(self.deliveries.ensure, intent)
        if row.language != digest.language:  # resuming a delivery begun in another language
            digest = await self.digests.digest(row.digest_date, language=row.language)
        claimed = await db_call(
            self.deliveries.claim,
            row.id,
            holder=self.holder.encode(),
            lease=self.lease,
            holder_is_dead=self.holder.knows_dead,
        )
        if claimed is None:
            current = await db_call(self.deliveries.find, platform, channel_id, digest.date)
            outcome = Outcome.ALREADY_POSTED if current and current.status == "done" else Outcome.BUSY
            return DeliveryResult(outcome, row.channel_key, digest.date)
        if claimed.interests:  # the row's, like its language: a resumed post renders the same
            ranks = await run_cpu_bound(ranked_for, digest, claimed.interests)
            digest = digest.model_copy(update={"ranks": ranks})
        renew = partial(self.deliveries.renew, claimed.id, holder=self.holder.encode(), lease=self.lease)
        async with renewing(renew, lease=self.lease, what=f"the delivery to {claimed.channel_key}"):
            return await self._send_all(claimed, digest, outlet, detail=claimed.detail)

    async def _send_all(self, delivery: Delivery, digest: Digest, outlet: Outlet, *, detail: str) -> DeliveryResult:
        holder = self.holder.encode()
        view = self._view(delivery, digest)
        transport = outlet.transport
        chart = await self.digests.chart_png(view)
        trends = await db_call(self.digests.trends, view)
        messages = list(outlet.render_digest(view, chart, detail=detail, trends=trends))
        await db_call(self.deliveries.set_total, delivery.id, len(messages))
        parts = await db_call(self.deliveries.parts, delivery.id)
        parent_id = parts[0].message_id if 0 in parts and parts[0].status == SENT else None
        ledger = _Ledger(self, delivery, transport, parts, holder)

        async def send(index: int, message: OutgoingMessage, thread_id: str | None) -> str:
            key = idempotency_key(delivery.platform, delivery.channel_id, delivery.digest_date, index)
            return await transport.send(delivery.channel_id, message, thread_id=thread_id, idempotency_key=key)

        async def link(parent: str) -> None:
            await db_call(self._link, delivery, view, parent)

        result = partial(DeliveryResult, channel_key=delivery.channel_key, digest_date=delivery.digest_date)
        try:
            posted = await post_thread(messages, send=send, on_parent=link, ledger=ledger, parent_id=parent_id)
        except _Stopping:
            await db_call(self.deliveries.release, delivery.id, holder, Outcome.INTERRUPTED.value)
            return result(Outcome.INTERRUPTED, parts_sent=ledger.sent_now, parts_total=len(messages))
        except LeaseLost as error:
            log.warning("%s: %s", delivery.channel_key, error)
            return result(Outcome.BUSY, parts_sent=ledger.sent_now, parts_total=len(messages))
        except TransportError as error:
            await db_call(self.deliveries.release, delivery.id, holder, str(error))
            if error.permanent:
                await db_call(self._pause, delivery, str(error))
            return result(Outcome.FAILED, parts_sent=ledger.sent_now, parts_total=len(messages), detail=str(error))
        except BaseException as error:  # also cancellation at shutdown: give the claim back at once
            await db_call(self.deliveries.release, delivery.id, holder, type(error).__name__)
            raise
        if posted.parent_id is not None:  # again, in case a crash fell between the parent and its link
            await link(posted.parent_id)
        await db_call(self.deliveries.complete, delivery.id, holder)
        log.info("posted %s digest %s (%d messages)", delivery.channel_key, delivery.digest_date, len(messages))
        return result(Outcome.SENT, parts_sent=posted.sent_now, parts_total=len(messages))

    def _view(self, delivery: Delivery, digest: Digest) -> Digest:
        """The channel's share of the digest: its categories, plus the note (e.g. posted late)."""
        view = digest.only(list(delivery.categories)) if delivery.categories else digest
        if delivery.note:
            view = view.model_copy(update={"notes": [*view.notes, delivery.note]})
        return view

    def _link(self, delivery: Delivery, view: Digest, parent_id: str) -> None:
        self.threads.link(
            ThreadLink(
                platform=delivery.platform,
                channel_id=delivery.channel_id,
                thread_id=parent_id,
                digest_date=delivery.digest_date,
                language=delivery.language,
                arxiv_ids=tuple(paper.arxiv_id for paper in view.papers),
            )
        )

    def _pause(self, delivery: Delivery, reason: str) -> None:
        log.warning("pausing the subscription of %s: %s", delivery.channel_key, reason)
        if self.subscriptions is not None:
            self.subscriptions.pause(delivery.platform, delivery.channel_id, reason)
