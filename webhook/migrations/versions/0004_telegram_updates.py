"""Telegram updates seen (attempts, poison) and events handled exactly once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_telegram_updates"),
    )
    op.create_index("ix_telegram_updates_updated_at", "telegram_updates", ["updated_at"])
    op.create_table(
        "handled_events",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name="pk_handled_events"),
    )
    op.create_index("ix_handled_events_at", "handled_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_handled_events_at", table_name="handled_events")
    op.drop_table("handled_events")
    op.drop_index("ix_telegram_updates_updated_at", table_name="telegram_updates")
    op.drop_table("telegram_updates")
