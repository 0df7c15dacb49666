"""Conversation state rows (`fsm_state`): plain SQL, no Telegram types.

The aiogram storage built on it lives in `bot.telegram.fsm`. A row exists only while a
conversation is under way: writing an empty state with no data deletes it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import Write
from bot.storage.models import FsmRecord, utcnow

_table: sa.Table = FsmRecord.__table__  # type: ignore[attr-defined]


_READ = sa.select(_table.c.state, _table.c.data).where(_table.c.key == sa.bindparam("b_key"))
_DELETE = sa.delete(_table).where(_table.c.key == sa.bindparam("b_key"))
_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The upsert of a row, built once per database kind (building it per update costs
    more than running it)."""
    found = _UPSERTS.get(dialect)
    if found is None:
        insert = postgresql.insert(_table) if dialect == "postgresql" else sqlite.insert(_table)
        found = _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "state": insert.excluded.state,
                "data": insert.excluded.data,
                "updated_at": insert.excluded.updated_at,
            },
        )
    return found


async def read_state(
    connection: AsyncConnection, key: str
) -> tuple[str | None, dict[str, Any]] | None:
    row = (await connection.execute(_READ, {"b_key": key})).first()
    return None if row is None else (row.state, dict(row.data or {}))


def state_write(dialect: str, key: str, state: str | None, data: dict[str, Any]) -> Write:
    """The statement that upserts the row of `key`, or deletes it when the conversation
    holds nothing, with its values."""
    if state is None and not data:
        return _DELETE, {"b_key": key}
    return _upsert(dialect), {"key": key, "state": state, "data": data, "updated_at": utcnow()}


async def delete_for_user(connection: AsyncConnection, user_id: int) -> int:
    """Every conversation row of a user (keys hold the chat and user ids)."""
    needle = f":{user_id}:"
    result = await connection.execute(sa.delete(_table).where(_table.c.key.contains(needle)))
    return int(result.rowcount or 0)
