"""The ``weeraan`` command line: serve, chat, tree check/render, db upgrade, staff."""

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "tree":
            return _tree(args.action, args.dir)
        settings = Settings()
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


def _serve(settings: Settings, host: str, port: int, *, demo: bool = False) -> int:
    import uvicorn

    from webhook.app import create_app

    logging.getLogger().setLevel(settings.log_level)
    shown_host = f"[{host}]" if ":" in host else host
    app = create_app(settings, demo=demo, base_url=f"http://{shown_host}:{port}")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
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
