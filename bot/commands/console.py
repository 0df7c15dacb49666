"""`refund-bot console`: try the bot in a terminal, no Telegram token needed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys

from bot.app import Services, create_dispatcher, create_services
from bot.config import ConfigError, load_settings
from bot.telegram.console import HELP, ConsoleChat


async def chat(lines: asyncio.Queue[str | None] | None = None) -> None:
    settings = load_settings()
    gc.disable()  # until the first prompt: start-up makes long-lived objects, not garbage
    # what the first question, scan or picture loads is loaded once the first prompt shows
    services = await create_services(settings, warm=False)
    dp = create_dispatcher(services)
    console = ConsoleChat(dp, language=settings.default_language)
    print(HELP)
    warming: asyncio.Future[None] | None = None
    try:
        await console.handle_line("/start")
        while True:
            reading = asyncio.ensure_future(asyncio.to_thread(_read))
            if warming is None:
                gc.freeze()
                gc.enable()
                warming = asyncio.ensure_future(asyncio.to_thread(_warm, services))
            try:
                line = await reading
            except EOFError:
                break
            if not await console.handle_line(line):
                break
    finally:
        gc.enable()
        if warming is not None:
            with contextlib.suppress(Exception):
                await warming
        await console.close()
        await dp.storage.close()
        await services.close()


def _warm(services: Services) -> None:
    try:
        services.warm()
    except Exception:  # noqa: BLE001 - then it loads on first use, where errors are handled
        logging.getLogger(__name__).warning("warming up failed", exc_info=True)
    gc.freeze()


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
