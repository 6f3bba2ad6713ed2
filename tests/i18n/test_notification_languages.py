"""Confirmations and reminders reach residents in their own language, dates by CLDR."""

from __future__ import annotations

import pytest

from dialogs.i18n import DEFAULT_LOCALES_DIR, Catalogs
from dialogs.languages import DEFAULT_LANGUAGES
from tests.outbox.helpers import resident_payload
from webhook.outbox.messages import resident_text

CATALOGS = Catalogs(DEFAULT_LOCALES_DIR, DEFAULT_LANGUAGES)
MONDAY = {"nl": "maandag", "en": "Monday", "uk": "понеділок", "tr": "Pazartesi",
          "ar": "الاثنين", "pl": "poniedziałek"}  # fmt: skip


@pytest.mark.parametrize("kind", ["confirmation", "reminder", "cancellation", "rescheduled"])
@pytest.mark.parametrize("language", DEFAULT_LANGUAGES)
def test_resident_messages_are_in_their_language(language: str, kind: str) -> None:
    payload = resident_payload(kind, locale=language)
    text = resident_text(payload, CATALOGS, channel="email")
    dutch = resident_text({**payload, "locale": "nl"}, CATALOGS, channel="email")
    assert MONDAY[language] in text.body, "the weekday in the resident's language"
    assert "WA-7K3Q" in text.body
    assert "WA-7K3Q" in text.subject
    if language != "nl":
        assert text.subject != dutch.subject
        assert text.body != dutch.body
        assert text.calendar_summary != dutch.calendar_summary
