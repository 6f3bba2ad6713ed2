"""Telegram updates of residents walking the conversation, as webhook requests.

Every resident is a new Telegram user; every update id is new, so nothing is deduplicated.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

from bench.client import request

WEBHOOK = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
START = "/start"
WALK: tuple[str, ...] = (
    START,
    "lang:nl",
    "privacy:agree",
    "gas:no",
    "medical:no",
    "situation:letter",
    "energy:gas",
    "text:1315 AB 12",
    "supplier:vattenfall",
    "debt:yes",
    "prevention:book",
    "mode:office",
)
"""From ``/start`` to the offer of free days: buttons, a typed postcode and a slot query."""


def _user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "is_bot": False, "first_name": "Inwoner", "language_code": "nl"}


def _chat(user_id: int) -> dict[str, object]:
    return {"id": user_id, "type": "private", "first_name": "Inwoner"}


class Updates:
    """Webhook requests with fresh update ids, signed with the webhook secret."""

    def __init__(self, secret: str, first_id: int = 1) -> None:
        self.headers = {SECRET_HEADER: secret}
        self._ids: Iterator[int] = itertools.count(first_id)

    def step(self, user_id: int, what: str) -> bytes:
        """``/start``, ``text:<typed>`` or a button's option id, from ``user_id``."""
        update_id = next(self._ids)
        if what == START or what.startswith("text:"):
            text = START if what == START else what.removeprefix("text:")
            return self._post(update_id, {"message": self._message(update_id, user_id, text)})
        query = {
            "id": str(update_id),
            "from": _user(user_id),
            "chat_instance": "1",
            "data": what,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": _chat(user_id),
                "text": "…",
            },
        }
        return self._post(update_id, {"callback_query": query})

    def _message(self, update_id: int, user_id: int, text: str) -> dict[str, object]:
        message: dict[str, object] = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": _chat(user_id),
            "from": _user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return message

    def _post(self, update_id: int, body: dict[str, object]) -> bytes:
        payload = json.dumps({"update_id": update_id, **body}).encode()
        return request("POST", WEBHOOK, payload, self.headers)


class Walkers:
    """``lanes`` residents at a time walk ``WALK``; one who arrives is replaced by a new one.

    Request ``n`` of a lane is step ``n % len(WALK)`` of that lane's ``n // len(WALK)``-th
    resident. For an open-loop schedule (one lane), request ``n`` goes to resident slot
    ``n % lanes``, so one resident's steps are ``lanes`` requests apart.
    """

    def __init__(self, updates: Updates, lanes: int, first_user: int) -> None:
        self.updates = updates
        self.lanes = lanes
        self.first_user = first_user

    def closed(self, lane: int, n: int) -> bytes:
        generation, step = divmod(n, len(WALK))
        return self._request(lane, generation, step)

    def scheduled(self, _lane: int, n: int) -> bytes:
        round_, slot = divmod(n, self.lanes)
        generation, step = divmod(round_, len(WALK))
        return self._request(slot, generation, step)

    def _request(self, slot: int, generation: int, step: int) -> bytes:
        user_id = self.first_user + generation * self.lanes + slot
        return self.updates.step(user_id, WALK[step])
