"""A persistent aiogram FSM storage on the project's own database (SQLite or PostgreSQL).

The default setup keeps conversation state here, so an unfinished wizard survives a
restart of the bot; with REDIS_URL set the bot uses aiogram's RedisStorage instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import FsmRecord, utcnow

_table = FsmRecord.__table__  # type: ignore[attr-defined]


class SQLStorage(BaseStorage):
    def __init__(self, engine: AsyncEngine, key_builder: KeyBuilder | None = None) -> None:
        self.engine = engine
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        row = {"key": self.key_builder.build(key), "updated_at": utcnow(), **values}
        defaults = {"state": None, "data": {}}
        statement = self._insert(_table).values({**defaults, **row})
        statement = statement.on_conflict_do_update(index_elements=["key"], set_={**values, "updated_at": row["updated_at"]})
        async with self.engine.begin() as connection:
            await connection.execute(statement)

    async def _row(self, key: StorageKey) -> sa.Row[Any] | None:
        async with self.engine.connect() as connection:
            result = await connection.execute(
                sa.select(_table.c.state, _table.c.data).where(_table.c.key == self.key_builder.build(key))
            )
            return result.first()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._row(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._row(key)
        return dict(row.data) if row and row.data else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
