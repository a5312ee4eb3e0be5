"""A subscription's post detail (brief or full) and its interests (phrases that raise papers).

Revision ID: 0003_subscription_preferences
Revises: 0002_search_index
Create Date: 2026-11-29

Existing subscriptions get the brief post and no interests, the defaults of a new one.
(Revision ids must fit alembic_version's 32 characters.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_subscription_preferences"
down_revision = "0002_search_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.add_column(sa.Column("detail", sa.String(8), nullable=False, server_default="brief"))
        table.add_column(sa.Column("interests", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as table:
        table.drop_column("interests")
        table.drop_column("detail")
