"""Build leases: one instance builds a (date, language, source) digest while the others wait.

Revision ID: 0004_build_leases
Revises: 0003_subscription_preferences
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_build_leases"
down_revision = "0003_subscription_preferences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "build_leases",
        sa.Column("key", sa.String(600), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("build_leases")
