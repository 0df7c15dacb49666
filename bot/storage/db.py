"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        in_file = bool(database) and database != ":memory:"
        if database and in_file:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error never carries what a buyer typed into a log line
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            hide_parameters=True,
            **(_kept_pool() if in_file else {}),  # in memory: one connection, always kept
        )
        _rollback_only_if_open(engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            _set_pragmas(dbapi_connection)

        if database and in_file:
            _WRITERS[engine.sync_engine] = writer = SQLiteWriter(database)
            event.listen(engine.sync_engine, "engine_disposed", lambda _engine: writer.stop())
        return engine
    engine = create_async_engine(url, hide_parameters=True, **_kept_pool())
    _ping_when_idle(engine)
    return engine


def _set_pragmas(connection: Any) -> None:
    """Every SQLite connection of the process: the pool's and the writer's."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # with WAL, NORMAL keeps the database consistent after a crash and syncs at
    # checkpoints instead of on every commit
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _open_writer(database: str) -> sqlite3.Connection:
    """On the writer's thread: the connection, as the pool's are opened and set up."""
    connection = sqlite3.connect(database, timeout=30)
    _set_pragmas(connection)
    return connection


class SQLiteWriter:
    """One connection of a SQLite file engine kept for `run_writes`, outside the pool.

    Taking a pooled connection and giving it back (SQLAlchemy's checkout and checkin, each
    through a greenlet) cost more CPU than the unit of work it carried. This one lives on a
    thread of its own, opened at the first unit of work and closed with the engine
    (`dispose`; the next unit then opens it again). Its units run one after another, in the
    order they were queued, as SQLite lets one writer at a time anyway; the pool's
    connections (reads, the ORM's writes) wait for it as for each other (`busy_timeout`).
    Each unit is one hand-off, as on aiosqlite's thread. The thread is a daemon: an engine
    never disposed does not keep the process alive at exit."""

    hand_offs = 0  # every unit queued, by every writer (the benchmark's count)

    def __init__(self, database: str) -> None:
        self.database = database
        self._queue: (
            SimpleQueue[tuple[asyncio.Future[Any], Callable[[sqlite3.Connection], Any]] | None]
            | None
        ) = None
        self.opened = 0

    async def run(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """`work(connection)` on the writer's thread; what it returns or raises."""
        if self._queue is None:
            self._queue = SimpleQueue()
            self.opened += 1
            threading.Thread(
                target=self._serve,
                args=(self.database, self._queue),
                daemon=True,
                name="sqlite-writer",
            ).start()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        SQLiteWriter.hand_offs += 1
        self._queue.put((future, work))
        return await future

    def stop(self) -> None:
        """Close the connection once the units already queued have run."""
        queue, self._queue = self._queue, None
        if queue is not None:
            queue.put(None)

    @staticmethod
    def _serve(database: str, queue: SimpleQueue[Any]) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while (item := queue.get()) is not None:
                future, work = item
                try:
                    if connection is None:
                        connection = _open_writer(database)
                    outcome, failed = work(connection), False
                except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
                    outcome, failed = error, True
                with contextlib.suppress(RuntimeError):  # its loop is gone: nobody waits
                    future.get_loop().call_soon_threadsafe(_settle, future, outcome, failed)
        finally:
            if connection is not None:
                connection.close()


def _settle(future: asyncio.Future[Any], outcome: Any, failed: bool) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if failed:
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


# the writer of each SQLite file engine made by `create_engine`
_WRITERS: weakref.WeakKeyDictionary[Engine, SQLiteWriter] = weakref.WeakKeyDictionary()


def sqlite_writer(engine: AsyncEngine) -> SQLiteWriter | None:
    return _WRITERS.get(engine.sync_engine)


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


# Connections one process keeps open (opened as they are first needed). No overflow:
# SQLAlchemy closes an overflow connection the moment it is returned to a full pool, so
# under load (dozens of chats side by side) every few updates paid for a new connection
# (on PostgreSQL asyncpg's handshake and a new server process; on SQLite a new aiosqlite
# thread, the file opened and its pragmas set). Past this many at once, an update waits
# for a connection instead (up to POOL_TIMEOUT seconds).
POOL_SIZE = 20
POOL_TIMEOUT = 30.0


def _kept_pool() -> dict[str, Any]:
    return {"pool_size": POOL_SIZE, "max_overflow": 0, "pool_timeout": POOL_TIMEOUT}


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


# --- a unit of work in one step ------------------------------------------------------------

# a prebuilt statement and the values of its parameters
Write = tuple[Executable, Mapping[str, Any]]


@dataclass
class RawCounts:
    """Statements and commits the one-step path sent past SQLAlchemy's execution events (a
    benchmark adds them to what those events count)."""

    statements: int = 0
    commits: int = 0


RAW_COUNTS = RawCounts()


@dataclass(frozen=True)
class _SQLiteStatement:
    statement: Executable  # kept alive while it is cached by id
    sql: str
    compiled: Any
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_SQLITE_STATEMENTS: dict[int, _SQLiteStatement] = {}


def _sqlite_statement(statement: Executable, dialect: Dialect) -> _SQLiteStatement:
    """A statement compiled once for SQLite: its SQL, its parameters in order and the
    conversions SQLAlchemy applies to their values (JSON, dates)."""
    found = _SQLITE_STATEMENTS.get(id(statement))
    if found is not None and found.statement is statement:
        return found
    if len(_SQLITE_STATEMENTS) > 256:  # statements made per call: compiled each time
        _SQLITE_STATEMENTS.clear()
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    made = _SQLITE_STATEMENTS[id(statement)] = _SQLiteStatement(
        statement, str(compiled), compiled, names, processors
    )
    return made


def _sqlite_prepared(
    statement: Executable, values: Mapping[str, Any], dialect: Dialect
) -> tuple[str, list[Any]]:
    """A prebuilt statement's SQL and its values in order, converted as SQLAlchemy would."""
    made = _sqlite_statement(statement, dialect)
    params = made.compiled.construct_params(dict(values))
    return made.sql, [
        process(params[name]) if process is not None else params[name]
        for name, process in zip(made.names, made.processors, strict=True)
    ]


def _run_sqlite(connection: sqlite3.Connection, prepared: list[tuple[str, list[Any]]]) -> list[int]:
    """On the connection's own thread: every statement, then the commit; all rolled back
    when any of them fails."""
    if not connection.in_transaction:
        connection.execute("BEGIN")
    try:
        counts = [connection.execute(sql, values).rowcount for sql, values in prepared]
        connection.commit()
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    return counts


async def _run_pooled(engine: AsyncEngine, work: Callable[[sqlite3.Connection], T]) -> T:
    """In memory (one connection, the pool's): `work` on the pooled connection itself,
    without SQLAlchemy's Connection around it."""
    raw = await engine.raw_connection()
    try:
        driver: Any = raw.driver_connection  # aiosqlite's Connection
        done: T = await driver._execute(lambda: work(driver._conn))
        return done
    finally:
        await greenlet_spawn(raw.close)  # back to the pool (rolled back if left open)


async def _run_on_sqlite(
    engine: AsyncEngine, work: Callable[[sqlite3.Connection], T], first_sql: Callable[[], str]
) -> T:
    """`work` with the `sqlite3` connection of a SQLite engine: its write connection's
    thread (a file) or the pooled connection's (in memory); a `sqlite3` error raised as
    SQLAlchemy raises it (`first_sql`: the statement it names)."""
    writer = _WRITERS.get(engine.sync_engine)
    try:
        if writer is not None:  # a file: the engine's own write connection
            done: T = await writer.run(work)
            return done
        return await _run_pooled(engine, work)
    except sqlite3.Error as error:  # as SQLAlchemy would have raised it
        raise exc.DBAPIError.instance(
            first_sql(),
            None,
            error,
            sqlite3.Error,
            hide_parameters=True,
            dialect=engine.dialect,
        ) from error


async def run_writes(
    engine: AsyncEngine, writes: Sequence[Write], *, alone: AsyncEngine | None = None
) -> list[int]:
    """Run prebuilt statements in one transaction; their row counts.

    On SQLite the whole transaction (BEGIN, the statements, COMMIT) is one hand-off to the
    thread of the engine's write connection (`SQLiteWriter`; in memory, to the pooled
    connection's aiosqlite thread) instead of three or four per statement (cursor, execute,
    close) and one for the commit, each costing the event loop a wake-up. Elsewhere the statements go
    through SQLAlchemy; a single one runs on `alone` when given (an AUTOCOMMIT engine:
    PostgreSQL commits it on its own, with no BEGIN or COMMIT round trip)."""
    if engine.dialect.name == "sqlite":
        prepared = [
            _sqlite_prepared(statement, values, engine.dialect) for statement, values in writes
        ]
        counts = await _run_on_sqlite(
            engine,
            partial(_run_sqlite, prepared=prepared),
            lambda: prepared[0][0] if prepared else "",
        )
        RAW_COUNTS.statements += len(prepared)
        RAW_COUNTS.commits += 1
        return counts
    if len(writes) == 1 and alone is not None:
        statement, values = writes[0]
        async with alone.connect() as connection:
            result = await connection.execute(statement, dict(values))
            return [int(result.rowcount or 0)]
    async with engine.begin() as connection:
        found = []
        for statement, values in writes:
            result = await connection.execute(statement, dict(values))
            found.append(int(result.rowcount or 0))
        return found


# --- a unit of work whose statements depend on each other ----------------------------------


class Unit(Protocol):
    """What a unit of work run by `run_unit` is given: prebuilt statements run in its
    transaction."""

    def execute(self, statement: Executable, values: Mapping[str, Any]) -> int:
        """Run a statement; its row count."""
        ...

    def insert(self, statement: Executable, values: Mapping[str, Any]) -> int:
        """Run an INSERT of one row; the integer primary key the database gave it."""
        ...

    def scalar(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        """Run a query; the first column of its first row (None without one), as the
        driver returns it (plain numbers and strings only: no SQLAlchemy conversion)."""
        ...


class _SQLiteUnit:
    """A unit on the `sqlite3` connection itself, on its own thread."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self.connection = connection
        self.dialect = dialect
        self.statements = 0

    def _run(self, statement: Executable, values: Mapping[str, Any]) -> sqlite3.Cursor:
        sql, params = _sqlite_prepared(statement, values, self.dialect)
        self.statements += 1
        return self.connection.execute(sql, params)

    def execute(self, statement: Executable, values: Mapping[str, Any]) -> int:
        return int(self._run(statement, values).rowcount)

    def insert(self, statement: Executable, values: Mapping[str, Any]) -> int:
        row_id = self._run(statement, values).lastrowid
        assert row_id is not None
        return int(row_id)

    def scalar(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        row = self._run(statement, values).fetchone()
        return None if row is None else row[0]


class _ConnectionUnit:
    """A unit through SQLAlchemy's (synchronous) Connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def execute(self, statement: Executable, values: Mapping[str, Any]) -> int:
        return int(self.connection.execute(statement, dict(values)).rowcount or 0)

    def insert(self, statement: Executable, values: Mapping[str, Any]) -> int:
        key = self.connection.execute(statement, dict(values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def scalar(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        return self.connection.execute(statement, dict(values)).scalar()


def _sqlite_unit(
    connection: sqlite3.Connection, work: Callable[[Unit], T], dialect: Dialect
) -> tuple[T, int]:
    """On the connection's own thread: BEGIN, `work`, COMMIT; all rolled back when it
    raises. What it returned, and how many statements it ran."""
    unit = _SQLiteUnit(connection, dialect)
    if not connection.in_transaction:
        connection.execute("BEGIN")
    try:
        done = work(unit)
        connection.commit()
    except BaseException:
        if connection.in_transaction:  # nothing of a failed unit is kept
            connection.rollback()
        raise
    return done, unit.statements


async def run_unit(engine: AsyncEngine, work: Callable[[Unit], T]) -> T:
    """Run `work` in one transaction, where a statement may need what an earlier one
    returned (the id a row was given); what `work` returns. It must only run statements
    (it may run on another thread) and be ready to run again if the caller retries.

    On SQLite the whole transaction is one hand-off to the write connection's thread, as
    `run_writes` (the statements compiled once, their values converted as SQLAlchemy
    would); elsewhere it runs on a SQLAlchemy Connection in `engine.begin()`."""
    if engine.dialect.name == "sqlite":
        dialect = engine.dialect
        done, statements = await _run_on_sqlite(
            engine, partial(_sqlite_unit, work=work, dialect=dialect), lambda: ""
        )
        RAW_COUNTS.statements += statements
        RAW_COUNTS.commits += 1
        return done
    async with engine.begin() as connection:
        return await connection.run_sync(lambda sync: work(_ConnectionUnit(sync)))
