"""The texts: the caseworker summary (urgent first) and the residents' msgids and rendering."""

from __future__ import annotations

import re
import string

import pytest

from dialogs.i18n import SourceLanguage
from tests.outbox.helpers import English, booking_payload, callback_payload, resident_payload
from webhook.outbox import messages as m

PLACEHOLDERS = {"reference", "date", "time", "place"}
KINDS = ["confirmation", "cancellation", "rescheduled", "reminder"]


def test_an_urgent_case_says_so_before_anything_else() -> None:
    summary = m.caseworker_summary("booking.created", booking_payload(urgent=True))
    assert summary.subject == "SPOED: Nieuwe afspraak WA-7K3Q"
    assert summary.as_text().startswith("SPOED: Nieuwe afspraak WA-7K3Q\n")
    assert summary.as_html().startswith("🔴 <b>SPOED</b> <b>Nieuwe afspraak WA-7K3Q</b>")


def test_a_routine_case_is_not_marked() -> None:
    summary = m.caseworker_summary("booking.cancelled", booking_payload(urgent=False))
    assert summary.subject == "Afspraak geannuleerd WA-7K3Q"
    assert "SPOED" not in summary.as_text() + summary.as_html()


@pytest.mark.parametrize(
    ("event", "title"),
    [
        ("booking.created", "Nieuwe afspraak WA-7K3Q"),
        ("booking.cancelled", "Afspraak geannuleerd WA-7K3Q"),
        ("booking.rescheduled", "Afspraak verzet WA-7K3Q"),
    ],
)
def test_each_booking_event_has_its_title(event: str, title: str) -> None:
    assert m.caseworker_summary(event, booking_payload(urgent=False)).title == title


def test_the_summary_lists_what_a_caseworker_needs() -> None:
    payload = booking_payload(mode="phone", email=None, address="", urgent=False)
    fields = dict(m.caseworker_summary("booking.created", payload).fields)
    assert fields["Wanneer"] == "maandag 7 december 2026, 10:00–10:45"
    assert fields["Hoe"] == "telefonisch (wij bellen)"
    assert fields["E-mail"] == "—"
    assert fields["Naam"] == "Fatima de Vries"
    assert fields["Telefoon"] == "+31612345678"
    assert fields["Aangemeld"] == "maandag 30 november 2026, 10:30"


def test_a_callback_request_summary() -> None:
    summary = m.caseworker_summary("callback.requested", callback_payload(urgent=True))
    assert summary.subject == "SPOED: Terugbelverzoek #17"
    fields = dict(summary.fields)
    assert (fields["Telefoon"], fields["Wanneer bellen"], fields["Uitkomst"]) == (
        "+31687654321",
        "ochtend",
        "intake nodig",
    )
    assert fields["Taal"] == "Nederlands (nl)" and fields["Kanaal"] == "website-chat"


def test_unknown_codes_are_shown_as_they_are() -> None:
    payload = booking_payload(situation="flood", language="xx", outcome=None)
    fields = dict(m.caseworker_summary("booking.created", payload).fields)
    assert (fields["Situatie"], fields["Taal"], fields["Uitkomst"]) == ("flood", "xx", "—")


def test_summer_time_is_amsterdam_time() -> None:
    payload = booking_payload(
        starts_at="2026-07-06T08:00:00+00:00", ends_at="2026-07-06T08:45:00+00:00"
    )
    fields = dict(m.caseworker_summary("booking.created", payload).fields)
    assert fields["Wanneer"] == "maandag 6 juli 2026, 10:00–10:45"


@pytest.mark.parametrize("msgid", m.RESIDENT_MSGIDS)
def test_resident_msgids_use_only_known_placeholders_and_formal_you(msgid: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(msgid) if name is not None}
    assert fields <= PLACEHOLDERS
    assert not re.search(r"\b(je|jij|jou|jouw|jullie)\b", msgid, re.IGNORECASE)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("channel", ["email", "telegram"])
