"""Serving the console: beside the bot in its own process (`WEB_PORT`), or alone
(`refund-bot web`). uvicorn runs inside the caller's event loop and leaves the process's
signals to the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.app import Services
from bot.config import Settings
from bot.web.config import WebSettings, load_web_settings
from bot.web.context import WebContext, bot_operators

log = logging.getLogger(__name__)


class Server(uvicorn.Server):
    """uvicorn without its signal handlers: the bot owns SIGINT and SIGTERM."""

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
        yield


def build_context(
    settings: Settings,
    services: Services,
    *,
    bot: Any,
    web: WebSettings,
    dispatcher: Any = None,
) -> WebContext:
    own_operators = bot_operators(bot, settings, ttl=web.role_cache_seconds)
    own_workspace: list[Any] = []

    def operators() -> Any:
        if dispatcher is not None and "operators" in dispatcher.workflow_data:
            return dispatcher.workflow_data["operators"]
        return own_operators

    def workspace() -> Any:
        if dispatcher is not None and "workspace" in dispatcher.workflow_data:
            return dispatcher.workflow_data["workspace"]
        if not own_workspace and settings.support_chat_id is not None:
            from bot.telegram.handlers.support.workspace import Workspace

            own_workspace.append(Workspace(bot, services.support, settings, instance="web"))
        return own_workspace[0] if own_workspace else None

    return WebContext(
        settings=settings,
        web=web,
        support=services.support,
        sessions=services.sessions,
        policy=services.policy,
        bot=bot,
        operators_of=operators,
        workspace_of=workspace,
        kb=services.kb,
    )


def make_server(ctx: WebContext, *, host: str, port: int) -> Server:
    from bot.web.app import create_app

    config = uvicorn.Config(
        create_app(ctx),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        server_header=False,
        proxy_headers=True,
    )
    return Server(config)


async def run_server(server: Server) -> None:
    """Serve until cancelled, then close the listening socket and the open connections."""
    task = asyncio.create_task(server.serve())
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        raise


def start_in_process(
    settings: Settings, services: Services, *, bot: Any, dispatcher: Any = None
) -> asyncio.Task[None] | None:
    web = load_web_settings()
    if web.port is None:
        return None
    ctx = build_context(settings, services, bot=bot, web=web, dispatcher=dispatcher)
    server = make_server(ctx, host=web.host, port=web.port)
    log.info("web console on %s", web.public_url())
    return asyncio.create_task(run_server(server), name="web-console")
