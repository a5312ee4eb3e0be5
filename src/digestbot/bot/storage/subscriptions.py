"""SQL subscriptions (the :class:`~digestbot.bot.subscriptions.SubscriptionStore` port)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.config import parse_time_of_day
from digestbot.bot.scheduling.subscriptions import WEEKDAYS, Subscription
from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.records import record_from_row, split_list
from digestbot.bot.storage.tables import SubscriptionRow


def _to_subscription(row: SubscriptionRow) -> Subscription:
    return record_from_row(
        Subscription,
        row,
        time=parse_time_of_day(row.time_of_day),
        weekdays=tuple(WEEKDAYS.index(day) for day in split_list(row.weekdays)),
        categories=split_list(row.categories),
        interests=split_list(row.interests, "\n"),
    )


class SqlSubscriptionStore:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, platform: str, channel_id: str) -> Subscription | None:
        with self._sessions() as session:
            row = session.get(SubscriptionRow, (platform, channel_id))
            return _to_subscription(row) if row is not None and row.active else None

    def active(self) -> list[Subscription]:
        query = (
            select(SubscriptionRow)
            .where(SubscriptionRow.active.is_(True))
            .order_by(SubscriptionRow.platform, SubscriptionRow.channel_id)
        )
        with self._sessions() as session:
            return [_to_subscription(row) for row in session.scalars(query)]

    def save(self, subscription: Subscription, *, origin: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(SubscriptionRow, (subscription.platform, subscription.channel_id))
            if row is None:
                row = SubscriptionRow(platform=subscription.platform, channel_id=subscription.channel_id)
                session.add(row)
            row.time_of_day = f"{subscription.time:%H:%M}"
            row.timezone = subscription.timezone
            row.weekdays = ",".join(WEEKDAYS[day] for day in subscription.weekdays)
            row.categories = ",".join(subscription.categories)
            row.language = subscription.language
            row.detail = subscription.detail
            row.interests = "\n".join(subscription.interests)
            row.active = True
            row.paused = subscription.paused
            row.paused_reason = subscription.paused_reason
            row.origin = origin
            row.updated_at = self._clock()

    def deactivate(self, platform: str, channel_id: str) -> bool:
        """Unsubscribe; the row stays so DIGEST_CHANNELS does not bring the channel back."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(SubscriptionRow)
                .where(
                    SubscriptionRow.platform == platform,
                    SubscriptionRow.channel_id == channel_id,
                    SubscriptionRow.active.is_(True),
                )
                .values(active=False, updated_at=self._clock())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def pause(self, platform: str, channel_id: str, reason: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(SubscriptionRow)
                .where(SubscriptionRow.platform == platform, SubscriptionRow.channel_id == channel_id)
                .values(paused=True, paused_reason=reason[:500], updated_at=self._clock())
            )

    def seed(self, subscriptions: Sequence[Subscription]) -> list[str]:
        """Insert the environment's channels that have no row; retire env rows no longer listed.

        A channel changed or unsubscribed in chat keeps its own row, so the environment never
        overrides what a channel's members decided.
        """
        wanted = {(s.platform, s.channel_id): s for s in subscriptions}
        added: list[str] = []
        with self._sessions.begin() as session:
            for row in session.scalars(select(SubscriptionRow).where(SubscriptionRow.origin == "env")):
                if (row.platform, row.channel_id) not in wanted and row.active:
                    row.active = False
                    row.updated_at = self._clock()
        for key, subscription in wanted.items():
            with self._sessions() as session:
                exists = session.get(SubscriptionRow, key) is not None
            if not exists:
                self.save(subscription, origin="env")
                added.append(subscription.channel_key)
        return added
