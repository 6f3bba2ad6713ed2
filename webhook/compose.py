"""Building the conversation backend from settings: database, migrations, tree, service.

Shared by the web app's lifespan and the terminal chat, so both speak the same conversation
from the same database.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.engine import Engine
from dialogs.i18n import Catalogs
from dialogs.loader import load_tree
from dialogs.service import Clock, ConversationService, utc_now
from webhook.booking.config import BookingConfig
from webhook.booking.schedule_job import ensure_slots
from webhook.crypto import Vault, check_keys
from webhook.db import create_engine, is_sqlite
from webhook.migrate import is_current, upgrade
from webhook.settings import Settings
from webhook.store import SqlConversationStore

log = logging.getLogger(__name__)


class SchemaNotCurrent(RuntimeError):
    """PostgreSQL is not migrated to the code's schema: run ``weeraan db upgrade``."""


@dataclass(frozen=True)
class Backend:
    db: AsyncEngine
    store: SqlConversationStore
    service: ConversationService
    config: BookingConfig


def build_service(
    settings: Settings, store: SqlConversationStore, clock: Clock = utc_now
) -> ConversationService:
    tree = load_tree(settings.tree_dir)
    engine = Engine(tree, settings.languages)
    catalogs = Catalogs(settings.locales_dir, settings.languages)
    missing = [
        code for code in settings.languages if code != "nl" and not catalogs.has_catalog(code)
    ]
    if missing:
        log.warning("no compiled catalog for %s: these languages show Dutch (run make)", missing)
    return ConversationService(engine, store, catalogs, clock)


@asynccontextmanager
async def open_backend(settings: Settings, clock: Clock = utc_now) -> AsyncIterator[Backend]:
    """Open the database (migrating SQLite), build the service; dispose on exit.

    The encryption keys come first: without them (PostgreSQL without ``WEERAAN_KEYS``) or
    with keys that do not fit the stored data, nothing starts."""
    vault = Vault.configured(settings.key_list, settings.database_url)
    db = create_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade(db)
        elif not await is_current(db):
            raise SchemaNotCurrent("the database schema is not current: run `weeraan db upgrade`")
        await check_keys(db, vault)
        config = BookingConfig.from_settings(settings, vault)
        await ensure_slots(db, config, now=clock())
        store = SqlConversationStore(db, config)
        yield Backend(db, store, build_service(settings, store, clock), config)
    finally:
        await db.dispose()
