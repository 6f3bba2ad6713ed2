"""The funnel: anonymous counters per node and per outcome (day, language, channel).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _key_columns() -> list[sa.Column[Any]]:
    """The cohort: the local day a conversation started, its language and channel."""
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "funnel_nodes",
        *_key_columns(),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("stopped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "node", "locale", "channel", name="pk_funnel_nodes"),
    )
    op.create_table(
        "funnel_outcomes",
        *_key_columns(),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "outcome", "locale", "channel", name="pk_funnel_outcomes"),
    )


def downgrade() -> None:
    op.drop_table("funnel_outcomes")
    op.drop_table("funnel_nodes")
