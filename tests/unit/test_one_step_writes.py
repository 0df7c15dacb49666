"""SQLite: a unit of work (an update stored; an update's state written and the update marked
done) is one hand-off to aiosqlite's thread, in one transaction, and writes exactly what
SQLAlchemy would have written."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.services.inbox import DONE, PENDING, InboxService
from bot.storage import db
from bot.storage import fsm as rows
from bot.storage.db import run_writes
from bot.storage.models import utcnow
from bot.telegram.fsm import ScopedStorage, SQLStorage
from tests.pool_load import connections_opened


def update(update_id: int, chat_id: int = 77) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "x"},
            "text": "hi",
        },
    }


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to an aiosqlite connection's thread or to the write connection's."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    writer_run = db.SQLiteWriter.run

    async def counted_unit(self: Any, work: Any) -> Any:
        seen.append("writer")
        return await writer_run(self, work)

    monkeypatch.setattr(db.SQLiteWriter, "run", counted_unit)
    return seen


async def stored(engine: AsyncEngine, table: str, where: str) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        found = await connection.exec_driver_sql(f"SELECT * FROM {table} WHERE {where}")
        return [tuple(row) for row in found.all()]


async def test_store_and_done_with_state_are_one_hand_off_each(
    engine: AsyncEngine, hand_offs: list[str]
) -> None:
    inbox = InboxService(engine)
    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=77, user_id=77)
    async with engine.connect():  # the pool's first connection, opened before counting
        pass
    hand_offs.clear()
    assert [item.update_id for item in await inbox.store(1, [update(10)])] == [10]
    assert len(hand_offs) == 1
    with storage.scope() as scope:
        await storage.set_state(key, "Wizard:amount")
        await storage.set_data(key, {"amount": "98.50"})
    hand_offs.clear()  # (the scope's first read of the key went to the database)
    await inbox.done(1, 10, writes=storage.writes(scope))
    assert len(hand_offs) == 1
    storage.committed(scope)
    assert await inbox.status(1, 10) == DONE
    assert await storage.get_state(key) == "Wizard:amount"
    assert await storage.get_data(key) == {"amount": "98.50"}


async def test_a_failing_statement_rolls_the_whole_unit_back(engine: AsyncEngine) -> None:
    inbox = InboxService(engine)
    await inbox.store(1, [update(11)])
    state = rows.state_write("sqlite", "k:77:77", "Wizard:amount", {"a": 1})
    broken = sa.text("INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(OperationalError):  # as SQLAlchemy raises it: the inbox retries
        await inbox.done(1, 11, writes=[state, (broken, {})])
    async with engine.connect() as connection:
        assert await rows.read_state(connection, "k:77:77") is None
    assert await inbox.status(1, 11) == PENDING
    # the connection went back to the pool clean: the next unit commits on its own
    await inbox.done(1, 11, writes=[state])
    async with engine.connect() as connection:
        assert await rows.read_state(connection, "k:77:77") == ("Wizard:amount", {"a": 1})
    assert await inbox.status(1, 11) == DONE


async def test_a_repeated_delivery_is_not_stored_again(engine: AsyncEngine) -> None:
    inbox = InboxService(engine)
    new = await inbox.store(1, [update(21), update(20)])
    assert [item.update_id for item in new] == [20, 21]
    assert [item.update_id for item in await inbox.store(1, [update(21), update(22)])] == [22]


async def test_the_one_step_path_writes_what_sqlalchemy_writes(engine: AsyncEngine) -> None:
    """The same statements with the same values, once through SQLAlchemy and once in one
    step: the rows are the same, column by column (JSON, dates, NULLs)."""
    inbox = InboxService(engine)
    payload = update(30, chat_id=88)
    values = {
        "bot_id": 1,
        "update_id": 30,
        "chat_id": 88,
        "user_id": 88,
        "status": PENDING,
        "attempts": 0,
        "error": None,
        "payload": payload,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    state = rows.state_write("sqlite", "k:88:88", "Wizard:amount", {"amount": "1.5", "n": [1]})
    done = {"b_bot_id": 1, "b_update_id": 30, "b_now": utcnow()}
    await run_writes(engine, [(inbox._store, values), state, (inbox._done, done)])
    one_step = (
        await stored(engine, "inbox_updates", "update_id = 30"),
        await stored(engine, "fsm_state", "key = 'k:88:88'"),
    )
    async with engine.begin() as connection:
        await connection.execute(sa.text("DELETE FROM inbox_updates"))
        await connection.execute(sa.text("DELETE FROM fsm_state"))
        await connection.execute(inbox._store, values)
        await connection.execute(state[0], dict(state[1]))
        await connection.execute(inbox._done, done)
    through_sqlalchemy = (
        await stored(engine, "inbox_updates", "update_id = 30"),
        await stored(engine, "fsm_state", "key = 'k:88:88'"),
    )
    assert one_step == through_sqlalchemy
    assert one_step[0] and one_step[1]


async def test_the_worker_writes_an_updates_state_with_its_done_mark(engine: AsyncEngine) -> None:
    """Through the inbox worker: the state a handler set is in the database (another
    process reads it) once the update is done, and the update no longer pending."""
    from aiogram import Bot, Dispatcher
    from aiogram.fsm.context import FSMContext
    from aiogram.types import Message, Update

    from bot.telegram.inbox import InboxWorker

    dp = Dispatcher(storage=ScopedStorage(SQLStorage(engine)))

    @dp.message()
    async def remember(message: Message, state: FSMContext) -> None:
        await state.set_state("Wizard:amount")
        await state.update_data(text=message.text)

    bot = Bot("42:TEST")
    inbox = InboxService(engine)
    worker = InboxWorker(bot, dp, inbox)
    try:
        await worker.accept([Update.model_validate(update(40, chat_id=99))])
        for _ in range(200):
            if worker.handled:
                break
            await asyncio.sleep(0.01)
        assert worker.handled == 1
    finally:
        await worker.close()
        await bot.session.close()
    assert await inbox.status(42, 40) == DONE
    elsewhere = SQLStorage(engine)  # nothing remembered: read from the database
    key = StorageKey(bot_id=42, chat_id=99, user_id=99)
    assert await elsewhere.get_state(key) == "Wizard:amount"
    assert await elsewhere.get_data(key) == {"text": "hi"}


async def test_a_busy_sqlite_pool_keeps_its_connections(engine: AsyncEngine) -> None:
    """Dozens of chats at once: the connections opened for the first burst serve every
    later one (an overflow connection, closed the moment it was returned, cost a new
    aiosqlite thread, the file opened and its pragmas every few updates)."""

    async def work(connection: AsyncConnection) -> None:
        await connection.execute(sa.text("SELECT 1"))
        await asyncio.sleep(0.01)

    await engine.dispose()  # from an empty pool
    assert await connections_opened(engine, work) == db.POOL_SIZE


async def test_a_done_mark_that_failed_writes_the_state_again_on_retry(
    engine: AsyncEngine,
) -> None:
    """The inbox's retry of a failed done mark takes the scope's writes again: the state
    is not lost because a first try was rolled back."""
    inbox = InboxService(engine)
    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=66, user_id=66)
    await inbox.store(1, [update(50, chat_id=66)])
    with storage.scope() as scope:
        await storage.set_state(key, "Wizard:amount")
    broken = sa.text("INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(OperationalError):
        await inbox.done(1, 50, writes=[*storage.writes(scope), (broken, {})])
    await inbox.done(1, 50, writes=storage.writes(scope))  # the retry
    storage.committed(scope)
    assert await SQLStorage(engine).get_state(key) == "Wizard:amount"
    assert await inbox.status(1, 50) == DONE
