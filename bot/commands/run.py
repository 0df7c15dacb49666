"""`refund-bot run`: long polling, or a webhook server when WEBHOOK_URL is set; without a
BOT_TOKEN, the console chat.

Either way every update goes through the durable inbox (bot.telegram.inbox): it is stored
before Telegram is told it arrived (the polling offset moves past it, or the webhook answers
200) and handled from there, so a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import secrets
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import LANGUAGES, Translator

if TYPE_CHECKING:  # aiogram is imported only once the settings are known to be good
    from collections.abc import Awaitable, Callable, Sequence

    from aiogram import Bot, Dispatcher
    from aiohttp import web

    from bot.app import Services
    from bot.ops.health import Health
    from bot.ops.metrics import Metrics
    from bot.telegram.delivery import CallbackAnswers
    from bot.telegram.inbox import InboxWorker

log = logging.getLogger("bot")
COMMANDS = ("start", "cases", "ask", "check", "human", "language", "privacy", "cancel")
POLL_TIMEOUT = 10  # seconds a getUpdates call waits for news
HOUSEKEEPING_SECONDS = 3600.0
DEFAULT_API = "https://api.telegram.org"


def configure_logging() -> None:
    logs.install()


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


async def check_bot(bot: Bot, settings: Settings) -> None:
    """The token and the Bot API server, checked once at start: a wrong one stops the bot
    with one line naming it."""
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramAPIError,
        TelegramNetworkError,
        TelegramUnauthorizedError,
    )

    server = (
        str(settings.telegram_api_url).rstrip("/") if settings.telegram_api_url else DEFAULT_API
    )
    try:
        await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConfigError(
            "invalid setting BOT_TOKEN: the Bot API server does not accept this token (Unauthorized)"
        ) from None
    except TelegramNetworkError as exc:
        reason = str(exc.message).splitlines()[0] if exc.message else type(exc).__name__
        raise ConfigError(
            f"invalid setting TELEGRAM_API_URL: cannot reach the Bot API server at {server} ({reason})"
        ) from None
    except (TelegramAPIError, ClientDecodeError):
        raise ConfigError(
            f"invalid setting TELEGRAM_API_URL: {server} does not answer like a Bot API server"
        ) from None


def install_delivery(bot: Bot, dp: Dispatcher, settings: Settings) -> CallbackAnswers:
    """Retries and exactly-once callback answers on every call the bot makes."""
    from bot.telegram.delivery import CallbackAnswers, EnsureAnswered, RetryRequests

    answers = CallbackAnswers()
    bot.session.middleware(answers)  # outermost: a retried answer still counts once
    bot.session.middleware(RetryRequests(settings.telegram_retry_seconds))
    dp.callback_query.outer_middleware(EnsureAnswered(answers))
    dp["callback_answers"] = answers
    return answers


async def check_support_chat(bot: Bot, settings: Settings) -> None:
    """The support group must be a forum where the bot may post, manage topics and pin."""
    from bot.telegram.handlers.support.workspace import check_setup

    await check_setup(bot, settings)


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    observers: Sequence[Callable[..., Any]] = (),
) -> None:
    """Run until `stop` is set (SIGTERM, SIGINT), then stop within SHUTDOWN_TIMEOUT seconds:
    no new updates are taken (polling stops fetching; the webhook answers 503), the support
    worker stops claiming work, the updates being handled finish, the outbox messages that
    are due are delivered, and the connections are closed. What is left (updates queued
    behind, messages not yet due) stays in the database for the next start."""
    from bot.app import create_bot, create_dispatcher, create_services
    from bot.ops.health import RUNNING, STOPPING, BotApiWatch, Health
    from bot.ops.metrics import Metrics, UpdateMetrics
    from bot.ops.server import start_server
    from bot.telegram.inbox import InboxWorker

    if settings.bot_token is not None:
        logs.add_secret(settings.bot_token.get_secret_value())
    services = await create_services(settings)
    bot = create_bot(settings)
    dp = create_dispatcher(services, observers=[UpdateMetrics(), *observers])
    stop = stop or _signal_event()
    worker: InboxWorker | None = None
    background: list[asyncio.Task[None]] = []
    # what aiogram's own polling and webhook runners hand to startup and shutdown handlers
    lifecycle: dict[str, Any] = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    started = False
    watch = BotApiWatch()
    health = Health(
        services.engine, services.redis, bot_api=watch, polling=not settings.use_webhook
    )
    metrics = Metrics(services.engine, gateway=lambda: services.llm)
    ops_server: web.AppRunner | None = None
    try:
        if settings.metrics_port is not None:  # /healthz says "starting" until the bot runs
            ops_server = await start_server(
                settings.metrics_host, settings.metrics_port, health, metrics
            )
            log.info("/healthz and /metrics on %s:%s", settings.metrics_host, settings.metrics_port)
        await check_bot(bot, settings)
        watch.succeeded()
        answers = install_delivery(bot, dp, settings)
        bot.session.middleware(watch)  # innermost: every attempt of every call
        await check_support_chat(bot, settings)
        await set_commands(bot, settings.default_language)
        await dp.emit_startup(bot=bot, **lifecycle)  # the routers' startup checks and workers
        started = True
        worker = InboxWorker(bot, dp, services.inbox, answers=answers)
        recovered = await worker.recover()
        if recovered:
            log.info("inbox: %d updates left from the last run are handled first", recovered)
        background = [
            asyncio.create_task(worker.sweep_forever(), name="inbox-sweep"),
            asyncio.create_task(_housekeeping(services), name="housekeeping"),
        ]
        from bot import web  # the support web console, when WEB_PORT is set

        if (console_task := web.start(settings, services, bot=bot, dispatcher=dp)) is not None:
            background.append(console_task)
        gc.freeze()  # what start-up built lives as long as the process: no collection walks it
        health.state = RUNNING
        if settings.use_webhook:
            await _serve_webhook(settings, bot, dp, worker, stop, health, metrics)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            log.info("long polling started")
            await _poll(bot, dp, worker, stop)
    finally:
        health.state = STOPPING
        await _shutdown(
            settings,
            Countdown(settings.shutdown_timeout),
            bot=bot,
            dp=dp,
            services=services,
            worker=worker,
            background=background,
            lifecycle=lifecycle if started else None,
            ops_server=ops_server,
        )


class Countdown:
    """The time a stop may still take."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, keep: float = 0.0) -> float:
        return max(0.0, self.end - time.monotonic() - keep)

    async def run(self, step: Awaitable[Any], what: str, *, keep: float = 0.0) -> bool:
        """Await `step` for at most the time left (minus `keep` for the steps after it);
        cancel it when time is up."""
        try:
            await asyncio.wait_for(step, max(self.left(keep), 0.01))
        except TimeoutError:
            log.warning("stopping: %s did not finish in time; left for the next start", what)
            return False
        except Exception as exc:  # noqa: BLE001 - a failed step must not stop the others
            log.warning("stopping: %s failed (%s)", what, type(exc).__name__)
            return False
        return True


