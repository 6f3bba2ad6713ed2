"""A lean HTTP/1.1 keep-alive client on asyncio streams: the load generator.

Requests are prepared bytes; a response is read as its head and ``content-length`` bytes.
Much cheaper per request than a general client, so one core can drive the server's core.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

HOST = "127.0.0.1"


def request(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> bytes:
    """One request as bytes; ``body`` is JSON-encoded unless it is already bytes."""
    payload = (
        body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    )
    lines = [f"{method} {path} HTTP/1.1", f"host: {HOST}", f"content-length: {len(payload)}"]
    if body is not None:
        lines.append("content-type: application/json")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        return cls(reader, writer)

    async def send(self, data: bytes) -> tuple[int, bytes]:
        """The status and body of the answer to ``data``."""
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        start = head.lower().find(b"content-length:")
        if start < 0:
            raise ValueError("answer without content-length")
        end = head.find(b"\r\n", start)
        body = await self.reader.readexactly(int(head[start + 15 : end]))
        return status, body

    def close(self) -> None:
        self.writer.close()


async def fetch(port: int, data: bytes) -> tuple[int, bytes]:
    """One request on a new connection (set-up steps, not measured)."""
    connection = await Connection.open(port)
    try:
        return await connection.send(data)
    finally:
        connection.close()
