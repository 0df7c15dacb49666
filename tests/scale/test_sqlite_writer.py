"""SQLite: the units of work of `run_writes` (an update stored; its state written with its done
mark) go to a write connection of their own, outside the pool, set up as the pool's
connections are, closed with the engine, and never keeping the process alive."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.inbox import DONE, InboxService
from bot.storage import db
from bot.storage.db import create_engine, sqlite_writer
from tests.unit.test_one_step_writes import update

ROOT = Path(__file__).resolve().parents[2]


async def test_units_of_work_take_no_pooled_connection(engine: AsyncEngine) -> None:
    checkouts: list[int] = []
    event.listen(engine.sync_engine.pool, "checkout", lambda *_a: checkouts.append(1))
    inbox = InboxService(engine)
    for n in range(5):
        assert [i.update_id for i in await inbox.store(1, [update(n)])] == [n]
        await inbox.done(1, n)
    assert checkouts == []
    assert await inbox.status(1, 4) == DONE  # (a read: the pool's connection)
    assert checkouts == [1]


async def test_the_write_connection_is_set_up_as_the_pools(engine: AsyncEngine) -> None:
    writer = sqlite_writer(engine)
    assert writer is not None

    def pragmas(connection: Any) -> tuple[Any, ...]:
        return tuple(
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        )

    assert await writer.run(pragmas) == ("wal", 1, 1, 30000)
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        pooled = await raw.driver_connection._execute(lambda: pragmas(raw.driver_connection._conn))
    assert pooled == ("wal", 1, 1, 30000)


async def test_dispose_closes_the_write_connection_and_the_next_unit_opens_it(
    engine: AsyncEngine,
) -> None:
    writer = sqlite_writer(engine)
    assert writer is not None
    inbox = InboxService(engine)
    await inbox.store(1, [update(1)])
    threads = [t for t in threading.enumerate() if t.name == "sqlite-writer"]
    assert threads and all(t.daemon for t in threads)
    await engine.dispose()
    for thread in threads:
        await asyncio.to_thread(thread.join, 5)
        assert not thread.is_alive()
    await inbox.store(1, [update(2)])  # opened again
    assert writer.opened == 2
    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT count(*) FROM inbox_updates"))
        assert found.scalar() == 2


async def test_a_unit_failing_leaves_the_write_connection_usable(engine: AsyncEngine) -> None:
    inbox = InboxService(engine)
    await inbox.store(1, [update(1)])
    broken = sa.text("INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(sa.exc.OperationalError):
        await inbox.done(1, 1, writes=[(broken, {})])
    await inbox.done(1, 1)
    assert await inbox.status(1, 1) == DONE
    writer = sqlite_writer(engine)
    assert writer is not None and writer.opened == 1


async def test_units_and_the_pools_writes_side_by_side(engine: AsyncEngine) -> None:
    """Dozens of units at once on the writer while the pool's connections write too: each
    waits for the other (one writer at a time), none fails."""
    inbox = InboxService(engine)

    async def pooled(n: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO fsm_state (key, state, data, updated_at) VALUES (:k, NULL, '{}', '2026-01-01')"
                ),
                {"k": f"k{n}"},
            )

    await asyncio.gather(
        *(inbox.store(1, [update(100 + n, chat_id=n)]) for n in range(40)),
        *(pooled(n) for n in range(10)),
    )
    assert len(await inbox.pending(1)) == 40


def test_an_engine_never_disposed_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio
        from bot.services.inbox import InboxService
        from bot.storage.db import create_engine, migrate

        async def main():
            engine = create_engine("sqlite+aiosqlite:///{tmp_path / "left.sqlite3"}")
            await migrate(engine)
            await InboxService(engine).store(1, [{{"update_id": 1}}])
            print("stored")

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "stored" in done.stdout


def test_only_file_engines_have_a_writer() -> None:
    assert sqlite_writer(create_engine("sqlite+aiosqlite:///:memory:")) is None
    assert db.sqlite_writer(create_engine("postgresql+asyncpg://u:p@localhost/x")) is None
