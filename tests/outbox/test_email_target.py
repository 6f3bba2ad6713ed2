"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1), driven by the outbox worker."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from dialogs.i18n import SourceLanguage
from tests.outbox.helpers import (
    English,
    ManualClock,
    booking_payload,
    callback_payload,
    free_port,
    one_row,
    put,
    resident_payload,
)
from webhook.outbox.email_target import EmailTarget, resident_email, staff_email
from webhook.outbox.worker import OutboxWorker
from webhook.settings import SmtpSettings

SENDER = "WeerAan <noreply@weeraan.test>"
CASEWORKERS = "intake@plangroep.test"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in self.envelopes
        ]


@asynccontextmanager
async def smtp_server(port: int, **options: Any) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate, **options
    )
    await asyncio.to_thread(controller.start)
    try:
        yield inbox
    finally:
        await asyncio.to_thread(controller.stop)


@pytest.fixture
def port() -> int:
    return free_port()


def smtp(port: int, **extra: Any) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "starttls": False, "from": SENDER, **extra}
    )


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


async def test_caseworkers_get_an_urgent_booking_marked_first(
    sqlite_db: AsyncEngine, port: int
) -> None:
    (message_id,) = await put(sqlite_db, payload=booking_payload(), targets=["staff_email"])
    target = EmailTarget(smtp(port), staff_email(SENDER, CASEWORKERS))
    async with smtp_server(port) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"staff_email": target}, clock=ManualClock()
        ).run_once()

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == [CASEWORKERS]
    (mail,) = inbox.messages()
    assert mail["Subject"] == "SPOED: Nieuwe afspraak WA-7K3Q"
    assert mail["Message-ID"] == f"<{message_id}@weeraan.test>"
    assert mail["From"] == SENDER and mail["To"] == CASEWORKERS
    assert mail["Auto-Submitted"] == "auto-generated"
    text = body_of(mail)
    assert text.startswith("SPOED: Nieuwe afspraak WA-7K3Q\n")
    for expected in (
        "Wanneer: maandag 7 december 2026, 10:00–10:45",
        "Hoe: op kantoor, Voorbeeldstraat 1, Almere",
        "Naam: Fatima de Vries",
        "Telefoon: +31612345678",
        "E-mail: fatima@example.org",
        "Uitkomst: komt in aanmerking",
        "Redenen: lives_in_almere, cut_off, supplier_vattenfall",
        "Situatie: afgesloten",
        "Energie: stroom en gas",
        "Energiebedrijf: Vattenfall",
        "Taal: Oekraïens (uk)",
        "Kanaal: Telegram",
    ):
        assert expected in text
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_a_callback_request_mail_is_not_urgent_unless_it_is(
    sqlite_db: AsyncEngine, port: int
) -> None:
    await put(
        sqlite_db, event="callback.requested", payload=callback_payload(), targets=["staff_email"]
    )
    target = EmailTarget(smtp(port), staff_email(SENDER, CASEWORKERS))
    async with smtp_server(port) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"staff_email": target}, clock=ManualClock()
        ).run_once()
    (mail,) = inbox.messages()
    assert mail["Subject"] == "Terugbelverzoek #17"
    assert "Wanneer bellen: ochtend" in body_of(mail)
    assert "SPOED" not in body_of(mail)


async def test_a_resident_gets_their_language_and_a_calendar_request(
    sqlite_db: AsyncEngine, port: int
) -> None:
    (message_id,) = await put(sqlite_db, payload=resident_payload(), targets=["resident_email"])
    target = EmailTarget(smtp(port), resident_email(SENDER, English()))
    async with smtp_server(port) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"resident_email": target}, clock=ManualClock()
        ).run_once()

    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["fatima@example.org"]
    (mail,) = inbox.messages()
    assert mail["Subject"] == "Your appointment is confirmed (WA-7K3Q)"
    assert mail["Message-ID"] == f"<{message_id}@weeraan.test>"
    assert mail["Content-Language"] == "en"
    text = body_of(mail)
    assert text.startswith("Your appointment about debt help is confirmed.")
    assert "When: Monday, December 7, 2026 at 10:00\u202fAM" in text
    assert "Where: Voorbeeldstraat 1, Almere" in text
    assert "Your appointment number: WA-7K3Q" in text

    calendar = ics_of(mail, method="REQUEST")
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "wa-7k3q@weeraan"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]) == "Debt help appointment (WA-7K3Q)"
    assert event.decoded("DTSTART") == datetime(2026, 12, 7, 9, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 7, 9, 45, tzinfo=UTC)


