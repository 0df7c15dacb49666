"""Sign-in links on PostgreSQL: two console instances (each its own engine and pool)
redeeming the same link at the same moment open one session, never two."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.storage.db import create_engine, session_factory
from bot.web.auth import Logins
from bot.web.models import WebLogin
from tests.services.conftest import (  # noqa: F401  (fixtures)
    migrated_url,
    pg_template,
    postgres_admin,
)

pytestmark = pytest.mark.postgres


async def test_a_link_redeemed_by_two_instances_at_once_opens_one_session(
    migrated_url: str,  # noqa: F811
) -> None:
    engines = [create_engine(migrated_url) for _ in range(2)]
    try:
        now = datetime.now(UTC)
        a, b = (
            Logins(
                session_factory(e),
                clock=lambda: now,
                link_ttl=timedelta(minutes=5),
                session_ttl=timedelta(hours=1),
            )
            for e in engines
        )
        tokens = [await a.create_link(user_id=7001, first_name="op", lang="zh") for _ in range(20)]
        results = await asyncio.gather(*(x.redeem(t) for t in tokens for x in (a, b, a, b)))
        won = [r for r in results if r is not None]
        assert len(won) == len(tokens)  # each link exactly once
        assert len({r.token_hash for r in won}) == len(tokens)
        async with session_factory(engines[0])() as session:
            rows = (await session.exec(select(WebLogin))).all()
        assert all(row.used_at is not None for row in rows)
        assert await a.redeem(tokens[0]) is None
    finally:
        for engine in engines:
            await engine.dispose()
