"""Alembic environment: runs on the connection handed over by ``webhook.migrate``."""

from __future__ import annotations

from alembic import context

from webhook.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `weeraan db upgrade` (webhook.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
