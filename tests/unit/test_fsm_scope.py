"""The conversation state an update wrote is kept until it is really committed: a
transaction that fails after the state was written into it loses nothing."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine
from bot.telegram.fsm import ScopedStorage, SQLStorage


async def test_state_written_in_a_transaction_that_fails_is_written_again(
    engine: AsyncEngine,
) -> None:
    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    with storage.scope() as scope:
        await storage.set_state(key, "Wizard:platform_type")
        await storage.set_data(key, {"order_number": "KM20261121000999"})
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await storage.commit(scope, connection)
            raise RuntimeError("the database went away before the commit")
    assert await storage.get_state(key) is None  # nothing was committed
    async with engine.begin() as connection:  # the inbox tries again
        await storage.commit(scope, connection)
    assert await storage.get_state(key) == "Wizard:platform_type"
    assert await storage.get_data(key) == {"order_number": "KM20261121000999"}


# --- SQLite: what this process committed is read back without a query -----------------


def selects_of(engine: object) -> list[str]:
    from sqlalchemy import event

    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")  # type: ignore[attr-defined]
    def _count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


async def test_sqlite_reads_back_what_it_committed_without_a_query(engine: AsyncEngine) -> None:
    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=3, user_id=3)
    with storage.scope() as scope:  # one update, committed with its done mark
        await storage.set_state(key, "Wizard:amount")
        await storage.set_data(key, {"amount": "98.50"})
    async with engine.begin() as connection:
        await storage.commit(scope, connection)
    storage.committed(scope)
    selects = selects_of(engine)
    with storage.scope():  # the next update of that chat
        assert await storage.get_state(key) == "Wizard:amount"
        data = await storage.get_data(key)
    assert data == {"amount": "98.50"}
    data["amount"] = "1"  # a caller's copy: what is remembered does not change
    assert await storage.get_data(key) == {"amount": "98.50"}
    assert selects == []


async def test_a_read_overtaken_by_a_write_is_not_remembered(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.storage import fsm as rows

    storage = SQLStorage(engine)
    key = StorageKey(bot_id=1, chat_id=4, user_id=4)
    real_read = rows.read_state
    read_done, go_on = asyncio.Event(), asyncio.Event()

    async def slow_read(connection, name):  # type: ignore[no-untyped-def]
        found = await real_read(connection, name)
        read_done.set()
        await go_on.wait()
        return found

    await storage.write(key, "Wizard:old", {})
    storage._known.clear()  # as after a restart: the next read goes to the database
    monkeypatch.setattr(rows, "read_state", slow_read)
    reading = asyncio.create_task(storage.get_state(key))
    await read_done.wait()  # it has read the old row...
    monkeypatch.setattr(rows, "read_state", real_read)
    await storage.write(key, "Wizard:new", {})  # ...and a write commits meanwhile
    go_on.set()
    assert await reading == "Wizard:old"
    assert await storage.get_state(key) == "Wizard:new"  # the old value was not kept


async def test_rows_deleted_behind_the_storage_are_forgotten(engine: AsyncEngine) -> None:
    from bot.storage import fsm as rows

    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=5, user_id=5)
    await storage.set_state(key, "Wizard:summary")
    assert await storage.get_state(key) == "Wizard:summary"
    async with engine.begin() as connection:  # /delete_my_data
        assert await rows.delete_for_user(connection, 5) == 1
    storage.forget_user(5)
    assert await storage.get_state(key) is None


def test_postgresql_state_is_always_read_from_the_database() -> None:
    """Several instances share PostgreSQL: none may trust its own memory of a state."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert SQLStorage(engine).remember is False
    sqlite = create_engine("sqlite+aiosqlite:///:memory:")
    assert SQLStorage(sqlite).remember is True
