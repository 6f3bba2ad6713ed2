"""``weeraan serve --demo``: slots for the next 10 working days and a fresh staff login.

Each demo start revokes the previous ``demo`` member and prints a new token once, with the
dashboard's address, so whoever tries WeerAan can log in at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine

from webhook.booking.config import BookingConfig
from webhook.booking.schedule_job import seed_demo
from webhook.db import writer
from webhook.staff.members import add_staff, revoke_in

DEMO_NAME: Final = "demo"


@dataclass(frozen=True)
class DemoLogin:
    token: str
    slots_added: int


async def start_demo(engine: AsyncEngine, config: BookingConfig, *, now: datetime) -> DemoLogin:
    slots_added = await seed_demo(engine, config, now=now)
    async with writer(engine).begin() as connection:
        await revoke_in(connection, DEMO_NAME)
    new = await add_staff(engine, DEMO_NAME, now=now)
    return DemoLogin(new.token, slots_added)


def announce(login: DemoLogin, base_url: str, out: Callable[[str], None] = print) -> None:
    """Print the demo login once, on standard output (never through logging)."""
    base = base_url.rstrip("/")
    out(
        "\n".join(
            [
                "",
                "WeerAan demo: intake slots are open for the next 10 working days"
                f" ({login.slots_added} added now).",
                f"Staff dashboard: {base}/staff/login",
                f"Staff token for '{DEMO_NAME}' (shown once): {login.token}",
                "",
            ]
        )
    )
