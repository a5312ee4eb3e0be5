"""The schema, as SQLAlchemy 2 declarative classes; migrations/ creates exactly this.

Repositories (one small module each) translate rows to the bot's own types, so nothing
outside ``storage/`` sees a row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, on every back end.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC text (which also compares correctly) and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    pass


class SubscriptionRow(Base):
    """A channel's daily post. ``active`` is False after ``unsubscribe`` (the row stays, so a
    channel seeded from DIGEST_CHANNELS is not re-subscribed at the next start)."""

    __tablename__ = "subscriptions"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    time_of_day: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    weekdays: Mapped[str] = mapped_column(String(32))
    categories: Mapped[str] = mapped_column(String(512), default="")
    language: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(8), default="brief", server_default="brief")
    # Interest phrases, one a line (a phrase never holds a newline or a comma).
    interests: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DigestRow(Base):
    """A built digest as JSON, one per (announcement date, language, source)."""

    __tablename__ = "digests"

    digest_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(512), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    built_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class BuildLeaseRow(Base):
    """Who is building a digest right now, across instances (``bot/storage/leases.py``)."""

    __tablename__ = "build_leases"

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    lease_until: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DeliveryRow(Base):
    """The intent to post one digest to one channel; see ``bot/delivery/service.py`` for the states."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("platform", "channel_id", "digest_date", name="uq_delivery_channel_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(128))
    digest_date: Mapped[dt.date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(16))
    categories: Mapped[str] = mapped_column(String(512), default="")
    detail: Mapped[str] = mapped_column(String(8), default="brief", server_default="brief")
    # One interest per line, as the subscription stores them.
    interests: Mapped[str] = mapped_column(Text, default="", server_default="")
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class DeliveryPartRow(Base):
    """One message of a delivery: ``sending`` before the request, ``sent`` with its id after."""

    __tablename__ = "delivery_parts"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    part_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ThreadLinkRow(Base):
    __tablename__ = "thread_links"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    thread_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest_date: Mapped[dt.date | None] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(16))
    arxiv_ids: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SeenEventRow(Base):
    __tablename__ = "seen_events"
    __table_args__ = (Index("ix_seen_events_seen_at", "seen_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LlmCacheRow(Base):
    __tablename__ = "llm_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LlmUsageRow(Base):
    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_day_stage", "day", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[dt.date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(128))
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    cached_tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
