"""The initial schema: subscriptions, digests, deliveries, thread links, seen events, LLM cache and ledger.

Revision ID: 0001_initial
Revises:
Create Date: 2026-06-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    _subscriptions()
    _digests()
    _deliveries()
    _thread_links()
    _seen_events()
    _llm_cache_and_usage()


def _subscriptions() -> None:
    """When and what each channel is sent."""
    op.create_table(
        "subscriptions",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("time_of_day", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekdays", sa.String(32), nullable=False),
        sa.Column("categories", sa.String(512), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
    )


def _digests() -> None:
    """Built digests, one per (day, language, source), so a restart never rebuilds one."""
    op.create_table(
        "digests",
        sa.Column("digest_date", sa.Date(), primary_key=True),
        sa.Column("language", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(512), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("built_at", _utc(), nullable=False),
    )


def _deliveries() -> None:
    """The delivery ledger and its messages: what exactly-once posting is checked against."""
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("digest_date", sa.Date(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("categories", sa.String(512), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_total", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.UniqueConstraint("platform", "channel_id", "digest_date", name="uq_delivery_channel_date"),
    )
    op.create_table(
        "delivery_parts",
        sa.Column("delivery_id", sa.Integer(), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("part_index", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("sent_at", _utc(), nullable=True),
    )


def _thread_links() -> None:
    """Which digest a chat thread belongs to, for follow-up questions."""
    op.create_table(
        "thread_links",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("thread_id", sa.String(128), primary_key=True),
        sa.Column("digest_date", sa.Date(), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("arxiv_ids", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )


def _seen_events() -> None:
    """Platform event and trigger ids already handled (retries are dropped)."""
    op.create_table(
        "seen_events",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("seen_at", _utc(), nullable=False),
    )
    op.create_index("ix_seen_events_seen_at", "seen_events", ["seen_at"])


def _llm_cache_and_usage() -> None:
    """Model replies by prompt, and every call's tokens and cost for the daily budget."""
    op.create_table(
        "llm_cache",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_index("ix_llm_usage_day_stage", "llm_usage", ["day", "stage"])


def downgrade() -> None:
    op.drop_index("ix_llm_usage_day_stage", table_name="llm_usage")
    op.drop_table("llm_usage")
    op.drop_table("llm_cache")
    op.drop_index("ix_seen_events_seen_at", table_name="seen_events")
    op.drop_table("seen_events")
    op.drop_table("thread_links")
    op.drop_table("delivery_parts")
    op.drop_table("deliveries")
    op.drop_table("digests")
    op.drop_table("subscriptions")
