"""A persistent aiogram FSM storage on the project's own database (SQLite or PostgreSQL).

The default setup keeps conversation state here, so an unfinished wizard survives a
restart of the bot; with REDIS_URL set the bot uses aiogram's RedisStorage instead.

This storage serves one bot process (several instances share state through Redis), so it
keeps a bounded write-through copy of recent conversations in memory: a handler reads its
state many times per update, and only writes go to the database.
"""

from __future__ import annotations

import json
from collections import OrderedDict
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
    def __init__(self, engine: AsyncEngine, key_builder: KeyBuilder | None = None, *, cache_size: int = 10_000) -> None:
        self.engine = engine
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size

    def _remember(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        self._cache[key] = (state, data)
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _load(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        built = self.key_builder.build(key)
        cached = self._cache.get(built)
        if cached is not None:
            self._cache.move_to_end(built)
            return cached
        row = await self._row(key)
        loaded = (row.state, dict(row.data or {})) if row else (None, {})
        self._remember(built, *loaded)
        return loaded

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        row = {"key": self.key_builder.build(key), "updated_at": utcnow(), **values}
        defaults: dict[str, Any] = {"state": None, "data": {}}
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
        _, data = await self._load(key)
        await self._upsert(key, {"state": value})
        self._remember(self.key_builder.build(key), value, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(key)
        copy = json.loads(json.dumps(dict(data)))  # what the database keeps, detached from the caller
        await self._upsert(key, {"data": copy})
        self._remember(self.key_builder.build(key), state, copy)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(key)
        return json.loads(json.dumps(data))

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""