async def _shutdown(
    settings: Settings,
    countdown: Countdown,
    *,
    bot: Bot,
    dp: Dispatcher,
    services: Services,
    worker: InboxWorker | None,
    background: list[asyncio.Task[None]],
    lifecycle: dict[str, Any] | None,
    ops_server: web.AppRunner | None,
) -> None:
    """The stop, in order; every step bounded by what is left of SHUTDOWN_TIMEOUT. The last
    second or so is kept for closing the connections."""
    closing = min(2.0, settings.shutdown_timeout / 5)
    for task in background:  # the inbox sweep and housekeeping claim nothing new
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    steps: list[tuple[Awaitable[Any], str]] = []
    if lifecycle is not None:  # the support worker ends its current round and stops
        steps.append((dp.emit_shutdown(bot=bot, **lifecycle), "the support worker"))
    if worker is not None:  # the updates being handled finish
        steps.append((worker.close(grace=countdown.left(closing + 0.5)), "updates in flight"))
    if steps:
        await asyncio.gather(*(countdown.run(step, what, keep=closing) for step, what in steps))
    workspace = dp.workflow_data.get("workspace")
    if lifecycle is not None and workspace is not None:
        # what the last updates (and the clock) made due goes out now, not at the next start
        await countdown.run(workspace.deliver_due(), "delivering the outbox", keep=closing)
    closers: list[Awaitable[Any]] = [bot.session.close(), dp.storage.close(), services.close()]
    if ops_server is not None:
        closers.append(ops_server.cleanup())
    for closer in closers:
        await countdown.run(closer, "closing connections", keep=0.0)
    if lifecycle is not None:  # a start that failed says so in one line, not two
        log.info("stopped")


