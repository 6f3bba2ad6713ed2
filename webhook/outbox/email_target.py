"""E-mail over SMTP: the caseworkers' summary and the resident's message with a calendar file.

Retries send the very same message: the ``Message-ID`` is derived from the outbox
``message_id`` and the ``Date`` from when the notification was written, so a mail client can
spot a duplicate from the one crash window the worker documents. Failures carry only the SMTP
status code, never the server's text (it tends to quote addresses).
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Final

import aiosmtplib

from dialogs.ports import Translator
from webhook.booking.calendar import calendar_entry
from webhook.booking.ics import ics_bytes
from webhook.outbox.delivery import DeliveryError, OutboxMessage
from webhook.outbox.messages import caseworker_summary, resident_text
from webhook.settings import SmtpSettings

SMTP_TIMEOUT: Final = 30.0
BuildEmail = Callable[[OutboxMessage], EmailMessage]


class EmailTarget:
    """Delivers one kind of e-mail (built by ``build``) through the configured SMTP server."""

    def __init__(self, smtp: SmtpSettings, build: BuildEmail, *, timeout: float = SMTP_TIMEOUT):
        if not smtp.host:
            raise ValueError("no SMTP host configured")
        self._smtp = smtp
        self._host = smtp.host
        self._build = build
        self._timeout = timeout

    async def deliver(self, message: OutboxMessage) -> None:
        email = self._build(message)
        password = self._smtp.password.get_secret_value() if self._smtp.password else None
        try:
            await aiosmtplib.send(
                email,
                hostname=self._host,
                port=self._smtp.port,
                username=self._smtp.username or None,
                password=password if self._smtp.username else None,
                start_tls=self._smtp.starttls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({refusal.code for refusal in exc.recipients})
            raise DeliveryError(f"smtp recipients refused {codes}") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.code}") from None
        except aiosmtplib.SMTPTimeoutError:
            raise DeliveryError("smtp timeout") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp unavailable ({type(exc).__name__})") from None


def staff_email(sender: str, to: str) -> BuildEmail:
    """The caseworker summary, plain text, to the caseworkers' inbox."""

    def build(message: OutboxMessage) -> EmailMessage:
        summary = caseworker_summary(message.event, message.payload)
        email = _envelope(message, sender=sender, to=to, subject=summary.subject)
        if summary.urgent:
            email["Importance"] = "high"
            email["X-Priority"] = "1"
        email.set_content(summary.as_text())
        return email

    return build


def resident_email(sender: str, translator: Translator) -> BuildEmail:
    """The resident's message in their language, with the intake as an .ics attachment."""

    def build(message: OutboxMessage) -> EmailMessage:
        payload = message.payload
        text = resident_text(payload, translator, channel="email")
        email = _envelope(message, sender=sender, to=str(payload["to"]), subject=text.subject)
        email.set_content(text.body)
        entry = calendar_entry(payload, text)
        email.add_attachment(
            ics_bytes(entry, stamp=message.created_at),
            maintype="text",
            subtype="calendar",
            filename="afspraak.ics",
            params={"method": entry.method, "charset": "utf-8"},
        )
        email["Content-Language"] = text.locale  # after the body: set_content drops Content-*
        return email

    return build


def _envelope(message: OutboxMessage, *, sender: str, to: str, subject: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id_header(message.message_id, sender)
    email["Auto-Submitted"] = "auto-generated"
    return email


def message_id_header(message_id: str, sender: str) -> str:
    """``<msg_…@domain>``: the same for every retry of one notification."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "weeraan.invalid"
    return f"<{message_id}@{domain}>"
