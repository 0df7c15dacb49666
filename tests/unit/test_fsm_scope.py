"""The conversation state an update wrote is kept until it is really committed: a
transaction that fails after the state was written into it loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.storage.db import create_engine, migrate
from bot.telegram.fsm import ScopedStorage, SQLStorage


async def test_state_written_in_a_transaction_that_fails_is_written_again(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")
    await migrate(engine)
    storage = ScopedStorage(SQLStorage(engine))
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    try:
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
    finally:
        await engine.dispose()
