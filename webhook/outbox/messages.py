"""What the notifications say: the caseworker summary and the residents' texts.

The caseworker summary is Dutch and the same for e-mail and Telegram (``Summary.as_text`` and
``Summary.as_html``); an urgent case says so before anything else. Residents' texts are Dutch
B1 msgids (formal "u") with named placeholders, translated into the resident's language at
the edge; dates and times are formatted by Babel (CLDR) in Europe/Amsterdam.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from dialogs.languages import DEFAULT_LOCALE
from dialogs.ports import Translator
from dialogs.render import fill
from dialogs.text import N_

AMSTERDAM: Final = ZoneInfo("Europe/Amsterdam")
NOTHING: Final = "—"

# -- dates ----------------------------------------------------------------------------------


def babel_locale(code: object) -> str:
    """A locale Babel knows; anything else (or nothing) reads as Dutch."""
    if isinstance(code, str) and code:
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            return DEFAULT_LOCALE
        return code
    return DEFAULT_LOCALE


def parse_instant(value: object) -> datetime:
    """An ISO 8601 timestamp with offset, as the payloads carry them."""
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 timestamp")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without offset")
    return parsed


def day_text(moment: datetime, locale: str) -> str:
    return str(format_date(moment.astimezone(AMSTERDAM).date(), "full", locale=locale))


def time_text(moment: datetime, locale: str) -> str:
    return str(format_time(moment, "short", tzinfo=AMSTERDAM, locale=locale))


# -- the caseworker summary -----------------------------------------------------------------

_TITLES: Final[Mapping[str, str]] = {
    "booking.created": "Nieuwe afspraak {reference}",
    "booking.cancelled": "Afspraak geannuleerd {reference}",
    "booking.rescheduled": "Afspraak verzet {reference}",
    "booking.reminder": "Herinnering afspraak {reference}",
    "callback.requested": "Terugbelverzoek #{id}",
}
_OUTCOMES: Final[Mapping[str, str]] = {
    "emergency": "noodgeval",
    "outside_almere": "buiten Almere",
    "eligible": "komt in aanmerking",
    "prevention": "preventie",
    "intake_needed": "intake nodig",
    "not_eligible": "komt niet in aanmerking",
}
_SITUATIONS: Final[Mapping[str, str]] = {
    "cut_off": "afgesloten",
    "letter": "brief over afsluiting",
    "arrears": "betalingsachterstand",
    "other": "iets anders",
}
_ENERGY: Final[Mapping[str, str]] = {
    "electricity": "stroom",
    "gas": "gas",
    "both": "stroom en gas",
    "heat": "warmte (stadsverwarming)",
}
_SUPPLIERS: Final[Mapping[str, str]] = {
    "vattenfall": "Vattenfall",
    "other": "ander energiebedrijf",
    "unknown": "onbekend",
}
_PARTS_OF_DAY: Final[Mapping[str, str]] = {
    "morning": "ochtend",
    "afternoon": "middag",
    "any": "maakt niet uit",
}
_CHANNELS: Final[Mapping[str, str]] = {"telegram": "Telegram", "widget": "website-chat"}
URGENT: Final = "SPOED"


@dataclass(frozen=True)
class Summary:
    """A caseworker notification: a title and labelled fields, urgent ones marked first."""

    title: str
    urgent: bool
    fields: tuple[tuple[str, str], ...]

    @property
    def subject(self) -> str:
        return f"{URGENT}: {self.title}" if self.urgent else self.title

    def as_text(self) -> str:
        lines = [f"{URGENT}: {self.title}" if self.urgent else self.title, ""]
        lines += [f"{label}: {value}" for label, value in self.fields]
        return "\n".join(lines) + "\n"

    def as_html(self) -> str:
        """For Telegram's HTML parse mode: every value escaped."""
        title = f"<b>{html.escape(self.title)}</b>"
        lines = [f"🔴 <b>{URGENT}</b> {title}" if self.urgent else title, ""]
        lines += [
            f"<b>{html.escape(label)}:</b> {html.escape(value)}" for label, value in self.fields
        ]
        return "\n".join(lines)


