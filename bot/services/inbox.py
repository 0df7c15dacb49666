"""The durable inbox: every update is stored before Telegram is told it arrived, and
marked done once it was handled.

- `store` runs before the polling offset moves past an update, or before the webhook
  answers 200; its key (bot id, update id) drops a repeated delivery (the duplicate ledger).
- `done` marks an update handled, in the same transaction as whatever the caller commits
  with it (the conversation state the update changed), and empties its payload: the text a
  buyer typed is kept only while it is needed.
- `failed` counts an attempt; an update that keeps failing is `parked` with its error, so
  the buyer's later updates go on. `refund-bot inbox` lists parked updates and retries them.

The inbox lives in the database even when Redis holds the conversation state: it must
survive a restart of everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.textclean import clean_text
from bot.storage.db import Write, run_writes
from bot.storage.models import InboxUpdate, utcnow

PENDING, DONE, PARKED = "pending", "done", "parked"
KEEP_DONE = timedelta(days=2)  # Telegram keeps an undelivered update for 24 hours
MAX_ATTEMPTS = 5

_table: sa.Table = InboxUpdate.__table__  # type: ignore[attr-defined]

# the update kinds that carry a chat / a user, in the order Telegram documents them
_CHAT_PATHS: tuple[tuple[str, ...], ...] = (
    ("message", "chat", "id"),
    ("edited_message", "chat", "id"),
    ("channel_post", "chat", "id"),
    ("edited_channel_post", "chat", "id"),
    ("business_message", "chat", "id"),
    ("callback_query", "message", "chat", "id"),
    ("my_chat_member", "chat", "id"),
    ("chat_member", "chat", "id"),
    ("chat_join_request", "chat", "id"),
    ("message_reaction", "chat", "id"),
)
_USER_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "business_message",
)


def _dig(payload: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = payload
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def route_of(payload: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(chat id, user id) of an update: updates of one chat are handled in order."""
    chat_id = next((v for path in _CHAT_PATHS if isinstance(v := _dig(payload, path), int)), None)
    user_id = next(
        (v for kind in _USER_KINDS if isinstance(v := _dig(payload, (kind, "from", "id")), int)),
        None,
    )
    if chat_id is None:
        chat_id = user_id
    return chat_id, user_id


def short_error(error: BaseException | str) -> str:
    """An error as stored and shown to the operator: its type and first line, bounded."""
    if isinstance(error, BaseException):
        first = str(error).splitlines()[0] if str(error) else ""
        text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    else:
        text = error
    return clean_text(text)[:500]


@dataclass(frozen=True)
class InboxItem:
    bot_id: int
    update_id: int
    chat_id: int | None
    user_id: int | None
    status: str
    attempts: int
    error: str | None
    payload: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> InboxItem:
        return cls(
            bot_id=int(row.bot_id),
            update_id=int(row.update_id),
            chat_id=row.chat_id,
            user_id=row.user_id,
            status=str(row.status),
            attempts=int(row.attempts),
            error=row.error,
            payload=dict(row.payload) if row.payload is not None else None,
            created_at=row.created_at,
        )


