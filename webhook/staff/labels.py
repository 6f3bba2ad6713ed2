"""Dutch words for the codes caseworkers see on the dashboard (the API keeps the codes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from dialogs.eligibility import REASON_TEXTS
from dialogs.languages import LANGUAGE_NAMES

LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "mode": {"office": "Op kantoor", "phone": "Telefonisch"},
    "status": {
        "active": "Gepland",
        "cancelled": "Geannuleerd",
        "attended": "Geweest",
        "no_show": "Niet gekomen",
        "open": "Open",
        "done": "Afgehandeld",
    },
    "outcome": {
        "eligible": "Komt waarschijnlijk in aanmerking",
        "prevention": "Nog niet afgesloten: schuldhulp voorkomt afsluiten",
        "intake_needed": "Nog onduidelijk: uitzoeken in het gesprek",
        "not_eligible": "Komt (nog) niet in aanmerking",
        "outside_almere": "Woont niet in Almere",
        "emergency": "Noodgeval (gas of gevaar)",
    },
    "situation": {
        "cut_off": "Afgesloten",
        "letter": "Brief: wordt afgesloten",
        "arrears": "Betalingsachterstand",
        "other": "Iets anders",
    },
    "energy": {
        "electricity": "Stroom",
        "gas": "Gas",
        "both": "Stroom en gas",
        "heat": "Warmte (stadsverwarming)",
    },
    "supplier": {
        "vattenfall": "Vattenfall (vroeger Nuon)",
        "other": "Ander energiebedrijf",
        "unknown": "Weet het niet",
    },
    "channel": {"telegram": "Telegram", "widget": "Website", "terminal": "Terminal"},
    "part_of_day": {"morning": "Ochtend", "afternoon": "Middag", "any": "Maakt niet uit"},
    "language": dict(LANGUAGE_NAMES),
}


def label(code: object, kind: str) -> str:
    """The Dutch word for ``code``; the code itself when there is none, a dash for nothing."""
    if code is None or code == "":
        return "–"
    return LABELS.get(kind, {}).get(str(code), str(code))


def reason_text(code: str) -> str:
    return REASON_TEXTS.get(code, code)
