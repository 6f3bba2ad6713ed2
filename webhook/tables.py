"""The database schema as SQLAlchemy Core tables (migrations in ``webhook/migrations``)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

conversations = Table(
    "conversations",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("external_id", String(64), primary_key=True),
    Column("state", Text, nullable=False),
    Column("node", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("ended", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)

widget_sessions = Table(
    "widget_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

callback_requests = Table(
    "callback_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("phone", String(32), nullable=False),
    Column("part_of_day", String(16), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("outcome", String(32)),
    Column("reasons", Text, nullable=False, default=""),
    Column("rule_version", String(32)),
    Column("locale", String(8), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_callback_requests_resident", "channel", "external_id"),
)
