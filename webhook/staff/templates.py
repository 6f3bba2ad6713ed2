"""The dashboard's Jinja2 environment: autoescaping on, undefined names are errors."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.templating import Jinja2Templates

from webhook.staff.labels import label, reason_text

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"


def day_text(value: date | datetime) -> str:
    """E.g. "di 1 dec. 2026", in Dutch."""
    return format_date(value, "EEE d MMM y", locale="nl")


def clock_text(value: datetime) -> str:
    """The local time of an aware datetime, e.g. "09:00"."""
    return format_time(value, "HH:mm", tzinfo=value.tzinfo, locale="nl")


def when_text(value: datetime) -> str:
    return f"{day_text(value)} {clock_text(value)}"


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        label=label, reason=reason_text, day=day_text, clock=clock_text, when=when_text
    )
    return Jinja2Templates(env=environment)
