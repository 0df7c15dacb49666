"""Fixtures for tests against real PostgreSQL and Redis servers.

Servers: TEST_POSTGRES_URL (default below) and TEST_REDIS_URL (default: Redis db 15).
When a server cannot be reached the dependent tests are skipped, except under CI=true,
where they fail: a CI run must not turn green by skipping the service tests.

Isolation: every PostgreSQL test runs in a database of its own, created for it and
dropped afterwards; every Redis test uses a fresh key prefix and a random bot id, and
deletes the keys it made.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NoReturn, TypeVar

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.db import create_engine, migrate, session_factory
from tests.services.support import RecordingSession, RedisScope

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
CONNECT_TIMEOUT = 5.0

T = TypeVar("T")


# --- reaching the servers -------------------------------------------------------------


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def unavailable(service: str, variable: str, url: str, error: BaseException) -> NoReturn:
    """Skip the test, or fail it under CI=true, because `service` cannot be reached."""
    reason = f"{service} at {url} is not available ({type(error).__name__}: {error}); point {variable} at a running server"
    if under_ci():
        pytest.fail(
            f"{reason}. CI=true: the service tests must run, so this is a failure, not a skip.",
            pytrace=False,
        )
    pytest.skip(reason)


def run_in_thread(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a private event loop, away from the tests' own loops."""

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def postgres_url() -> URL:
    return make_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


def asyncpg_dsn(url: URL) -> str:
    """The asyncpg form of a SQLAlchemy URL (postgresql+asyncpg:// -> postgresql://)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL


def redis_shown(url: str) -> str:
    try:  # good enough to hide a password in redis://user:pass@host/db
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "TEST_REDIS_URL"


@pytest.fixture(scope="session")
def postgres_admin() -> URL:
    """The server URL, checked once per run: skips (or fails under CI) when unreachable."""
    url = postgres_url()

    async def probe() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)
        try:
            await connection.fetchval("SELECT 1")
        finally:
            await connection.close()

    try:
        run_in_thread(probe)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
        unavailable("PostgreSQL", "TEST_POSTGRES_URL", shown(url), exc)
    return url


@pytest.fixture(scope="session")
def redis_server() -> str:
    url = redis_url()

    async def probe() -> None:
        client = Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
        )
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        run_in_thread(probe)
    except Exception as exc:  # noqa: BLE001
        unavailable("Redis", "TEST_REDIS_URL", redis_shown(url), exc)
    return url


# --- PostgreSQL -----------------------------------------------------------------------


async def _admin(url: URL) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(url), timeout=CONNECT_TIMEOUT)


async def create_database(admin_url: URL, name: str, template: str | None = None) -> None:
    admin = await _admin(admin_url)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        for attempt in range(20):
            try:
                await admin.execute(f'CREATE DATABASE "{name}"{clause}')
                return
            except asyncpg.ObjectInUseError:  # the template's last backend is still exiting
                if attempt == 19:
                    raise
                await asyncio.sleep(0.05)
    finally:
        await admin.close()


async def drop_database(admin_url: URL, name: str) -> None:
    admin = await _admin(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def database_name() -> str:
    return f"refundbot_test_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def pg_template(postgres_admin: URL) -> Iterator[str]:
    """A database migrated once per run; each test that wants a migrated database gets a
    copy of it (much cheaper than migrating again)."""
    name = f"{database_name()}_template"

    async def build() -> None:
        await create_database(postgres_admin, name)
        engine = create_engine(
            postgres_admin.set(database=name).render_as_string(hide_password=False)
        )
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    run_in_thread(build)
    try:
        yield name
    finally:
        run_in_thread(lambda: drop_database(postgres_admin, name))


@pytest.fixture
async def pg_url(postgres_admin: URL) -> AsyncIterator[str]:
    """A fresh, empty database for this test (dropped afterwards); its SQLAlchemy URL."""
    name = database_name()
    await create_database(postgres_admin, name)
    try:
        yield postgres_admin.set(database=name).render_as_string(hide_password=False)
    finally:
        await drop_database(postgres_admin, name)


@pytest.fixture
async def migrated_url(postgres_admin: URL, pg_template: str) -> AsyncIterator[str]:
    """A fresh database of this test's own, already migrated; its SQLAlchemy URL."""
    name = database_name()
    await create_database(postgres_admin, name, template=pg_template)
    try:
        yield postgres_admin.set(database=name).render_as_string(hide_password=False)
    finally:
        await drop_database(postgres_admin, name)


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty test database, made the way the bot makes it."""
    engine = create_engine(pg_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated test database."""
    engine = create_engine(migrated_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


# --- Redis ----------------------------------------------------------------------------


@pytest.fixture
async def redis_scope(redis_server: str) -> AsyncIterator[RedisScope]:
    scope = RedisScope(redis_server)
    try:
        yield scope
    finally:
        await scope.cleanup()


@pytest.fixture
async def redis(redis_scope: RedisScope) -> AsyncIterator[Redis]:
    client = redis_scope.client()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def recording_session() -> RecordingSession:
    return RecordingSession()
