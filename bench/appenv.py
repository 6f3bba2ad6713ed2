"""Settings of ``weeraan serve`` under benchmark, as environment variables.

Outgoing Telegram limits are lifted (rate 0 = none): the Bot API here is a local fake, and
the limits exist for Telegram's sake. The widget's per-IP limit is lifted too: every
simulated resident comes from 127.0.0.1. Slots take many intakes each, so that thousands of
residents can book. Everything else is as in production.
"""

from __future__ import annotations

TOKEN = "123456:bench-token"  # noqa: S105 - the local fake Bot API's token
SECRET = "bench-secret"  # noqa: S105 - a benchmark-only webhook secret
STAFF_CHAT = "-100123"
LIFTED = (
    "outgoing Telegram send limits lifted (local fake Bot API); "
    "widget per-IP and per-session limits lifted (all load comes from 127.0.0.1); "
    "slot capacity raised for thousands of bookings"
)


def app_env(database_url: str, api_base: str, *, capacity: int = 1) -> dict[str, str]:
    """The default weekly schedule; ``capacity`` raised for thousands of bookings."""
    return {
        "WEERAAN_DATABASE_URL": database_url,
        "WEERAAN_TELEGRAM__TOKEN": TOKEN,
        "WEERAAN_TELEGRAM__WEBHOOK_SECRET": SECRET,
        "WEERAAN_TELEGRAM__API_BASE": api_base,
        "WEERAAN_TELEGRAM__STAFF_CHAT_ID": STAFF_CHAT,
        "WEERAAN_TELEGRAM__RATE_GLOBAL": "0",
        "WEERAAN_TELEGRAM__RATE_PER_CHAT": "0",
        "WEERAAN_TELEGRAM__RATE_PER_GROUP_MINUTE": "0",
        "WEERAAN_WIDGET__RATE_PER_MINUTE": "1000000",
        "WEERAAN_WIDGET__RATE_PER_IP_MINUTE": "1000000",
        "WEERAAN_SCHEDULE__CAPACITY": str(capacity),
        "WEERAAN_SCHEDULE__OFFICE_ADDRESS": "Voorbeeldplein 2",
    }
