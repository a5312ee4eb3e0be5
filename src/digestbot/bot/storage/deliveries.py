"""The delivery ledger: one row per (channel, digest date), one row per message of it.

Every state change is one short transaction that commits before the network is touched, so
the database always says at least as much as the platform has seen. The state machine and
why it is exactly-once are described in ``bot/delivery/service.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import upsert
from digestbot.bot.storage.records import record_from_row, row_values, split_list
from digestbot.bot.storage.tables import DeliveryPartRow, DeliveryRow
from digestbot.summarizer.models import Note, dump_note, load_note

PENDING, SENDING, DONE, FAILED = "pending", "sending", "done", "failed"
SENT = "sent"


class LeaseLost(RuntimeError):
    """Another instance took the delivery over (our lease expired); stop without sending."""


@dataclass(frozen=True)
class Part:
    index: int
    idempotency_key: str
    status: str  # "sending" (outcome unknown) or "sent"
    message_id: str | None
    started_at: dt.datetime


@dataclass(frozen=True)
class DeliveryIntent:
    """What a delivery will post, recorded before anything is sent: a resumed delivery renders
    from these, not from whatever the channel's subscription says by then."""

    platform: str
    channel_id: str
    digest_date: dt.date
    language: str
    categories: tuple[str, ...] = ()
    note: Note | str | None = None
    detail: str = "brief"
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivery:
    id: int
    platform: str
    channel_id: str
    digest_date: dt.date
    language: str
    categories: tuple[str, ...]
    note: Note | str | None
    status: str
    detail: str
    interests: tuple[str, ...]
    claimed_by: str | None
    lease_until: dt.datetime | None
    attempts: int
    parts_total: int | None
    error: str | None
    finished_at: dt.datetime | None

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel_id}"


def _to_delivery(row: DeliveryRow) -> Delivery:
    note = load_note(row.note) if row.note is not None else None
    interests = split_list(row.interests, "\n")
    return record_from_row(Delivery, row, categories=split_list(row.categories), note=note, interests=interests)


class SqlDeliveries:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def find(self, platform: str, channel_id: str, day: dt.date) -> Delivery | None:
        query = select(DeliveryRow).where(
            DeliveryRow.platform == platform, DeliveryRow.channel_id == channel_id, DeliveryRow.digest_date == day
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return _to_delivery(row) if row is not None else None

    def ensure(self, intent: DeliveryIntent) -> Delivery:
        """Record the intent (insert if absent). An existing row keeps its own language, filter,
        note, detail and interests, so a resumed delivery renders exactly the messages the first
        attempt did (``digestbot post --detail`` may differ from the channel's subscription)."""
        values = row_values(
            intent,
            categories=",".join(intent.categories),
            interests="\n".join(intent.interests),
            note=dump_note(intent.note) if intent.note is not None else None,
            status=PENDING,
            attempts=0,
            created_at=self._clock(),
        )
        with self._sessions.begin() as session:
            upsert(session, DeliveryRow, values, keys=("platform", "channel_id", "digest_date"))
        found = self.find(intent.platform, intent.channel_id, intent.digest_date)
        assert found is not None
        return found

    def claim(
        self, delivery_id: int, *, holder: str, lease: dt.timedelta, holder_is_dead: Callable[[str], bool]
    ) -> Delivery | None:
        """Take the delivery if nobody holds it; None if it is done or another live instance has it.

        One conditional UPDATE decides: PostgreSQL locks the row for the first updater and
        re-checks the condition for the second after the first commits (READ COMMITTED), and
        SQLite runs one writer at a time — either way exactly one claimant sees ``rowcount == 1``.
        A holder whose lease ran out, or that provably died on this host, loses its claim.
        """
        now = self._clock()
        current = self._get(delivery_id)
        if current.status == DONE:
            return None
        claimable = or_(
            DeliveryRow.status.in_((PENDING, FAILED)),
            DeliveryRow.lease_until < now,
        )
        if current.status == SENDING and current.claimed_by and holder_is_dead(current.claimed_by):
            claimable = or_(claimable, DeliveryRow.claimed_by == current.claimed_by)
        with self._sessions.begin() as session:
            result = session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.status != DONE, claimable)
                .values(
                    status=SENDING,
                    claimed_by=holder,
                    lease_until=now + lease,
                    attempts=DeliveryRow.attempts + 1,
                    error=None,
                )
            )
            won = bool(result.rowcount)  # type: ignore[attr-defined]
        return self._get(delivery_id) if won else None

    def parts(self, delivery_id: int) -> dict[int, Part]:
        query = select(DeliveryPartRow).where(DeliveryPartRow.delivery_id == delivery_id)
        with self._sessions() as session:
            return {row.part_index: record_from_row(Part, row, index=row.part_index) for row in session.scalars(query)}

    def set_total(self, delivery_id: int, total: int) -> None:
        with self._sessions.begin() as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(parts_total=total))

    def start_part(
        self, delivery_id: int, index: int, *, idempotency_key: str, holder: str, lease: dt.timedelta
    ) -> None:
        """Mark a message as about to be sent, renewing our lease — or raise :class:`LeaseLost`.

        Checking the holder in the same transaction is the fence: an instance whose lease
        expired (it stalled) cannot start a send after another instance took over.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.claimed_by == holder, DeliveryRow.status == SENDING)
                .values(lease_until=now + lease)
            )
            if not renewed.rowcount:  # type: ignore[attr-defined]
                raise LeaseLost(f"delivery {delivery_id} was taken over by another instance")
            values = {
                "delivery_id": delivery_id,
                "part_index": index,
                "idempotency_key": idempotency_key,
                "status": SENDING,
                "started_at": now,
            }
            upsert(session, DeliveryPartRow, values, keys=("delivery_id", "part_index"), update=("started_at",))

    def renew(self, delivery_id: int, *, holder: str, lease: dt.timedelta) -> bool:
        """Extend our lease while a slow send is in flight; False if another instance has taken over."""
        with self._sessions.begin() as session:
            renewed = session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.claimed_by == holder, DeliveryRow.status == SENDING)
                .values(lease_until=self._clock() + lease)
            )
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def finish_part(self, delivery_id: int, index: int, message_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(DeliveryPartRow)
                .where(DeliveryPartRow.delivery_id == delivery_id, DeliveryPartRow.part_index == index)
                .values(status=SENT, message_id=message_id, sent_at=self._clock())
            )

    def complete(self, delivery_id: int, holder: str) -> None:
        self._finish(delivery_id, holder, status=DONE, error=None)

    def release(self, delivery_id: int, holder: str, error: str) -> None:
        """Give the claim back after a failure, so a later attempt (any instance) may retry at once."""
        self._finish(delivery_id, holder, status=FAILED, error=error[:1000])

    def _finish(self, delivery_id: int, holder: str, *, status: str, error: str | None) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.claimed_by == holder)
                .values(
                    status=status,
                    error=error,
                    lease_until=None,
                    finished_at=self._clock() if status == DONE else None,
                )
            )

    def _get(self, delivery_id: int) -> Delivery:
        with self._sessions() as session:
            row = session.get(DeliveryRow, delivery_id)
            assert row is not None
            return _to_delivery(row)
