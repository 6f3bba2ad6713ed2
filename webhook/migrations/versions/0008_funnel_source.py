"""The funnel by source: the campaign label a conversation came with joins the cohort.

Rows counted before this are given their channel's name as the source (``telegram``,
``widget``): the default source of a conversation without a start parameter or link source.
The primary keys (which the counting upserts use) take the new column.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEYS = {
    "funnel_nodes": ("day", "node", "locale", "channel"),
    "funnel_outcomes": ("day", "outcome", "locale", "channel"),
}
TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "day": sa.Date(),
    "reached": sa.Integer(),
    "stopped": sa.Integer(),
    "finished": sa.Integer(),
}
COUNTERS = {"funnel_nodes": ("reached", "stopped"), "funnel_outcomes": ("finished",)}


def _table(name: str, *, source: bool) -> sa.TableClause:
    names = (*KEYS[name], *COUNTERS[name], *(("source",) if source else ()))
    return sa.table(name, *(sa.column(column, TYPES.get(column, sa.String())) for column in names))


def upgrade() -> None:
    for name, key in KEYS.items():
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("source", sa.String(64), nullable=True))
        table = _table(name, source=True)
        op.execute(table.update().values(source=table.c.channel))
        with op.batch_alter_table(name) as batch:
            batch.alter_column("source", existing_type=sa.String(64), nullable=False)
            batch.drop_constraint(f"pk_{name}", type_="primary")
            batch.create_primary_key(f"pk_{name}", [*key, "source"])


def downgrade() -> None:
    """Sums the counts of a cohort's sources back into one row per cohort."""
    for name, key in KEYS.items():
        table = _table(name, source=True)
        keys = [table.c[column] for column in key]
        sums = [sa.func.sum(table.c[c]).label(c) for c in COUNTERS[name]]
        summed = [
            dict(row._mapping)
            for row in op.get_bind().execute(sa.select(*keys, *sums).group_by(*keys))
        ]
        op.execute(table.delete())
        with op.batch_alter_table(name) as batch:
            batch.drop_constraint(f"pk_{name}", type_="primary")
            batch.drop_column("source")
            batch.create_primary_key(f"pk_{name}", list(key))
        if summed:
            op.bulk_insert(_table(name, source=False), summed)
