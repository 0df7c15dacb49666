"""Helpers to run a real aiogram bot against the fake server (polling or webhook)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

if TYPE_CHECKING:
    from .client import FakeTelegramClient
    from .server import FakeTelegramServer

__all__ = ["PlainHttpSession", "make_bot", "run_polling", "run_webhook"]


class PlainHttpSession(AiohttpSession):
    """aiogram's session without the 250 ms grace sleep on close (only useful for TLS)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(server: FakeTelegramServer | str, token: str | None = None, **bot_kwargs: Any) -> Bot:
    """A real ``Bot`` talking to the fake server (a started server or its base URL)."""
    if isinstance(server, str):
        base_url = server
        if token is None:
            raise ValueError("token is required with a base URL")
    else:
        base_url = server.base_url
        token = token or server.token
    session = PlainHttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(token, session=session, **bot_kwargs)


@contextlib.asynccontextmanager
async def run_polling(
    dp: Dispatcher,
    bot: Bot,
    tg: FakeTelegramClient,
    *,
    polling_timeout: int = 1,
    start_timeout: float = 5.0,
    **kwargs: Any,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``dp.start_polling(bot)`` in the background until the block ends, then stop it.

    Waits until the bot's first getUpdates is waiting on the server. The bot session is not
    closed (``close_bot_session=False``); errors of the polling task are re-raised.
    """
    kwargs.setdefault("handle_signals", False)
    kwargs.setdefault("close_bot_session", False)
    task = asyncio.create_task(dp.start_polling(bot, polling_timeout=polling_timeout, **kwargs))
    waiter = asyncio.create_task(tg.wait_polling(timeout=start_timeout))
    done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        await task  # raises the startup error, if any
        raise RuntimeError("polling stopped before it started")
    try:
        await waiter
    except BaseException:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise
    try:
        yield task
    finally:
        if not task.done():
            with contextlib.suppress(RuntimeError):
                await dp.stop_polling()
        await task


@contextlib.asynccontextmanager
async def run_webhook(
    dp: Dispatcher,
    bot: Bot,
    *,
    secret_token: str | None = None,
    handle_in_background: bool = True,
    path: str = "/webhook",
    set_webhook: bool = False,
) -> AsyncIterator[str]:
    """Serve ``dp`` with aiogram's ``SimpleRequestHandler`` on a free local port; yield the URL.

    With ``set_webhook=True`` the webhook is registered (with the secret) and removed at the end.
    """
    app = web.Application()
    handler = SimpleRequestHandler(
        dp, bot, handle_in_background=handle_in_background, secret_token=secret_token
    )
    handler.register(app, path=path)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}{path}"
    try:
        if set_webhook:
            await bot.set_webhook(url, secret_token=secret_token)
        yield url
        if set_webhook:
            await bot.delete_webhook()
    finally:
        await runner.cleanup()
