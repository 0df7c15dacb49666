"""`refund-bot inbox`: the updates that kept failing and were parked, for the operator.

    refund-bot inbox                 list parked updates (id, chat, attempts, error)
    refund-bot inbox retry [ID...]   put them (all, or those listed) back in line; a running
                                     bot handles them within a minute, a stopped one at start
    refund-bot inbox --json          the list as JSON Lines

Parked updates keep their content until handled, so nothing a buyer sent is lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from bot.config import load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refund-bot inbox", description="List or retry parked updates."
    )
    parser.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    parser.add_argument(
        "ids", nargs="*", type=int, help="update ids to retry (default: all parked)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON Lines")
    return parser


async def _run(url: str, action: str, ids: Sequence[int], as_json: bool) -> int:
    from bot.services.inbox import InboxService
    from bot.storage.db import create_engine, migrate

    engine = create_engine(url)
    try:
        await migrate(engine)
        inbox = InboxService(engine)
        if action == "retry":
            count = await inbox.retry(update_ids=ids)
            print(f"{count} parked updates put back in line")
            return 0
        parked = await inbox.parked()
        for item in parked:
            if as_json:
                row = {
                    "bot_id": item.bot_id,
                    "update_id": item.update_id,
                    "chat_id": item.chat_id,
                    "attempts": item.attempts,
                    "error": item.error,
                    "received": item.created_at.isoformat(),
                }
                print(json.dumps(row, ensure_ascii=False))
            else:
                print(
                    f"{item.update_id}\tchat {item.chat_id}\t{item.attempts} attempts\t{item.created_at:%Y-%m-%d %H:%M}\t{item.error}"
                )
        if not as_json:
            print(f"{len(parked)} parked updates", file=sys.stderr)
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.action == "list" and args.ids:
        print("refund-bot inbox: update ids go with `retry`", file=sys.stderr)
        return 2
    settings = load_settings()
    return asyncio.run(_run(settings.database_url, args.action, args.ids, args.json))
