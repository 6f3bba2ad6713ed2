"""The database schema as SQLAlchemy Core tables (migrations in ``webhook/migrations``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    Column("phone", Text, nullable=False),
    Column("part_of_day", String(16), nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("outcome", String(32)),
    Column("reasons", Text, nullable=False, default=""),
    Column("rule_version", String(32)),
    Column("locale", String(8), nullable=False),
    Column("status", String(16), nullable=False, default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("situation", String(16)),
    Column("energy", String(16)),
    Column("supplier", String(16)),
    Column("claimed_by", Integer, ForeignKey("staff.id")),
    Column("claimed_at", DateTime(timezone=True)),
    Column("claimed_name", String(80)),
    Column("claimed_telegram_id", BigInteger),
    Index("ix_callback_requests_resident", "channel", "external_id"),
)

slots = Table(
    "slots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False, default=0),
    Column("closed", Boolean, nullable=False, default=False),
    Column("source", String(16), nullable=False, default="schedule"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("starts_at", "mode", name="uq_slots_starts_at_mode"),
    CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("slot_id", Integer, ForeignKey("slots.id"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("email", Text),
    Column("locale", String(8), nullable=False),
    Column("outcome", String(32)),
    Column("urgent", Boolean, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("rule_version", String(32)),
    Column("situation", String(16)),
    Column("energy", String(16)),
    Column("supplier", String(16)),
    Column("sequence", Integer, nullable=False, default=0),
    Column("claimed_by", Integer, ForeignKey("staff.id")),
    Column("claimed_at", DateTime(timezone=True)),
    Column("claimed_name", String(80)),
    Column("claimed_telegram_id", BigInteger),
    Column("reminder_sent_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(
        "uq_bookings_one_active_per_resident",
        "channel",
        "external_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("event", String(32), nullable=False),
    Column("target", String(24), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)

staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff_id", Integer, ForeignKey("staff.id")),
    Column("action", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

telegram_updates = Table(
    "telegram_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)

handled_events = Table(
    "handled_events",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

# The funnel (``dialogs.funnel``): anonymous counters per cohort (the local day a
# conversation started, its language, channel and source: a campaign label such as a
# poster's, else the channel's name); no link to a resident, never purged.
# The row of node "@started" counts new conversations (``dialogs.funnel.STARTED``).
funnel_nodes = Table(
    "funnel_nodes",
    metadata,
    Column("day", Date, primary_key=True),
    Column("node", String(64), primary_key=True),
    Column("locale", String(8), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("reached", Integer, nullable=False, default=0),
    Column("stopped", Integer, nullable=False, default=0),
)

funnel_outcomes = Table(
    "funnel_outcomes",
    metadata,
    Column("day", Date, primary_key=True),
    Column("outcome", String(32), primary_key=True),
    Column("locale", String(8), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("source", String(64), primary_key=True),
    Column("finished", Integer, nullable=False, default=0),
)
