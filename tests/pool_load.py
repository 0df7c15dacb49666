"""A pool under load, for the tests of PostgreSQL's and SQLite's pools."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage import db


async def connections_opened(
    engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[object]]
) -> int:
    """How many connections the pool opens while four bursts of POOL_SIZE + 15 callers at
    once each hold a connection for `work`."""
    opened = 0

    @sa.event.listens_for(engine.sync_engine.pool, "connect")
    def _opened(*_args: object) -> None:
        nonlocal opened
        opened += 1

    async def busy() -> None:
        async with engine.connect() as connection:
            await work(connection)

    for _ in range(4):
        await asyncio.gather(*(busy() for _ in range(db.POOL_SIZE + 15)))
    return opened
