"""Conversation state rows (`fsm_state`): plain SQL, no Telegram types.

The aiogram storage built on it lives in `bot.telegram.fsm`. A row exists only while a
conversation is under way: writing an empty state with no data deletes it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.models import FsmRecord, utcnow

_table: sa.Table = FsmRecord.__table__  # type: ignore[attr-defined]


async def read_state(
    connection: AsyncConnection, key: str
) -> tuple[str | None, dict[str, Any]] | None:
    row = (
        await connection.execute(
            sa.select(_table.c.state, _table.c.data).where(_table.c.key == key)
        )
    ).first()
    return None if row is None else (row.state, dict(row.data or {}))


async def write_state(
    connection: AsyncConnection, key: str, state: str | None, data: dict[str, Any]
) -> None:
    """Upsert the row of `key`, or delete it when the conversation holds nothing."""
    if state is None and not data:
        await connection.execute(sa.delete(_table).where(_table.c.key == key))
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(_table).values(key=key, state=state, data=data, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"state": state, "data": data, "updated_at": now}
    )
    await connection.execute(statement)


async def delete_for_user(connection: AsyncConnection, user_id: int) -> int:
    """Every conversation row of a user (keys hold the chat and user ids)."""
    needle = f":{user_id}:"
    result = await connection.execute(sa.delete(_table).where(_table.c.key.contains(needle)))
    return int(result.rowcount or 0)
