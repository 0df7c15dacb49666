"""aiogram FSM storages: conversation state on the project's own database (SQLite or
PostgreSQL), and a scope that keeps the writes of one update until it is done.

`SQLStorage` is the default (no Redis): an unfinished wizard survives a restart. With
REDIS_URL set the bot uses aiogram's RedisStorage instead.

`ScopedStorage` wraps either: while an update is handled (`with storage.scope():`), every
state write stays in memory; the inbox then commits them in the same transaction that marks
the update done (SQL), or just before it (Redis). An update that fails, or a process killed
half-way, leaves the conversation exactly as it was, so handling the update again is safe.
Within a scope the state and data of a key are read once (one MGET on Redis) and written
once (one pipelined round trip on Redis, one upsert on SQL), however often handlers call
`set_state` and `update_data`. A scope may start with what was already read for a key
(`scope(read=...)`): the inbox reads the update's own state with the script that takes the
chat's lock, so on Redis that read costs no round trip of its own.

`ScopedIsolation` wraps the dispatcher's event isolation: an update handled by the inbox
already holds its chat's lock (bot.telegram.inbox, shared by every instance through Redis)
from before its state is read until after its state is committed, so aiogram's own lock
is skipped there; updates fed outside a scope still take it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import AsyncGenerator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import fsm as rows
from bot.storage.db import Write, run_writes


def _detached(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON copy: what a database keeps, detached from the caller's objects."""
    copied: dict[str, Any] = json.loads(json.dumps(dict(data)))
    return copied


