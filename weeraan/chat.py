"""``weeraan chat``: the conversation in a terminal, same engine and database as the server.

Interactive on a terminal; with piped input it reads one answer per line, prints each bot
message as plain text with its options as ``  [1] Label`` lines, and exits 0 at end of input.
An answer may be an option's number, its label, or free text.
"""

from __future__ import annotations

import io
import sys
import uuid
from collections.abc import Iterator
from typing import TextIO

from dialogs.events import Event, OptionChosen, TextEntered
from dialogs.ports import ConversationKey
from dialogs.render import MessageView
from dialogs.service import ConversationService, Turn
from webhook.compose import open_backend
from webhook.settings import Settings

CHANNEL = "terminal"


def show(turn: Turn, out: TextIO) -> tuple[str, ...]:
    """Print the turn's messages; return the option ids in the order they were numbered."""
    numbered: tuple[str, ...] = ()
    for message in turn.messages:
        print(message.text, file=out)
        numbered = _print_options(message, out) or numbered
        print(file=out)
    return numbered


def _print_options(message: MessageView, out: TextIO) -> tuple[str, ...]:
    for number, option in enumerate(message.options, start=1):
        print(f"  [{number}] {option.label}", file=out)
    return tuple(option.id for option in message.options)


def to_event(line: str, numbered: tuple[str, ...]) -> Event:
    """An option number picks that option; anything else is typed text."""
    text = line.strip()
    # len() first: int() refuses more than 4300 digits (a ValueError, a crash here).
    if text.isdecimal() and len(text) <= 3 and 1 <= int(text) <= len(numbered):
        return OptionChosen(numbered[int(text) - 1])
    return TextEntered(text)


def _lines(source: TextIO, interactive: bool, out: TextIO) -> Iterator[str]:
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = source.readline()
        if not line:
            return
        if line.strip():
            yield line.rstrip("\n")


async def converse(
    service: ConversationService,
    source: TextIO,
    out: TextIO,
    *,
    locale: str | None,
    interactive: bool,
) -> None:
    key = ConversationKey(CHANNEL, uuid.uuid4().hex)
    numbered = show(await service.start(key, locale=locale, source=CHANNEL), out)
    for line in _lines(source, interactive, out):
        if not interactive:
            print(f"> {line}\n", file=out)
        numbered = show(await service.handle(key, to_event(line, numbered)), out)


async def run_chat(settings: Settings, locale: str | None) -> int:
    interactive = sys.stdin.isatty()
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # invalid UTF-8 is read as U+FFFD, no crash
    async with open_backend(settings) as backend:
        try:
            await converse(
                backend.service, sys.stdin, sys.stdout, locale=locale, interactive=interactive
            )
        except KeyboardInterrupt:
            print(file=sys.stdout)
    return 0
