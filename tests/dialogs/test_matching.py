"""Typed text that stands for a button or a global command becomes that button or command."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from dialogs.events import CommandGiven, Event, OptionChosen, TextEntered
from dialogs.matching import interpret, normalise
from dialogs.model import Command, CommandName, Tree
from dialogs.replies import Button
from dialogs.text import Msg, Verbatim

ENERGY = (
    Button("energy:electricity", Msg("Stroom")),
    Button("energy:gas", Msg("Gas")),
    Button("energy:both", Msg("Stroom en gas")),
    Button("energy:heat", Msg("Warmte (stadsverwarming)")),
)
YES_NO = (Button("gas:yes", Msg("Ja")), Button("gas:no", Msg("Nee")))
LANGUAGES = (
    Button("lang:nl", Verbatim("Nederlands")),
    Button("lang:tr", Verbatim("Türkçe")),
    Button("lang:uk", Verbatim("Українська")),
    Button("lang:ar", Verbatim("العربية")),
)
ENGLISH = {
    "Ja": "Yes",
    "Nee": "No",
    "Stroom": "Electricity",
    "Stroom en gas": "Electricity and gas",
    "Terug": "Back",
    "Medewerker": "Talk to a person",
    "Wis mijn gegevens": "Delete my data",
}


def english(msgid: str) -> str:
    """A small fake catalog; unknown msgids come back unchanged, like gettext."""
    return ENGLISH.get(msgid, msgid)


def dutch(msgid: str) -> str:
    return msgid


@pytest.fixture(scope="module")
def commands(tree: Tree) -> Mapping[CommandName, Command]:
    return tree.commands


def understand(
    text: str,
    commands: Mapping[CommandName, Command],
    buttons: tuple[Button, ...] = ENERGY,
    translate: Callable[[str], str] = dutch,
) -> Event:
    return interpret(text, buttons=buttons, commands=commands, translate=translate)


@pytest.mark.parametrize(
    ("typed", "option_id"),
    [
        ("Stroom", "energy:electricity"),
        ("stroom", "energy:electricity"),
        ("STROOM!", "energy:electricity"),
        ("  stroom.  ", "energy:electricity"),
        ("'gas'", "energy:gas"),
        ("stroom   en  GAS", "energy:both"),
        ("Stroom en gas?", "energy:both"),
        ("warmte (stadsverwarming)", "energy:heat"),
        ("WARMTE (STADSVERWARMING).", "energy:heat"),
    ],
)
def test_typed_label_becomes_the_option(
    typed: str, option_id: str, commands: Mapping[CommandName, Command]
) -> None:
    assert understand(typed, commands) == OptionChosen(option_id)


@pytest.mark.parametrize(("typed", "option_id"), [("ja", "gas:yes"), ("NEE!", "gas:no")])
def test_yes_and_no(typed: str, option_id: str, commands: Mapping[CommandName, Command]) -> None:
    assert understand(typed, commands, YES_NO) == OptionChosen(option_id)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("terug", "back"),
        ("Terug", "back"),
        ("/terug", "back"),
        ("vorige", "back"),
        ("opnieuw", "restart"),
        ("/wis", "erase"),
        ("Wis mijn gegevens", "erase"),
        ("Medewerker", "person"),
        ("medewerker!", "person"),
        ("/stop", "stop"),
        ("stoppen", "stop"),
        ("taal", "language"),
        ("/privacy", "privacy"),
        ("/hulp", "help"),
        ("help", "help"),
    ],
)
def test_command_words(
    typed: str, command: CommandName, commands: Mapping[CommandName, Command]
) -> None:
    assert understand(typed, commands) == CommandGiven(command)


def test_commands_are_understood_at_any_question(commands: Mapping[CommandName, Command]) -> None:
    for buttons in ((), YES_NO, ENERGY, LANGUAGES):
        assert understand("terug", commands, buttons) == CommandGiven("back")


@pytest.mark.parametrize(
    ("typed", "event"),
    [
        ("yes", OptionChosen("gas:yes")),
        ("No.", OptionChosen("gas:no")),
        ("ja", OptionChosen("gas:yes")),  # Dutch is always understood too
        ("back", CommandGiven("back")),
        ("Talk to a person", CommandGiven("person")),
        ("delete my data", CommandGiven("erase")),
    ],
)
def test_translated_label_is_understood(
    typed: str, event: Event, commands: Mapping[CommandName, Command]
) -> None:
    assert understand(typed, commands, YES_NO, english) == event


def test_translated_label_is_not_understood_without_the_translation(
    commands: Mapping[CommandName, Command],
) -> None:
    assert understand("yes", commands, YES_NO, dutch) == TextEntered("yes")


@pytest.mark.parametrize(
    ("typed", "option_id"),
    [
        ("nederlands", "lang:nl"),
        ("Türkçe", "lang:tr"),
        ("TÜRKÇE", "lang:tr"),
        ("turkce", "lang:tr"),  # typed without the Turkish keyboard
        ("українська", "lang:uk"),
        ("العربية", "lang:ar"),
    ],
)
def test_language_names_are_understood(
    typed: str, option_id: str, commands: Mapping[CommandName, Command]
) -> None:
    assert understand(typed, commands, LANGUAGES, english) == OptionChosen(option_id)


@pytest.mark.parametrize(
    "typed",
    ["1315 AB 12", "06 12345678", "misschien", "ik weet het niet", "stroom gas", "", "   ", "?!",
     "terugbellen", "jaaa"],
)  # fmt: skip
def test_other_text_stays_text(typed: str, commands: Mapping[CommandName, Command]) -> None:
    assert understand(typed, commands, (*ENERGY, *YES_NO)) == TextEntered(typed)


def test_other_text_is_passed_on_unchanged(commands: Mapping[CommandName, Command]) -> None:
    typed = "  1315 ab 12  "
    event = understand(typed, commands)
    assert isinstance(event, TextEntered)
    assert event.text == typed


def test_normalise_ignores_case_accents_punctuation_and_spacing() -> None:
    assert normalise("  Stroom   EN gas!? ") == "stroom en gas"
    assert normalise("Türkçe") == normalise("turkce") == normalise("TURKCE")
    assert normalise("ｓｔｒｏｏｍ") == "stroom"  # full-width letters


def test_turkish_dotless_i_matches_a_plain_i() -> None:
    from dialogs.matching import normalise

    assert normalise("Hayır") == normalise("hayir") == normalise("HAYIR")
    assert normalise("Yardım") == normalise("yardim")
    assert normalise("İptal") == normalise("iptal")
