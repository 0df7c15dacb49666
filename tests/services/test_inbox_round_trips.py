"""On PostgreSQL, storing an update and marking it done are one statement each, sent
without a transaction around it (no BEGIN / COMMIT round trips); a state written with the
done mark still shares its transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as pg_dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.inbox import DONE, InboxService
from bot.storage import fsm as rows
from bot.storage.db import create_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    made = create_engine(migrated_url)
    async with made.connect():  # the dialect's first-connect queries, done before counting
        pass
    try:
        yield made
    finally:
        await made.dispose()


@pytest.fixture
def begins(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every transaction the driver starts (each a BEGIN round trip)."""
    started: list[int] = []
    adapter = pg_dialect.AsyncAdapt_asyncpg_connection
    original = adapter._start_transaction

    async def counted(self: Any) -> None:
        if self.isolation_level != "autocommit":  # else the driver sends nothing
            started.append(1)
        await original(self)

    monkeypatch.setattr(adapter, "_start_transaction", counted)
    return started


def update(update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 77, "type": "private"},
            "from": {"id": 77, "is_bot": False, "first_name": "x"},
            "text": "hi",
        },
    }


async def test_store_and_done_send_no_begin_or_commit(
    engine: AsyncEngine, begins: list[int]
) -> None:
    inbox = InboxService(engine)
    new = await inbox.store(1, [update(10)])
    assert [item.update_id for item in new] == [10]
    assert await inbox.store(1, [update(10)]) == []  # a repeated delivery
    await inbox.done(1, 10)
    assert begins == []
    assert await inbox.status(1, 10) == DONE


async def test_a_state_written_with_the_done_mark_shares_its_transaction(
    engine: AsyncEngine, begins: list[int]
) -> None:
    inbox = InboxService(engine)
    await inbox.store(1, [update(11), update(12)])  # a batch: one transaction
    assert len(begins) == 1

    # the state is written, then a statement fails before the done mark (the database
    # refuses it): the state goes with it
    broken = sa.text("INSERT INTO no_such_table VALUES (1)")
    state = rows.state_write("postgresql", "k:77:77", "Wizard:amount", {"a": 1})
    with pytest.raises(DBAPIError):
        await inbox.done(1, 11, writes=[state, (broken, {})])
    async with engine.connect() as connection:
        assert await rows.read_state(connection, "k:77:77") is None  # rolled back together
    assert await inbox.status(1, 11) != DONE
