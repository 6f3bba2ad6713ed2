"""The ``weeraan`` command line: serve, chat, tree, db upgrade, staff, keys, poster."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from dialogs.loader import DEFAULT_TREE_DIR, load_tree
from dialogs.problems import TreeError
from webhook.crypto import VaultError
from webhook.logs import configure as configure_logging
from webhook.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weeraan", description="WeerAan, the reconnection chatbot"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the backend: widget API, webhook, dashboard")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed slots for the next 10 working days and print a staff login",
    )

    chat = commands.add_parser("chat", help="talk with WeerAan in this terminal")
    chat.add_argument("--lang", default=None, help="language code, e.g. nl, en, uk, tr, ar, pl")

    commands.add_parser("bot", help="run the Telegram bot with long polling (development)")

    tree = commands.add_parser("tree", help="validate or draw the dialogue tree")
    tree.add_argument("action", choices=["check", "render"])
    tree.add_argument("--dir", type=Path, default=None, help="tree folder (default: the built-in)")

    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])

    staff = commands.add_parser("staff", help="caseworkers who may use the dashboard and API")
    staff_actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = staff_actions.add_parser("add", help="add a caseworker and print their token once")
    add.add_argument("name")
    staff_actions.add_parser("list", help="list caseworkers (names only, never tokens)")
    revoke = staff_actions.add_parser("revoke", help="revoke a caseworker's token and sessions")
    revoke.add_argument("name")

    keys = commands.add_parser("keys", help="the encryption keys of residents' personal data")
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    key_actions.add_parser("generate", help="print a new key (for WEERAAN_KEYS)")
    key_actions.add_parser(
        "rotate",
        help="re-encrypt everything under a new key (stop the running processes first)",
    )
    _poster_parser(commands)
    return parser


def _poster_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    poster = commands.add_parser(
        "poster",
        help="a printable A4 poster (SVG) with QR codes for Telegram and the website chat",
        description="Make a printable A4 poster (SVG) for letters and notice boards, in one "
        "language, with QR codes for the Telegram deep link and the website chat. The links "
        "come from WEERAAN_TELEGRAM__BOT_USERNAME and WEERAAN_PUBLIC_URL; a code whose setting "
        "is missing is left out (with a note), and with neither the command fails.",
    )
    poster.add_argument("--language", default="nl", help="an offered language (default: nl)")
    poster.add_argument(
        "--output", default=None, help="file to write, - for stdout (default: poster-LANG.svg)"
    )
    poster.add_argument("--force", action="store_true", help="replace an existing file")
    poster.add_argument(
        "--source",
        default="poster",
        help="kept as the conversation's source when a resident scans the Telegram code "
        "(1-64 of A-Z a-z 0-9 _ -; default: poster)",
    )
    poster.add_argument("--bot-username", default=None, help="instead of the setting")
    poster.add_argument(
        "--website-url", default=None, help="the page with the chat (default: WEERAAN_PUBLIC_URL)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "tree":
            return _tree(args.action, args.dir)
        if args.command == "keys" and args.action == "generate":
            return _keys_generate()
        settings = Settings()
        if args.command == "poster":
            return _poster(settings, args)
        if args.command == "keys":
            return asyncio.run(_keys_rotate(settings))
        if args.command in {"serve", "bot", "chat"}:
            from webhook.crypto import Vault

            Vault.configured(settings.key_list, settings.database_url)  # refuse early
        if args.command == "serve":
            return _serve(settings, args.host, args.port, demo=args.demo)
        if args.command == "staff":
            return asyncio.run(_staff(settings, args.action, getattr(args, "name", "")))
        if args.command == "chat":
            from weeraan.chat import run_chat

            return asyncio.run(run_chat(settings, args.lang))
        if args.command == "bot":
            from webhook.telegram.polling import run_polling

            return asyncio.run(run_polling(settings))
        return asyncio.run(_db_upgrade(settings))
    except ValidationError as exc:
        print(f"weeraan: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    except VaultError as exc:
        print(f"weeraan: {exc}", file=sys.stderr)
        return 2
    except TreeError as exc:
        print(f"weeraan: the dialogue tree is invalid:\n{exc}", file=sys.stderr)
        return 1


def _tree(action: str, directory: Path | None) -> int:
    from dialogs.mermaid import render_mermaid

    tree = load_tree(directory or DEFAULT_TREE_DIR)
    if action == "render":
        print(render_mermaid(tree))
    else:
        questions = tree.total_questions
        print(f"tree OK: {len(tree.nodes)} nodes, {questions} numbered questions")
    return 0


def _poster(settings: Settings, args: argparse.Namespace) -> int:
    from weeraan.poster.command import PosterError, PosterRequest, build_poster, write_poster

    request = PosterRequest(args.language, args.source, args.bot_username, args.website_url)
    try:
        svg, notes = build_poster(request, settings)
        for note in notes:
            print(f"weeraan: {note}", file=sys.stderr)
        where = write_poster(svg, args.output or f"poster-{args.language}.svg", force=args.force)
    except PosterError as exc:
        print(f"weeraan: {exc}", file=sys.stderr)
        return 2
    if where != "stdout":
        print(f"poster written to {where}", file=sys.stderr)
    return 0


def _serve(settings: Settings, host: str, port: int, *, demo: bool = False) -> int:
    import uvicorn

    from webhook.app import create_app

    configure_logging(settings.log_level, settings.log_format)
    shown_host = f"[{host}]" if ":" in host else host
    app = create_app(settings, demo=demo, base_url=f"http://{shown_host}:{port}")
    # log_config=None: uvicorn's own lines go through our handler (JSON when configured)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None)
    return 0


async def _staff(settings: Settings, action: str, name: str) -> int:
    from webhook.staff import admin

    def out(text: str) -> None:
        print(text, flush=True)

    def err(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if action == "add":
        return await admin.add_command(settings, name, out, err)
    if action == "revoke":
        return await admin.revoke_command(settings, name, out, err)
    return await admin.list_command(settings, out, err)


def _keys_generate() -> int:
    from webhook.crypto import new_key

    print(new_key())
    return 0


async def _keys_rotate(settings: Settings) -> int:
    """A new first key; every sealed value re-encrypted under it (one transaction per table).

    With ``WEERAAN_KEYS`` the new key is printed once, to be put first in the list; with the
    SQLite key file it is written first into the file. Older keys stay for reading.
    """
    from webhook.crypto import Vault, check_keys, key_file_for, new_key, reseal_all, write_key_file
    from webhook.db import create_engine, is_sqlite
    from webhook.migrate import upgrade

    current = Vault.configured(settings.key_list, settings.database_url)
    rotated = Vault([new_key(), *current.keys])
    engine = create_engine(settings.database_url)
    try:
        if is_sqlite(settings.database_url):
            await upgrade(engine)
        await check_keys(engine, current)  # the keys fit: nothing is changed otherwise
        path = None if settings.key_list else key_file_for(settings.database_url)
        if path is not None:
            write_key_file(path, rotated.keys)
            print(f"new key written first in {path}; the older keys stay there for reading")
        else:
            print("new key (shown once; store it where WEERAAN_KEYS is kept):")
            print(rotated.keys[0])
            print(
                "put it first in WEERAAN_KEYS, before the keys you have now "
                "(WEERAAN_KEYS=<new key>,<current keys>), then start WeerAan again",
                flush=True,
            )
        changed = await reseal_all(engine, rotated)
    finally:
        await engine.dispose()
    counts = ", ".join(f"{table} {count}" for table, count in changed.items())
    print(f"re-encrypted under the new key: {counts} rows")
    return 0


async def _db_upgrade(settings: Settings) -> int:
    from webhook.db import create_engine
    from webhook.migrate import current_revision, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
