"""Engine, sessions and migrations."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error never carries what a buyer typed into a log line
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        _rollback_only_if_open(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # with WAL, NORMAL keeps the database consistent after a crash and syncs at
            # checkpoints instead of on every commit
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    engine = create_async_engine(
        url, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=0, pool_timeout=POOL_TIMEOUT
    )
    _ping_when_idle(engine)
    return engine


def open_transaction(dbapi_connection: Any) -> bool:
    """Whether a pooled aiosqlite connection is inside a transaction, read from the
    `sqlite3` connection under it (a flag, readable from any thread); True when unknown."""
    adapted = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)
    driver = getattr(getattr(adapted, "_connection", None), "_connection", None)
    in_transaction = getattr(driver, "in_transaction", None)
    return in_transaction if isinstance(in_transaction, bool) else True


def _rollback_only_if_open(engine: AsyncEngine) -> None:
    """SQLite: a rollback is sent only when a transaction is open. SQLAlchemy rolls back
    every connection that goes back to the pool outside `engine.begin()` (each read), and on
    aiosqlite every call is a hand-off to the connection's thread and back, for a rollback
    that `sqlite3` itself would skip (it rolls back only inside a transaction, and starts
    one only at the first write)."""
    dialect = engine.sync_engine.dialect
    plain = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        if open_transaction(dbapi_connection):
            plain(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


# PostgreSQL connections one process keeps open (opened as they are first needed). No
# overflow: SQLAlchemy closes an overflow connection the moment it is returned to a full
# pool, so under load (dozens of chats side by side) every few updates paid for a new
# connection (asyncpg's handshake here, a new server process there). Past this many at
# once, an update waits for a connection instead (up to POOL_TIMEOUT seconds).
POOL_SIZE = 20
POOL_TIMEOUT = 30.0


# a pooled connection idle this long is checked before use (the server may have restarted
# or dropped it meanwhile); one in steady use is not: SQLAlchemy's pre-ping costs three
# round trips on asyncpg (begin, ping, rollback) on every checkout, about half of an
# update's database round trips. A connection that died while in steady use fails its
# statement once: the pool then drops every connection it holds, and the caller's retry
# (the inbox's, a timer's next round) gets a fresh one.
IDLE_PING_SECONDS = 2.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()  # runs in the engine's greenlet: awaits the driver
        except Exception as error:  # noqa: BLE001 - any failure: the pool takes another
            raise exc.DisconnectionError(str(error)) from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_LOCK = 0x7265_6662  # any constant shared by every instance of the bot


def _upgrade(connection: Connection) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        # several instances starting at once: one migrates, the others wait, then find
        # nothing to do
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


def head_revision(folder: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The newest migration's id, read from the files without importing Alembic; None when
    the chain has no single head (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        found = dict((name, value) for name, value in _REVISION.findall(path.read_text("utf-8")))
        if found.get("revision"):
            revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the newest migration: one query, no Alembic."""
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as connection:
            found = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).all()
    except exc.DBAPIError:  # no table yet: a new database
        return False
    return [row[0] for row in found] == [head]


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database schema to the newest migration (creates it on first run). A
    database already there is only checked (Alembic is not even imported)."""
    if await schema_is_current(engine):
        return
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
