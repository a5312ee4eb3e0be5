"""The question service's tables: search index (SQLite FTS5 or PostgreSQL tsvector), full-text cache, thread turns.

Revision ID: 0002_search_index
Revises: 0001_initial
Create Date: 2026-06-30

The DDL is dialect-specific (an FTS5 virtual table and triggers on SQLite, a generated tsvector
column and a GIN index on PostgreSQL), so it lives beside the code that queries it:
:func:`digestbot.bot.search_index.ensure_schema`, which is idempotent.
"""

from __future__ import annotations

from alembic import op

from digestbot.bot.search_index import drop_schema, ensure_schema

revision = "0002_search_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ensure_schema(op.get_bind())


def downgrade() -> None:
    drop_schema(op.get_bind())
