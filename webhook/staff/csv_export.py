"""Bookings as CSV for a spreadsheet: the same fields as the JSON list.

Residents type their own names and e-mail addresses, so a cell that a spreadsheet would
read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading apostrophe (OWASP's
advice against CSV injection); a phone number in E.164 form is left as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from fastapi.responses import Response

from webhook.staff.schemas import BookingOut

COLUMNS: Final = tuple(BookingOut.model_fields)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_E164: Final = re.compile(r"\+[1-9]\d{6,14}")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _E164.fullmatch(text):
        return "'" + text
    return text


def bookings_csv(bookings: Iterable[BookingOut]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for booking in bookings:
        values = booking.model_dump()
        writer.writerow([cell(values[column]) for column in COLUMNS])
    return buffer.getvalue()


def csv_response(bookings: Iterable[BookingOut]) -> Response:
    filename = f"weeraan-bookings-{datetime.now(UTC).date().isoformat()}.csv"
    return Response(
        content=bookings_csv(bookings),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
