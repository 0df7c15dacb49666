"""`refund-bot run`: long polling, or a webhook server when WEBHOOK_URL is set; without a
BOT_TOKEN, the console chat."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.i18n import LANGUAGES, Translator

if TYPE_CHECKING:  # aiogram is imported only once the settings are known to be good
    from collections.abc import Sequence

    from aiogram import BaseMiddleware, Bot, Dispatcher

log = logging.getLogger("bot")
COMMANDS = ("start", "cases", "ask", "check", "human", "language", "cancel")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def set_commands(bot: Bot, default_language: str) -> None:
    from aiogram.types import BotCommand, BotCommandScopeDefault

    for lang in LANGUAGES:
        t = Translator(lang)
        commands = [
            BotCommand(command=name, description=t(f"commands.{name}")) for name in COMMANDS
        ]
        await bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if lang == default_language else lang,
        )


async def check_support_chat(bot: Bot, settings: Settings) -> None:
    """The support group must be a forum where the bot may post, manage topics and pin."""
    from bot.telegram.handlers.support.workspace import check_setup

    await check_setup(bot, settings)


async def serve(settings: Settings, *, stop: asyncio.Event | None = None, observers: Sequence[BaseMiddleware] = ()) -> None:
    from bot.app import create_bot, create_dispatcher, create_services

    services = await create_services(settings)
    bot = create_bot(settings)
    dp = create_dispatcher(services, observers=observers)
    try:
        await check_support_chat(bot, settings)
        await set_commands(bot, settings.default_language)
        if settings.use_webhook:
            await _serve_webhook(settings, bot, dp, stop or _signal_event())
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            log.info("long polling started")
            if stop is None:
                await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
            else:
                polling = asyncio.create_task(
                    dp.start_polling(bot, handle_signals=False, close_bot_session=False)
                )
                await stop.wait()
                await dp.stop_polling()
                await polling
    finally:
        await bot.session.close()
        await dp.storage.close()
        await services.close()


def _signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _serve_webhook(settings: Settings, bot: Bot, dp: Dispatcher, stop: asyncio.Event) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(
        app, path=settings.webhook_path
    )
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    url = str(settings.webhook_url).rstrip("/")
    if not url.endswith(settings.webhook_path):
        url += settings.webhook_path
    await bot.set_webhook(url, secret_token=secret, drop_pending_updates=False)
    log.info(
        "webhook listening on %s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"refund-bot: {exc}", file=sys.stderr)
        return 2
    if settings.bot_token is None:
        from bot.commands import console

        return console.main(argv)
    configure_logging()
    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        print(f"refund-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
