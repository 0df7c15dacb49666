"""`refund-bot web`: the support web console alone (the bot runs elsewhere and shares the
database). Needs BOT_TOKEN: the relay and the evidence pictures go through the Bot API."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot import logs
from bot.config import ConfigError, load_settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="refund-bot web", description=__doc__)
    parser.add_argument("--host", help="address to listen on (default: WEB_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: WEB_PORT or 8081)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"refund-bot: {logs.redact(str(exc))}", file=sys.stderr)
        return 2
    if settings.bot_token is None:
        print("refund-bot web: invalid setting BOT_TOKEN: missing", file=sys.stderr)
        return 2
    logs.install()
    logs.add_secret(settings.bot_token.get_secret_value())
    try:
        asyncio.run(_serve(settings, host=args.host, port=args.port))
    except ConfigError as exc:
        print(f"refund-bot: {logs.redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(
    settings: object,
    *,
    host: str | None,
    port: int | None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until interrupted (or until `stop` is set)."""
    import contextlib

    from bot.app import create_bot, create_services
    from bot.config import Settings
    from bot.web.config import load_web_settings
    from bot.web.server import build_context, make_server, run_server

    assert isinstance(settings, Settings)
    web = load_web_settings()
    overrides = {"host": host or web.host, "port": port or web.port or 8081}
    web = web.model_copy(update=overrides)
    services = await create_services(settings)
    bot = create_bot(settings)
    try:
        ctx = build_context(settings, services, bot=bot, web=web)
        server = make_server(ctx, host=web.host, port=int(web.port or 8081))
        print(f"refund-bot web: serving on {web.public_url()}", file=sys.stderr)
        task = asyncio.create_task(run_server(server))
        if stop is None:
            await task
        else:
            await stop.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await bot.session.close()
        await services.close()
