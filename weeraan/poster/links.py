"""The two addresses a poster points to: the Telegram deep link and the website chat.

The Telegram link carries a start parameter; the bot keeps it as the conversation's source,
so the statistics can tell which poster or letter brought a resident in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from webhook.settings import BOT_USERNAME

DEFAULT_SOURCE: Final = "poster"
START_PARAMETER: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Telegram's rule for a deep link's start parameter: 1-64 of A-Z, a-z, 0-9, _ and -."""


class LinkError(ValueError):
    """A link cannot be made; the message says what to change."""


@dataclass(frozen=True)
class Link:
    """One QR code's target: ``url`` is encoded, ``shown`` is printed under the code."""

    kind: str  # "telegram" or "website"
    url: str

    @property
    def shown(self) -> str:
        """The address as a resident types it: without ``https://`` and a lone ``/``."""
        text = self.url.removeprefix("https://")
        return text[:-1] if text.endswith("/") and text.count("/") == 1 else text


def check_source(source: str) -> str:
    if not START_PARAMETER.fullmatch(source):
        raise LinkError(
            f"--source must be 1 to 64 characters from A-Z, a-z, 0-9, _ and - "
            f"(Telegram's rule for a start parameter), not {source!r}"
        )
    return source


def telegram_link(username: str, source: str) -> Link:
    name = username.strip().removeprefix("@")
    if not BOT_USERNAME.fullmatch(name):
        raise LinkError(f"a Telegram bot username has 5-32 letters, digits or _, not {username!r}")
    return Link("telegram", f"https://t.me/{name}?start={check_source(source)}")


def website_link(url: str) -> Link:
    """The page with the chat widget (the demo page at ``/`` of the public URL by default)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url.strip():
        raise LinkError(f"the website address must start with https://, not {url!r}")
    return Link("website", url.strip() if parts.path else url.strip() + "/")
