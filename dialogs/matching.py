"""Understanding typed text: a typed button label or command word becomes that button or command.

Residents often type "ja" instead of pressing *Ja*, or "terug" instead of the command. This
module maps such text, in the conversation's language and in Dutch, to the same events a
button would give. Anything else stays ``TextEntered`` for the engine to validate.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping

from dialogs.events import CommandGiven, Event, OptionChosen, TextEntered
from dialogs.model import Command, CommandName
from dialogs.replies import Button
from dialogs.text import Msg, Verbatim

Translate = Callable[[str], str]
_STRIP = " \t\r\n.!?,;:'\"()[]"


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form used for comparison."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFKC", text).casefold().strip(_STRIP)
    text = text.replace("ı", "i")  # Turkish dotless i: "hayir" is typed for "Hayır"
    return " ".join(text.split())


def interpret(
    text: str,
    *,
    buttons: Iterable[Button],
    commands: Mapping[CommandName, Command],
    translate: Translate,
) -> Event:
    """The event that ``text`` stands for at a question with ``buttons``."""
    wanted = normalise(text)
    if not wanted:
        return TextEntered(text)
    for name, command in commands.items():
        if wanted in _command_words(command, translate):
            return CommandGiven(name)
    for button in buttons:
        if wanted in _labels(button, translate):
            return OptionChosen(button.id)
    return TextEntered(text)


def _command_words(command: Command, translate: Translate) -> set[str]:
    words = {normalise(w) for w in command.words}
    words.add(normalise(command.label))
    words.add(normalise(translate(command.label)))
    return words


def _labels(button: Button, translate: Translate) -> set[str]:
    label = button.label
    if isinstance(label, Verbatim):
        return {normalise(label.text)}
    if isinstance(label, Msg):
        return {normalise(label.msgid), normalise(translate(label.msgid))}
    return set()