def caseworker_summary(event: str, payload: Mapping[str, Any]) -> Summary:
    """The summary a caseworker reads for ``event`` (booking.* or callback.requested)."""
    title = _TITLES.get(event, event).format_map(
        {"reference": _text(payload.get("reference")), "id": _text(payload.get("id"))}
    )
    urgent = payload.get("urgent") is True
    if event == "callback.requested":
        fields = _callback_fields(payload)
    else:
        fields = _booking_fields(payload)
    return Summary(title, urgent, (*fields, *_context_fields(payload)))


def _booking_fields(p: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    when = NOTHING
    if p.get("starts_at") and p.get("ends_at"):
        starts, ends = parse_instant(p["starts_at"]), parse_instant(p["ends_at"])
        when = f"{day_text(starts, 'nl')}, {time_text(starts, 'nl')}–{time_text(ends, 'nl')}"
    if p.get("mode") == "phone":
        how = "telefonisch (wij bellen)"
    else:
        address = _text(p.get("address"), empty="")
        how = f"op kantoor, {address}" if address else "op kantoor"
    return (
        ("Afspraak", _text(p.get("reference"))),
        ("Wanneer", when),
        ("Hoe", how),
        ("Naam", _text(p.get("name"))),
        ("Telefoon", _text(p.get("phone"))),
        ("E-mail", _text(p.get("email"))),
    )


def _callback_fields(p: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return (
        ("Telefoon", _text(p.get("phone"))),
        ("Wanneer bellen", _label(_PARTS_OF_DAY, p.get("part_of_day"))),
    )


def _context_fields(p: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    reasons = p.get("reasons") or []
    created = NOTHING
    if p.get("created_at"):
        moment = parse_instant(p["created_at"])
        created = f"{day_text(moment, 'nl')}, {time_text(moment, 'nl')}"
    return (
        ("Uitkomst", _label(_OUTCOMES, p.get("outcome"))),
        ("Redenen", ", ".join(str(r) for r in reasons) if reasons else NOTHING),
        ("Situatie", _label(_SITUATIONS, p.get("situation"))),
        ("Energie", _label(_ENERGY, p.get("energy"))),
        ("Energiebedrijf", _label(_SUPPLIERS, p.get("supplier"))),
        ("Taal", _language(p.get("language"))),
        ("Kanaal", _label(_CHANNELS, p.get("channel"))),
        ("Aangemeld", created),
    )


def _text(value: object, *, empty: str = NOTHING) -> str:
    return empty if value is None or value == "" else str(value)


def _label(labels: Mapping[str, str], code: object) -> str:
    if code is None or code == "":
        return NOTHING
    return labels.get(str(code), str(code))


def _language(code: object) -> str:
    if not isinstance(code, str) or not code:
        return NOTHING
    name = Locale.parse("nl").languages.get(code)
    return f"{name} ({code})" if name else code


# -- residents ------------------------------------------------------------------------------

Kind = Literal["confirmation", "cancellation", "rescheduled", "reminder"]
Channel = Literal["email", "telegram"]

SUBJECTS: Final[Mapping[str, str]] = {
    "confirmation": N_("Uw afspraak staat vast ({reference})"),
    "cancellation": N_("Uw afspraak gaat niet door ({reference})"),
    "rescheduled": N_("Uw afspraak is verplaatst ({reference})"),
    "reminder": N_("Herinnering: uw afspraak ({reference})"),
}
OPENINGS: Final[Mapping[str, str]] = {
    "confirmation": N_("Uw afspraak over schuldhulp staat vast."),
    "cancellation": N_("Uw afspraak over schuldhulp gaat niet door."),
    "rescheduled": N_("Uw afspraak over schuldhulp is verplaatst. Dit is de nieuwe tijd."),
    "reminder": N_("Dit is een herinnering aan uw afspraak over schuldhulp."),
}
STAFF_OPENINGS: Final[Mapping[str, str]] = {
    "cancellation": N_("Een medewerker van PLANgroep heeft uw afspraak over schuldhulp afgezegd."),
    "rescheduled": N_(
        "Een medewerker van PLANgroep heeft uw afspraak over schuldhulp verplaatst. "
        "Dit is de nieuwe tijd."
    ),
}
"""The opening when a caseworker made the change (``changed_by`` is ``staff``)."""
WHEN: Final = N_("Wanneer: {date} om {time}")
WHERE: Final = N_("Waar: {place}")
AT_THE_OFFICE: Final = N_("op kantoor")
HOW_BY_PHONE: Final = N_(
    "Hoe: PLANgroep belt u op het nummer dat u in de chat gaf. Houd uw telefoon bij de hand."
)
"""A phone intake: no place, and no phone number (the resident gave it; the message need
not carry it)."""
REFERENCE: Final = N_("Uw afspraaknummer: {reference}")
CHANGE: Final = N_(
    "Past deze tijd niet? Laat het ons weten in de chat. Dan zoeken we een nieuwe tijd."
)
REBOOK: Final = N_("Wilt u toch hulp? Maak dan een nieuwe afspraak in de chat.")
STAFF_REBOOK: Final = N_("Wilt u een nieuwe afspraak maken? Dat kan in de chat.")
CHAT_CHANGE: Final = N_("Afspraak bekijken, verzetten of afzeggen? Typ /afspraak.")
"""On Telegram the message is in the chat itself: the command (the tree's own words)."""
CHAT_REBOOK: Final = N_("Wilt u een nieuwe afspraak maken? Stuur dan /start.")
ATTACHMENT: Final = N_("In de bijlage staat de afspraak. Die kunt u in uw agenda zetten.")
GOODBYE: Final = N_("Met vriendelijke groet,")
CALENDAR_SUMMARY: Final = N_("Afspraak schuldhulp ({reference})")
SENDER_NAME: Final = "WeerAan"
RESIDENT_MSGIDS: Final[tuple[str, ...]] = (
    *SUBJECTS.values(),
    *OPENINGS.values(),
    *STAFF_OPENINGS.values(),
    WHEN,
    WHERE,
    AT_THE_OFFICE,
    HOW_BY_PHONE,
    REFERENCE,
    CHANGE,
    REBOOK,
    STAFF_REBOOK,
    CHAT_CHANGE,
    CHAT_REBOOK,
    ATTACHMENT,
    GOODBYE,
    CALENDAR_SUMMARY,
)


@dataclass(frozen=True)
class ResidentText:
    """A resident's notification in their language, and what their calendar should show."""

    locale: str
    subject: str
    body: str
    calendar_summary: str
    calendar_location: str
    calendar_description: str


def resident_text(
    payload: Mapping[str, Any], translator: Translator, *, channel: Channel
) -> ResidentText:
    locale = babel_locale(payload.get("locale"))
    kind = str(payload.get("kind", "confirmation"))
    by_staff = payload.get("changed_by") == "staff"
    reference = _text(payload.get("reference"))

    def t(msgid: str, **params: str) -> str:
        return translate(translator, locale, msgid, **params)

    starts = parse_instant(payload["starts_at"])
    when = t(WHEN, date=day_text(starts, locale), time=time_text(starts, locale))
    if payload.get("mode") == "phone":
        where, location = t(HOW_BY_PHONE), ""
    else:
        location = _text(payload.get("address"), empty="") or t(AT_THE_OFFICE)
        where = t(WHERE, place=location)
    details = "\n".join((when, where, t(REFERENCE, reference=reference)))
    paragraphs = [t(_opening(kind, by_staff)), details, t(_closing(kind, by_staff, channel))]
    if channel == "email":
        paragraphs += [t(ATTACHMENT), f"{t(GOODBYE)}\n{SENDER_NAME}"]
    subject = t(SUBJECTS.get(kind, SUBJECTS["confirmation"]), reference=reference)
    return ResidentText(
        locale=locale,
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        calendar_summary=t(CALENDAR_SUMMARY, reference=reference),
        calendar_location=location,
        calendar_description=details,
    )


def _opening(kind: str, by_staff: bool) -> str:
    if by_staff and kind in STAFF_OPENINGS:
        return STAFF_OPENINGS[kind]
    return OPENINGS.get(kind, OPENINGS["confirmation"])


def _closing(kind: str, by_staff: bool, channel: Channel) -> str:
    """How to go on: book again after a cancellation, otherwise how to change the time."""
    if kind == "cancellation":
        if channel == "telegram":
            return CHAT_REBOOK
        return STAFF_REBOOK if by_staff else REBOOK
    return CHAT_CHANGE if channel == "telegram" else CHANGE


def translate(translator: Translator, locale: str, msgid: str, **params: str) -> str:
    """Translate and fill in; a translation with broken placeholders falls back to Dutch."""
    return fill(translator.gettext(locale, msgid), msgid, params)