def _signal_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _poll(bot: Bot, dp: Dispatcher, worker: InboxWorker, stop: asyncio.Event) -> None:
    """getUpdates in a loop. The offset moves past an update only once the inbox holds it:
    when the database is down, Telegram keeps the updates and delivers them again."""
    from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError

    allowed = dp.resolve_used_update_types()
    offset: int | None = None
    pause = 0.5
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.create_task(
                bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT,
                    allowed_updates=allowed,
                    request_timeout=POLL_TIMEOUT + 20,
                )
            )
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                break
            try:
                updates = fetch.result()
            except TelegramUnauthorizedError:
                raise ConfigError(
                    "invalid setting BOT_TOKEN: the Bot API server no longer accepts this token (Unauthorized)"
                ) from None
            except Exception as exc:  # noqa: BLE001 - network, 5xx, 429, another instance polling
                level = logging.ERROR if isinstance(exc, TelegramConflictError) else logging.WARNING
                log.log(
                    level,
                    "getUpdates failed (%s); trying again in %.1fs",
                    type(exc).__name__,
                    pause,
                )
                await _pause(stop, pause)
                pause = min(pause * 2, 30.0)
                continue
            if not updates:
                pause = 0.5
                continue
            try:
                await worker.accept(updates)
            except Exception as exc:  # noqa: BLE001 - not stored: not acknowledged
                log.warning(
                    "cannot store %d updates (%s); Telegram keeps them until they are",
                    len(updates),
                    type(exc).__name__,
                )
                await worker.tell_unavailable(updates)
                await _pause(stop, pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 0.5
            offset = updates[-1].update_id + 1
    finally:
        stopping.cancel()


class WebhookEndpoint:
    """Telegram's webhook calls: the secret header is checked, the body must be one update
    object; it is stored in the inbox before the 200 answer."""

    def __init__(self, bot: Bot, worker: InboxWorker, secret: str) -> None:
        self.bot = bot
        self.worker = worker
        self.secret = secret.encode()
        self.closing = False  # stopping: updates are left to Telegram to deliver again

    async def handle(self, request: web.Request) -> web.StreamResponse:
        from aiogram.types import Update
        from aiohttp import web

        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode(
            "utf-8", "replace"
        )
        if not hmac.compare_digest(given, self.secret):
            log.warning(
                "webhook: request without the right secret refused (from %s)", request.remote
            )
            return web.Response(status=401, text="unauthorized")
        if self.closing:
            return web.Response(status=503, text="unavailable")
        raw = await request.read()
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            log.warning("webhook: body that is not JSON refused (%d bytes)", len(raw))
            return web.Response(status=400, text="bad request")
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("update_id"), int)
            or isinstance(body.get("update_id"), bool)
        ):
            log.warning("webhook: body that is not an update object refused (%d bytes)", len(raw))
            return web.Response(status=400, text="bad request")
        try:
            update = Update.model_validate(body, context={"bot": self.bot})
        except Exception:  # noqa: BLE001 - pydantic's error quotes the body: not logged
            log.warning("webhook: update %s does not parse; refused", body["update_id"])
            return web.Response(status=400, text="bad request")
        try:
            await self.worker.accept([update])
        except Exception as exc:  # noqa: BLE001 - not stored: Telegram must deliver it again
            log.warning(
                "webhook: cannot store update %s (%s); answering 503",
                update.update_id,
                type(exc).__name__,
            )
            await self.worker.tell_unavailable([update])
            return web.Response(status=503, text="unavailable")
        return web.json_response({})


async def _serve_webhook(
    settings: Settings,
    bot: Bot,
    dp: Dispatcher,
    worker: InboxWorker,
    stop: asyncio.Event,
    health: Health,
    metrics: Metrics,
) -> None:
    """The webhook (and /healthz, /metrics) until `stop`; then new webhook calls are
    answered 503 (Telegram, or the proxy, delivers them again elsewhere or later) and the
    calls being stored are let finish before the server closes."""
    from aiohttp import web

    from bot.ops.server import add_routes

    if settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
    else:
        secret = secrets.token_urlsafe(48)
        log.warning(
            "WEBHOOK_SECRET is not set: a random secret was generated for this run and given to setWebhook"
        )
    logs.add_secret(secret)
    endpoint = WebhookEndpoint(bot, worker, secret)
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(settings.webhook_path, endpoint.handle)
    add_routes(app, health, metrics)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=min(5.0, settings.shutdown_timeout / 4)
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    url = str(settings.webhook_url).rstrip("/")
    if not url.endswith(settings.webhook_path):
        url += settings.webhook_path
    try:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info(
            "webhook listening on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stop.wait()
    finally:
        endpoint.closing = True
        health.state = "stopping"
        await runner.cleanup()


async def _housekeeping(services: Services) -> None:
    """Hourly: forget handled updates Telegram can no longer repeat; remove the personal
    data of cases closed more than RETENTION_DAYS ago."""
    from datetime import timedelta

    while True:
        await asyncio.sleep(5.0)
        try:
            pruned = await services.inbox.prune()
            purged = 0
            if services.settings.retention_days > 0:
                purged = await services.privacy.purge_closed(
                    older_than=timedelta(days=services.settings.retention_days)
                )
            if pruned or purged:
                log.info(
                    "housekeeping: %d handled updates forgotten, %d closed cases anonymised",
                    pruned,
                    purged,
                )
        except Exception as exc:  # noqa: BLE001 - the database is down: next round
            log.warning("housekeeping failed (%s)", type(exc).__name__)
        await asyncio.sleep(HOUSEKEEPING_SECONDS)


def main(argv: list[str]) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"refund-bot: {logs.redact(str(exc))}", file=sys.stderr)
        return 2
    if settings.bot_token is None:
        from bot.commands import console

        return console.main(argv)
    if argv:
        print(f"refund-bot run: unexpected arguments: {' '.join(argv)[:80]}", file=sys.stderr)
        return 2
    configure_logging()
    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        print(f"refund-bot: {logs.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
