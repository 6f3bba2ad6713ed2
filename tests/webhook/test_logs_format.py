"""JSON logs with request ids: every line of a request carries its id, and the id is echoed."""

from __future__ import annotations

import io
import json
import logging

import httpx

from tests.webhook.test_widget_api import GENEROUS, connect, running
from webhook.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, configure
from webhook.settings import Settings


def test_json_lines_carry_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("weeraan.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = REQUEST_ID.set("abc123")
    try:
        logger.info("turn done", extra={"node": "energy"})
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["message"] == "turn done"
    assert line["request_id"] == "abc123"
    assert line["node"] == "energy"
    assert line["level"] == "INFO"


def test_configure_installs_one_handler() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("DEBUG", "json")
        assert len(root.handlers) == 1
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


async def test_responses_echo_a_safe_request_id(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, widget=GENEROUS)
    async with running(settings) as app, connect(app) as http:
        given = await http.get("/healthz", headers={"X-Request-ID": "req-42"})
        odd = await http.get("/healthz", headers={"X-Request-ID": "<script>"})
        fresh = await http.get("/healthz")
    assert given.headers["x-request-id"] == "req-42"
    assert odd.headers["x-request-id"] != "<script>", "an unsafe id is replaced"
    assert len(fresh.headers["x-request-id"]) == 32
    assert isinstance(fresh, httpx.Response)
