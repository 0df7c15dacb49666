"""`refund-bot db upgrade`: bring the database (DATABASE_URL) to the newest migration.
The bot does this by itself at start; this is for deployments that migrate first."""

from __future__ import annotations

import asyncio
import sys

from bot.config import ConfigError, load_settings


async def _upgrade(url: str) -> None:
    from bot.storage.db import create_engine, migrate

    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    if argv[:1] != ["upgrade"]:
        print("usage: refund-bot db upgrade", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        asyncio.run(_upgrade(settings.database_url))
    except ConfigError as exc:
        print(f"refund-bot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line for an unreachable database
        print(
            f"refund-bot: invalid setting DATABASE_URL: cannot migrate ({type(exc).__name__}: {exc})".splitlines()[
                0
            ],
            file=sys.stderr,
        )
        return 1
    print("database is up to date")
    return 0