async def test_a_cancellation_carries_a_calendar_cancel_with_a_higher_sequence(
    sqlite_db: AsyncEngine, port: int
) -> None:
    payload = resident_payload(
        "cancellation", sequence=2, locale="nl", mode="phone", starts_at="2026-12-07T10:00:00+01:00"
    )
    await put(sqlite_db, event="booking.cancelled", payload=payload, targets=["resident_email"])
    target = EmailTarget(smtp(port), resident_email(SENDER, SourceLanguage()))
    async with smtp_server(port) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"resident_email": target}, clock=ManualClock()
        ).run_once()

    (mail,) = inbox.messages()
    assert mail["Subject"] == "Uw afspraak gaat niet door (WA-7K3Q)"
    text = body_of(mail)
    assert "Wanneer: maandag 7 december 2026 om 10:00" in text
    assert "Hoe: PLANgroep belt u op het nummer dat u in de chat gaf." in text
    assert "Waar:" not in text and "Voorbeeldstraat" not in text
    assert "+316" not in text, "the resident's number is not in the e-mail"
    calendar = ics_of(mail, method="CANCEL")
    (event,) = calendar.walk("VEVENT")
    assert "LOCATION" not in event, "a phone intake has no place"
    assert (calendar["METHOD"], event.decoded("SEQUENCE"), str(event["STATUS"])) == (
        "CANCEL",
        2,
        "CANCELLED",
    )


async def test_smtp_down_then_up_delivers_exactly_once(sqlite_db: AsyncEngine, port: int) -> None:
    clock = ManualClock()
    await put(sqlite_db, targets=["staff_email"])
    target = EmailTarget(smtp(port), staff_email(SENDER, CASEWORKERS), timeout=5)
    w = OutboxWorker(sqlite_db, {"staff_email": target}, clock=clock)

    assert await w.run_once() == 1
    row = await one_row(sqlite_db)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"].startswith("smtp unavailable")

    async with smtp_server(port) as inbox:
        assert await w.run_once() == 0, "not due before its back-off"
        clock.advance(timedelta(seconds=5))
        assert await w.run_once() == 1
        clock.advance(timedelta(hours=1))
        assert await w.run_once() == 0
    assert len(inbox.envelopes) == 1
    assert (await one_row(sqlite_db))["status"] == "sent"


async def test_starttls_is_required_when_the_setting_says_so(
    sqlite_db: AsyncEngine, port: int
) -> None:
    await put(sqlite_db, targets=["staff_email"])
    target = EmailTarget(smtp(port, starttls=True), staff_email(SENDER, CASEWORKERS), timeout=5)
    async with smtp_server(port) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"staff_email": target}, clock=ManualClock()
        ).run_once()
    assert inbox.envelopes == []
    row = await one_row(sqlite_db)
    assert (row["status"], row["last_error"]) == ("pending", "smtp unavailable (SMTPException)")


async def test_username_and_password_are_used_when_set(sqlite_db: AsyncEngine, port: int) -> None:
    await put(sqlite_db, targets=["staff_email"])
    settings = smtp(port, username="weeraan", password="s3cret")
    target = EmailTarget(settings, staff_email(SENDER, CASEWORKERS), timeout=5)
    async with smtp_server(port, auth_require_tls=False) as inbox:
        assert await OutboxWorker(
            sqlite_db, {"staff_email": target}, clock=ManualClock()
        ).run_once()
    assert inbox.logins == [(b"weeraan", b"s3cret")]
    assert len(inbox.envelopes) == 1


def ics_of(mail: EmailMessage, *, method: str) -> Calendar:
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    assert attachment.get_filename() == "afspraak.ics"
    return Calendar.from_ical(attachment.get_content())
