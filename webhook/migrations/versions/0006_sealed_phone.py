"""Call-back phone numbers are stored encrypted (``webhook.crypto``): too long for 32 chars.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch:
        batch.alter_column("phone", type_=sa.Text(), existing_type=sa.String(32))


def downgrade() -> None:
    with op.batch_alter_table("callback_requests") as batch:
        batch.alter_column("phone", type_=sa.String(32), existing_type=sa.Text())
