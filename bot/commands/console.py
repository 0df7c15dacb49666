"""`refund-bot console`: try the bot in a terminal, no Telegram token needed."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.app import create_dispatcher, create_services
from bot.config import ConfigError, load_settings
from bot.telegram.console import HELP, ConsoleChat


async def chat(lines: asyncio.Queue[str | None] | None = None) -> None:
    settings = load_settings()
    services = await create_services(settings)
    dp = create_dispatcher(services)
    console = ConsoleChat(dp, language=settings.default_language)
    print(HELP)
    try:
        await console.handle_line("/start")
        while True:
            try:
                line = await asyncio.to_thread(_read)
            except EOFError:
                break
            if not await console.handle_line(line):
                break
    finally:
        await console.close()
        await dp.storage.close()
        await services.close()


def _read() -> str:
    if sys.stdin.isatty():
        return input("\n> ")
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    print(f"\n> {line.rstrip()}")
    return line


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(chat())
    except ConfigError as exc:
        print(f"refund-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
