"""The poster's words: B1 Dutch source strings, translated through the gettext catalogs.

They follow the conversation's own wording: "misschien" and "waarschijnlijk", never a
promise of reconnection; the safety numbers exactly as the bot gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

from dialogs.text import N_


class Translator(Protocol):
    def gettext(self, locale: str, msgid: str) -> str: ...


@dataclass(frozen=True)
class PosterTexts:
    headline: str = N_("Gas of stroom afgesloten?")
    promise: str = N_("Misschien kunt u zonder borg weer aan.")
    who: str = N_(
        "Voor inwoners van Almere die meedoen met schuldhulp van de gemeente "
        "en kiezen voor budgetbeheer."
    )
    step_chat: str = N_("Scan een QR-code. De chat WeerAan stelt u een paar korte vragen.")
    step_check: str = N_("In een paar minuten weet u of het waarschijnlijk kan, en waarom.")
    step_intake: str = N_("Daarna maakt u meteen een afspraak met een hulpverlener van PLANgroep.")
    telegram: str = N_("Chat in Telegram")
    website: str = N_("Chat op de website")
    languages: str = N_("De chat is er in deze talen:")
    danger: str = N_("Is er gevaar? Bel dan meteen 112.")
    gas: str = N_(
        "Ruikt u gas? Bel het storingsnummer 0800-9009. Dat is gratis en dag en nacht bereikbaar."
    )
    person: str = N_(
        "WeerAan is een chatbot, geen mens. U kunt in de chat ook vragen om een medewerker."
    )
    footer: str = N_("WeerAan werkt voor PLANgroep, de schuldhulp van de gemeente Almere.")

    @property
    def steps(self) -> tuple[str, ...]:
        return (self.step_chat, self.step_check, self.step_intake)


SOURCE = PosterTexts()


def translated(locale: str, translator: Translator) -> PosterTexts:
    """Every text in ``locale`` (Dutch where the catalog has no translation)."""
    values = {f.name: translator.gettext(locale, getattr(SOURCE, f.name)) for f in fields(SOURCE)}
    return PosterTexts(**values)