def _state_value(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SQLStorage(BaseStorage):
    """State rows in the database. On SQLite (one process only, see docs/scaling.md) what
    this process last committed for a key is what the database holds, so it is remembered
    (up to REMEMBER_KEYS keys) and a read costs no query; on PostgreSQL, which several
    instances share, every read goes to the database."""

    REMEMBER_KEYS = 10_000

    def __init__(
        self,
        engine: AsyncEngine,
        key_builder: KeyBuilder | None = None,
        *,
        remember: bool | None = None,
    ) -> None:
        self.engine = engine
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.remember = engine.dialect.name == "sqlite" if remember is None else remember
        # key -> (state, data as JSON): committed values only
        self._known: OrderedDict[str, tuple[str | None, str]] = OrderedDict()
        # key -> writes begun: a read that saw a write begin meanwhile is not remembered
        self._writes: dict[str, int] = {}

    def _keep(self, name: str, state: str | None, data: Mapping[str, Any]) -> None:
        self._known[name] = (state, json.dumps(dict(data)))
        self._known.move_to_end(name)
        while len(self._known) > self.REMEMBER_KEYS:
            self._known.popitem(last=False)

    def _forget(self, name: str) -> None:
        self._known.pop(name, None)
        self._writes[name] = self._writes.get(name, 0) + 1
        if len(self._writes) > 4 * self.REMEMBER_KEYS:
            self._writes.clear()
            self._known.clear()

    async def read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        name = self.key_builder.build(key)
        known = self._known.get(name) if self.remember else None
        if known is not None:
            self._known.move_to_end(name)
            return known[0], json.loads(known[1])
        writes = self._writes.get(name, 0)
        async with self.engine.connect() as connection:
            found = await rows.read_state(connection, name)
        state, data = found or (None, {})
        if self.remember and self._writes.get(name, 0) == writes:
            self._keep(name, state, data)
        return state, data

    async def write(self, key: StorageKey, state: str | None, data: dict[str, Any]) -> None:
        """Write now, in a transaction of its own."""
        await run_writes(self.engine, [self.write_of(key, state, data)])
        self.committed(key, state, data)

    def write_of(self, key: StorageKey, state: str | None, data: dict[str, Any]) -> Write:
        """The statement writing `key`, for a caller's transaction (then `committed`
        remembers it once that transaction is committed; until then reads go to the
        database)."""
        name = self.key_builder.build(key)
        self._forget(name)
        return rows.state_write(self.engine.dialect.name, name, state, data)

    def committed(self, key: StorageKey, state: str | None, data: Mapping[str, Any]) -> None:
        """A write made inside a caller's transaction, now committed."""
        if self.remember:
            self._keep(self.key_builder.build(key), state, data)

    def forget_user(self, user_id: int) -> None:
        """The user's rows were deleted behind this storage (their data, on request)."""
        needle = f":{user_id}:"
        for name in [name for name in self._known if needle in name]:
            self._forget(name)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self.read(key)
        await self.write(key, _state_value(state), data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self.read(key)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self.read(key)
        await self.write(key, state, _detached(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self.read(key)
        return data

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""


@dataclass
class _Entry:
    key: StorageKey
    state: str | None
    data: dict[str, Any]
    dirty: bool = False


@dataclass
class Scope:
    """The conversation state one update read and wrote."""

    entries: dict[StorageKey, _Entry] = field(default_factory=dict)
    # the inbox holds the chat's lock for the whole update (see ScopedIsolation)
    locked: bool = False

    @property
    def dirty(self) -> list[_Entry]:
        return [entry for entry in self.entries.values() if entry.dirty]


_current: ContextVar[Scope | None] = ContextVar("fsm_scope", default=None)


class ScopedStorage(BaseStorage):
    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    @contextmanager
    def scope(
        self,
        *,
        locked: bool = False,
        read: Mapping[StorageKey, tuple[str | None, dict[str, Any]]] | None = None,
    ) -> Iterator[Scope]:
        """`read`: state and data already read for some keys (under the chat's lock when
        `locked`), taken as the scope's own first read of them (the dicts are taken over)."""
        scope = Scope(locked=locked)
        for key, (state, data) in (read or {}).items():
            scope.entries[key] = _Entry(key, state, data)
        token = _current.set(scope)
        try:
            yield scope
        finally:
            _current.reset(token)

    async def _entry(self, scope: Scope, key: StorageKey) -> _Entry:
        entry = scope.entries.get(key)
        if entry is None:
            inner = self.inner
            # a read of the database or of Redis decodes a dict of its own: taken as it is
            if isinstance(inner, SQLStorage):
                state, data = await inner.read(key)
            elif isinstance(inner, RedisStorage):
                state, data = await _redis_read(inner, key)
            else:
                state, data = await inner.get_state(key), _detached(await inner.get_data(key))
            entry = scope.entries[key] = _Entry(key, state, data)
        return entry

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        scope = _current.get()
        if scope is None:
            await self.inner.set_state(key, state)
            return
        entry = await self._entry(scope, key)
        entry.state, entry.dirty = _state_value(state), True

    async def get_state(self, key: StorageKey) -> str | None:
        scope = _current.get()
        if scope is None:
            return await self.inner.get_state(key)
        return (await self._entry(scope, key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        scope = _current.get()
        if scope is None:
            await self.inner.set_data(key, data)
            return
        entry = await self._entry(scope, key)
        entry.data, entry.dirty = _detached(data), True

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        scope = _current.get()
        if scope is None:
            return await self.inner.get_data(key)
        return _detached((await self._entry(scope, key)).data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """As aiogram's (read, update, write), with only the new values copied in: its
        read and its write each copied the whole data."""
        scope = _current.get()
        if scope is None:
            return await self.inner.update_data(key, data)
        entry = await self._entry(scope, key)
        entry.data, entry.dirty = {**entry.data, **_detached(data)}, True
        return _detached(entry.data)

    async def commit(self, scope: Scope) -> None:
        """Write what the scope changed straight to a storage apart from the database
        (Redis). A state kept in the database is written in the transaction that marks the
        update done instead (`writes`)."""
        inner = self.inner
        if isinstance(inner, SQLStorage):
            raise TypeError("a state kept in the database is written with the update: writes()")
        for entry in scope.dirty:
            if isinstance(inner, RedisStorage):
                await _redis_write(inner, entry.key, entry.state, entry.data)
            else:
                await inner.set_data(entry.key, entry.data)
                await inner.set_state(entry.key, entry.state)
        # the entries stay dirty: when the inbox's done mark then fails, the next try writes
        # them again (writing the same state twice changes nothing)

    def writes(self, scope: Scope) -> list[Write]:
        """What the scope changed, as statements for the caller's transaction (the state
        lives in that database: `shares_database`)."""
        inner = self.inner
        if not isinstance(inner, SQLStorage):
            raise TypeError("only a state kept in the database is written in its transactions")
        # the entries stay dirty: a retry after a failed transaction writes them again
        return [inner.write_of(entry.key, entry.state, entry.data) for entry in scope.dirty]

    def committed(self, scope: Scope) -> None:
        """The transaction `writes` went into (the update's done mark) is committed."""
        if isinstance(self.inner, SQLStorage):
            for entry in scope.dirty:
                self.inner.committed(entry.key, entry.state, entry.data)

    def forget_user(self, user_id: int) -> None:
        if isinstance(self.inner, SQLStorage):
            self.inner.forget_user(user_id)

    @property
    def shares_database(self) -> bool:
        return isinstance(self.inner, SQLStorage)

    async def close(self) -> None:
        await self.inner.close()


# --- Redis: one round trip to read a key's state and data, one to write them -------------
# (the keys and encoding are aiogram's RedisStorage's own, so either reads what the other
# wrote)


def redis_names(storage: RedisStorage, key: StorageKey) -> tuple[str, str]:
    """The Redis keys of a conversation's state and data."""
    return storage.key_builder.build(key, "state"), storage.key_builder.build(key, "data")


async def _redis_read(storage: RedisStorage, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
    raw_state, raw_data = await storage.redis.mget(redis_names(storage, key))
    return redis_decode(storage, raw_state, raw_data)


def redis_decode(
    storage: RedisStorage, raw_state: Any, raw_data: Any
) -> tuple[str | None, dict[str, Any]]:
    """State and data as aiogram's RedisStorage stored them."""
    if isinstance(raw_state, bytes):
        raw_state = raw_state.decode("utf-8")
    data: dict[str, Any] = {}
    if raw_data is not None:
        if isinstance(raw_data, bytes):
            raw_data = raw_data.decode("utf-8")
        data = storage.json_loads(raw_data)
    return raw_state, data


async def _redis_write(
    storage: RedisStorage, key: StorageKey, state: str | None, data: dict[str, Any]
) -> None:
    state_key = storage.key_builder.build(key, "state")
    data_key = storage.key_builder.build(key, "data")
    async with storage.redis.pipeline(transaction=True) as pipe:
        if state is None:
            pipe.delete(state_key)
        else:
            pipe.set(state_key, state, ex=storage.state_ttl)
        if not data:
            pipe.delete(data_key)
        else:
            pipe.set(data_key, storage.json_dumps(data), ex=storage.data_ttl)
        await pipe.execute()


class ScopedIsolation(BaseEventIsolation):
    """aiogram's event lock, skipped for an update whose chat lock the inbox already holds."""

    def __init__(self, inner: BaseEventIsolation) -> None:
        self.inner = inner

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        scope = _current.get()
        if scope is not None and scope.locked:
            yield None
            return
        async with self.inner.lock(key):
            yield None

    async def close(self) -> None:
        await self.inner.close()
