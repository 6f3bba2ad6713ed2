"""The two addresses a poster points to: the Telegram deep link and the website chat.

The Telegram link carries a start parameter; the bot keeps it as the conversation's source,
so the statistics can tell which poster or letter brought a resident in. The website link
carries the same source and the poster's language (``?weeraan-lang=ar&weeraan-source=poster``):
the widget opens by itself and starts a new conversation with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode, urlsplit, urlunsplit

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
    printed: str = ""  # the address printed under the code, if not ``url``

    @property
    def shown(self) -> str:
        """The address as a resident types it: without ``https://`` and a lone ``/``."""
        text = (self.printed or self.url).removeprefix("https://")
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


def website_link(url: str, language: str, source: str) -> Link:
    """The page with the chat widget (the demo page at ``/`` of the public URL by default),
    with the widget's link parameters; only the page's address is printed under the code."""
    page = url.strip()
    parts = urlsplit(page)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in page:
        raise LinkError(f"the website address must start with https://, not {url!r}")
    ours = urlencode({"weeraan-lang": language, "weeraan-source": check_source(source)})
    query = f"{parts.query}&{ours}" if parts.query else ours
    linked = urlunsplit(parts._replace(path=parts.path or "/", query=query))
    return Link("website", linked, printed=page if parts.path else page + "/")
