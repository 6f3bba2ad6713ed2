"""An ASGI middleware that adds fixed headers to every answer on the paths it is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AddHeaders:
    """Adds ``headers`` to every response (errors too) whose path ``applies``."""

    def __init__(
        self, app: ASGIApp, *, headers: Mapping[str, str], applies: Callable[[str], bool]
    ) -> None:
        self.app, self.headers, self.applies = app, headers, applies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