def test_every_resident_text_renders_completely_in_dutch(kind: str, channel: str) -> None:
    payload = resident_payload(kind, locale="nl")
    text = m.resident_text(payload, SourceLanguage(), channel=channel)  # type: ignore[arg-type]
    assert "{" not in text.subject + text.body
    assert "WA-7K3Q" in text.subject and "WA-7K3Q" in text.body
    assert "maandag 7 december 2026 om 10:00" in text.body
    assert ("bijlage" in text.body) == (channel == "email")


def test_a_resident_text_in_english() -> None:
    text = m.resident_text(resident_payload(locale="en"), English(), channel="email")
    assert text.subject == "Your appointment is confirmed (WA-7K3Q)"
    assert "When: Monday, December 7, 2026 at 10:00\u202fAM" in text.body
    assert text.calendar_location == "Voorbeeldstraat 1, Almere"


def test_a_broken_translation_falls_back_to_dutch() -> None:
    class Broken:
        def gettext(self, locale: str, msgid: str) -> str:
            return "Quand: {datum}" if msgid == m.WHEN else msgid

    text = m.resident_text(resident_payload(locale="en"), Broken(), channel="telegram")
    assert "Wanneer: Monday, December 7, 2026 om 10:00\u202fAM" in text.body


def test_an_unknown_locale_reads_as_dutch() -> None:
    text = m.resident_text(resident_payload(locale="xx-nope"), English(), channel="telegram")
    assert text.locale == "nl"
    assert "maandag 7 december 2026" in text.body


def test_an_office_without_an_address_is_still_a_place() -> None:
    text = m.resident_text(resident_payload(address=""), SourceLanguage(), channel="email")
    assert "Waar: op kantoor" in text.body


@pytest.mark.parametrize("channel", ["email", "telegram"])
def test_a_phone_intake_says_how_not_where_and_carries_no_number(channel: str) -> None:
    payload = resident_payload("confirmation", locale="nl", mode="phone", address="")
    text = m.resident_text(payload, SourceLanguage(), channel=channel)  # type: ignore[arg-type]
    assert "Hoe: PLANgroep belt u op het nummer dat u in de chat gaf." in text.body
    assert "Waar:" not in text.body and "Telefonisch" not in text.body
    assert not re.search(r"\+?\d{9,}", text.body)
    assert text.calendar_location == ""
    assert "Hoe: PLANgroep belt u op" in text.calendar_description


@pytest.mark.parametrize(
    ("kind", "by", "channel", "opening", "closing"),
    [
        ("cancellation", "resident", "email", "gaat niet door.", "Wilt u toch hulp?"),
        ("cancellation", "staff", "email", "heeft uw afspraak over schuldhulp afgezegd.",
         "Wilt u een nieuwe afspraak maken? Dat kan in de chat."),
        ("cancellation", "staff", "telegram", "heeft uw afspraak over schuldhulp afgezegd.",
         "Wilt u een nieuwe afspraak maken? Stuur dan /start."),
        ("rescheduled", "resident", "email", "is verplaatst. Dit is de nieuwe tijd.",
         "Laat het ons weten in de chat."),
        ("rescheduled", "staff", "telegram", "heeft uw afspraak over schuldhulp verplaatst.",
         "Afspraak bekijken, verzetten of afzeggen? Typ /afspraak."),
        ("reminder", "staff", "telegram", "Dit is een herinnering",
         "Afspraak bekijken, verzetten of afzeggen? Typ /afspraak."),
    ],
)  # fmt: skip
def test_the_text_says_who_changed_it_and_how_to_go_on(
    kind: str, by: str, channel: str, opening: str, closing: str
) -> None:
    payload = resident_payload(kind, locale="nl", changed_by=by)
    text = m.resident_text(payload, SourceLanguage(), channel=channel)  # type: ignore[arg-type]
    first, *_ = text.body.split("\n\n")
    assert opening in first
    assert ("Een medewerker van PLANgroep" in first) == (by == "staff" and kind != "reminder")
    assert closing in text.body