class InboxService:
    def __init__(self, engine: AsyncEngine, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        postgres = engine.dialect.name == "postgresql"
        insert = postgresql.insert if postgres else sqlite.insert
        # built once: a statement made per update spends more time in SQLAlchemy than the
        # database spends running it
        self._store = insert(_table).on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        self._done = (
            sa.update(_table)
            .where(
                _table.c.bot_id == sa.bindparam("b_bot_id"),
                _table.c.update_id == sa.bindparam("b_update_id"),
            )
            .values(status=DONE, payload=None, error=None, updated_at=sa.bindparam("b_now"))
        )
        # one statement on its own needs no transaction: on PostgreSQL that saves the BEGIN
        # and COMMIT round trips (two of the three an update's store or done took); on
        # SQLite a store or a done is one hand-off to the connection's thread (run_writes)
        self._alone: AsyncEngine | None = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else None
        )

    async def store(self, bot_id: int, payloads: Iterable[Mapping[str, Any]]) -> list[InboxItem]:
        """Store updates (in one transaction); the new ones are returned, in update order.
        An update stored before (a repeated delivery) is not returned again."""
        now = utcnow()
        new: list[InboxItem] = []
        ordered = sorted(payloads, key=lambda p: int(p["update_id"]))
        rows: list[dict[str, Any]] = []
        for payload in ordered:
            chat_id, user_id = route_of(payload)
            rows.append(
                {
                    "bot_id": bot_id,
                    "update_id": int(payload["update_id"]),
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "status": PENDING,
                    "attempts": 0,
                    "error": None,
                    "payload": dict(payload),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        counts = await run_writes(
            self.engine, [(self._store, row) for row in rows], alone=self._alone
        )
        for row, count in zip(rows, counts, strict=True):
            if count:
                new.append(
                    InboxItem(
                        bot_id,
                        row["update_id"],
                        row["chat_id"],
                        row["user_id"],
                        PENDING,
                        0,
                        None,
                        dict(row["payload"]),
                        now,
                    )
                )
        return new

    async def pending(self, bot_id: int, *, limit: int = 10_000) -> list[InboxItem]:
        """Updates stored but not handled yet (after a crash), oldest first."""
        return await self._select(
            sa.select(_table)
            .where(_table.c.bot_id == bot_id, _table.c.status == PENDING)
            .order_by(_table.c.update_id)
            .limit(limit)
        )

    async def parked(self, bot_id: int | None = None) -> list[InboxItem]:
        query = sa.select(_table).where(_table.c.status == PARKED)
        if bot_id is not None:
            query = query.where(_table.c.bot_id == bot_id)
        return await self._select(query.order_by(_table.c.bot_id, _table.c.update_id))

    async def get(self, bot_id: int, update_id: int) -> InboxItem | None:
        items = await self._select(
            sa.select(_table).where(_table.c.bot_id == bot_id, _table.c.update_id == update_id)
        )
        return items[0] if items else None

    async def status(self, bot_id: int, update_id: int) -> str | None:
        """The status of one update (None when no row holds it)."""
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                sa.select(_table.c.status).where(
                    _table.c.bot_id == bot_id, _table.c.update_id == update_id
                )
            )
        return None if found is None else str(found)

    async def counts(self, bot_id: int | None = None) -> dict[str, int]:
        query = sa.select(_table.c.status, sa.func.count()).group_by(_table.c.status)
        if bot_id is not None:
            query = query.where(_table.c.bot_id == bot_id)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {str(status): int(count) for status, count in rows}

    async def _select(self, query: sa.Select[Any]) -> list[InboxItem]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [InboxItem.from_row(row) for row in rows]

    async def done(self, bot_id: int, update_id: int, *, writes: Sequence[Write] = ()) -> None:
        """Mark an update handled; `writes` (what the update changed) go in the same
        transaction, before the mark, so a crash keeps all of them or none."""
        mark = {"b_bot_id": bot_id, "b_update_id": update_id, "b_now": utcnow()}
        await run_writes(self.engine, [*writes, (self._done, mark)], alone=self._alone)

    async def failed(
        self, bot_id: int, update_id: int, error: BaseException | str, *, attempts: int
    ) -> str:
        """Record a failed attempt (`attempts` so far); park the update once it has failed
        `max_attempts` times. Returns the update's status."""
        status = PARKED if attempts >= self.max_attempts else PENDING
        async with self.engine.begin() as connection:
            await connection.execute(
                sa.update(_table)
                .where(
                    _table.c.bot_id == bot_id,
                    _table.c.update_id == update_id,
                    _table.c.status != DONE,
                )
                .values(
                    status=status, attempts=attempts, error=short_error(error), updated_at=utcnow()
                )
            )
        return status

    async def retry(self, *, bot_id: int | None = None, update_ids: Sequence[int] = ()) -> int:
        """Parked updates go back to pending (all of them, or those listed); a running bot
        picks them up. Returns how many."""
        statement = sa.update(_table).where(_table.c.status == PARKED)
        if bot_id is not None:
            statement = statement.where(_table.c.bot_id == bot_id)
        if update_ids:
            statement = statement.where(_table.c.update_id.in_(list(update_ids)))
        async with self.engine.begin() as connection:
            result = await connection.execute(
                statement.values(status=PENDING, attempts=0, updated_at=utcnow())
            )
        return int(result.rowcount or 0)

    async def prune(self, *, older_than: timedelta = KEEP_DONE) -> int:
        """Forget handled updates older than `older_than` (a redelivery can no longer come)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                sa.delete(_table).where(
                    _table.c.status == DONE, _table.c.created_at < utcnow() - older_than
                )
            )
        return int(result.rowcount or 0)

    async def forget_user(self, user_id: int) -> int:
        """Remove what the inbox keeps of a user (their data is being deleted): updates not
        handled yet are dropped, and no row keeps their ids or payload."""
        mine = sa.or_(_table.c.user_id == user_id, _table.c.chat_id == user_id)
        async with self.engine.begin() as connection:
            result = await connection.execute(
                sa.update(_table)
                .where(mine, _table.c.status != DONE)
                .values(status=DONE, updated_at=utcnow())
            )
            await connection.execute(
                sa.update(_table)
                .where(mine)
                .values(user_id=None, chat_id=None, payload=None, error=None)
            )
        return int(result.rowcount or 0)
