"""The conversation state an update wrote is kept until it is really committed: a
transaction that fails after the state was written into it loses nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.inbox import DONE, PENDING, InboxService
from bot.storage.db import create_engine
from bot.telegram.fsm import Scope, ScopedStorage, SQLStorage


async def test_state_written_in_a_transaction_that_fails_is_written_again(
    engine: AsyncEngine,
) -> None:
    """The inbox writes an update's state in the transaction of its done mark; when that
    transaction fails (here a statement after the state's), nothing of it is kept, and the
    next try writes the state again."""
    storage = ScopedStorage(SQLStorage(engine))
    inbox = InboxService(engine)
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    await inbox.store(1, [{"update_id": 7, "message": {"chat": {"id": 2}, "from": {"id": 2}}}])
    with storage.scope() as scope:
        await storage.set_state(key, "Wizard:platform_type")
        await storage.set_data(key, {"order_number": "KM20261121000999"})
    failing = (sa.text("INSERT INTO no_such_table VALUES (1)"), {})
    with pytest.raises(DBAPIError):
        await inbox.done(1, 7, writes=[*storage.writes(scope), failing])
    assert await storage.get_state(key) is None  # nothing was committed
    assert await inbox.status(1, 7) == PENDING
    await inbox.done(1, 7, writes=storage.writes(scope))  # the inbox tries again
    storage.committed(scope)
    assert await inbox.status(1, 7) == DONE
    assert await storage.get_state(key) == "Wizard:platform_type"
    assert await storage.get_data(key) == {"order_number": "KM20261121000999"}


async def test_a_state_kept_in_the_database_is_committed_only_with_the_update(
    engine: AsyncEngine,
) -> None:
    """No path writes a database state apart from the update's done mark."""
    with pytest.raises(TypeError):
        await ScopedStorage(SQLStorage(engine)).commit(Scope())


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
    await InboxService(engine).done(1, 8, writes=storage.writes(scope))
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


async def test_update_data_in_a_scope_merges_and_keeps_its_own_copy(engine: AsyncEngine) -> None:
    """An update's `update_data` copies only the values it is given (aiogram's copies the
    whole data twice); neither what it was given nor what it returns is the stored data,
    and what it changed is written with the update."""
    storage = ScopedStorage(SQLStorage(engine))
    inbox = InboxService(engine)
    key = StorageKey(bot_id=1, chat_id=6, user_id=6)
    with storage.scope() as scope:  # an earlier update
        await storage.set_data(key, {"lang": "en"})
    await inbox.done(1, 9, writes=storage.writes(scope))
    storage.committed(scope)
    given = {"draft": {"amount": "10", "files": ["a"]}}
    expected = {"lang": "en", "draft": {"amount": "10", "files": ["a"]}}
    with storage.scope() as scope:  # this one only adds to the data
        merged = await storage.update_data(key, given)
        assert merged == expected
        given["draft"]["files"].append("changed by the caller")
        merged["draft"]["amount"] = "changed by the caller"
        assert await storage.get_data(key) == expected
    await inbox.done(1, 10, writes=storage.writes(scope))
    storage.committed(scope)
    storage.inner._known.clear()  # type: ignore[attr-defined]  # read the database
    assert await storage.get_data(key) == expected
