"""The post detail (brief or full) and interests a delivery was begun with.

Revision ID: 0005_delivery_preferences
Revises: 0004_build_leases
Create Date: 2026-11-29

A delivery resumed after a crash must render exactly the messages its first attempt did, and
``digestbot post --detail/--interests`` can differ from the channel's subscription: the ledger
row keeps what was used, as it keeps the language and categories. Existing rows get the brief
post and no interests, what every delivery before this revision used unless subscribed otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_delivery_preferences"
down_revision = "0004_build_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("detail", sa.String(8), nullable=False, server_default="brief"))
        table.add_column(sa.Column("interests", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as table:
        table.drop_column("interests")
        table.drop_column("detail")
