"""Claims from the caseworkers' Telegram chat: who pressed *claim* (name and Telegram id).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("bookings", "callback_requests")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("claimed_name", sa.String(80), nullable=True))
            batch.add_column(sa.Column("claimed_telegram_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claimed_telegram_id")
            batch.drop_column("claimed_name")
