"""A pooled PostgreSQL connection is checked before use only after it sat idle: one the
server dropped meanwhile is replaced without the caller seeing an error."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import db
from tests.pool_load import connections_opened
from tests.services.conftest import asyncpg_dsn

pytestmark = pytest.mark.postgres


async def drop_connections(admin: URL, name: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(admin), timeout=5)
    try:
        dropped = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await connection.close()
    return len(dropped)


async def one(engine: sa.ext.asyncio.AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(sa.text("SELECT 1")))


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres_admin: URL, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    engine = db.create_engine(pg_url)
    try:
        assert await one(engine) == 1
        assert await drop_connections(postgres_admin, str(make_url(pg_url).database)) == 1
        await asyncio.sleep(0.3)  # idle past the limit: checked, found dead, replaced
        assert await one(engine) == 1
    finally:
        await engine.dispose()


async def test_a_connection_in_steady_use_is_not_pinged(
    postgres_admin: URL, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the trade: a connection used a moment ago goes straight to work
    (no ping round trips); dropped by the server in that moment, its statement fails once,
    and the next checkout gets a fresh connection."""
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 60.0)
    engine = db.create_engine(pg_url)
    try:
        assert await one(engine) == 1
        await drop_connections(postgres_admin, str(make_url(pg_url).database))
        with pytest.raises(DBAPIError):
            await one(engine)
        assert await one(engine) == 1
    finally:
        await engine.dispose()


async def test_a_busy_pool_keeps_its_connections_instead_of_opening_new_ones(
    pg_url: str,
) -> None:
    """Dozens of chats at once: the connections opened for the first burst serve every later
    one. (An overflow connection, closed the moment it was returned, made every few updates
    pay for a new connection and a new server process.)"""
    engine = db.create_engine(pg_url)

    async def work(connection: AsyncConnection) -> None:
        await connection.execute(sa.text("SELECT pg_sleep(0.02)"))

    try:
        assert await connections_opened(engine, work) == db.POOL_SIZE
    finally:
        await engine.dispose()
