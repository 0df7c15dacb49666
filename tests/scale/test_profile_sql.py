"""A buyer's profile (language and ban), read on their first update and a minute after the
last, through core SQL: one query for a known buyer, the row recorded as the ORM did."""

from __future__ import annotations

import asyncio
import sqlite3

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.users import UserService
from bot.storage.db import session_factory


async def user_row(engine: AsyncEngine, user_id: int) -> list[tuple[object, ...]]:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT id, language, first_name, username FROM users WHERE id = :i"),
            {"i": user_id},
        )
        return [tuple(row) for row in found.all()]


def fresh(engine: AsyncEngine) -> UserService:
    return UserService(sessions=session_factory(engine), remember_seconds=0)


async def test_a_new_buyer_is_recorded_and_a_known_one_read_in_one_query(
    engine: AsyncEngine,
) -> None:
    users = fresh(engine)
    profile = await users.profile(user_id=11, first_name="Li", username="li")
    assert (profile.language, profile.ban) == (None, None)
    assert await user_row(engine, 11) == [(11, None, "Li", "li")]
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    await users.profile(user_id=11, first_name="Li", username="li")
    assert len(statements) == 1


async def test_changed_names_are_written_and_the_language_kept(engine: AsyncEngine) -> None:
    users = fresh(engine)
    await users.profile(user_id=12, first_name="Li", username=None)
    await users.set_language(user_id=12, language="en")
    profile = await users.profile(user_id=12, first_name="Lei", username="lei")
    assert profile.language == "en"
    assert await user_row(engine, 12) == [(12, "en", "Lei", "lei")]


async def test_a_ban_is_read_with_the_profile_known_or_new(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for user_id, mode in ((13, "shadow"), (14, "ban")):
            await connection.execute(
                sa.text(
                    "INSERT INTO support_bans (user_id, mode, by_id, told, created_at)"
                    " VALUES (:u, :m, 1, 0, '2026-01-01')"
                ),
                {"u": user_id, "m": mode},
            )
    users = fresh(engine)
    assert (await users.profile(user_id=13, first_name=None, username=None)).ban == "shadow"
    assert (await users.profile(user_id=13, first_name=None, username=None)).ban == "shadow"
    assert (await users.profile(user_id=14, first_name="x", username=None)).ban == "ban"


async def test_a_buyer_recorded_by_updates_side_by_side_once(engine: AsyncEngine) -> None:
    users = [fresh(engine) for _ in range(6)]
    found = await asyncio.gather(
        *(u.profile(user_id=15, first_name="Li", username=None) for u in users)
    )
    assert {(p.language, p.ban) for p in found} == {(None, None)}
    assert await user_row(engine, 15) == [(15, None, "Li", None)]


async def test_a_buyer_recorded_between_the_read_and_the_insert(engine: AsyncEngine) -> None:
    """Another update of the same new buyer records them after this one found no row: the
    insert clashes, and the row the other wrote is read instead."""
    inserted: list[str] = []

    def record_first(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("INSERT INTO users") and not inserted:
            inserted.append(statement)
            with sqlite3.connect(str(engine.url.database)) as other:
                other.execute(
                    "INSERT INTO users (id, language, first_name, created_at, updated_at)"
                    " VALUES (16, 'en', 'Other', '2026-01-01', '2026-01-01')"
                )
            other.close()

    event.listen(engine.sync_engine, "before_cursor_execute", record_first)
    profile = await fresh(engine).profile(user_id=16, first_name="Li", username=None)
    assert inserted and profile.language == "en"
    assert await user_row(engine, 16) == [(16, "en", "Other", None)]
