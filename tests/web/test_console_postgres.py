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


async def test_the_queue_filters_and_orders_in_postgresql(
    migrated_url: str,  # noqa: F811
) -> None:
    from decimal import Decimal

    from bot.storage import repo
    from bot.storage.models import CaseEvent
    from bot.storage.support_models import CaseTimer
    from bot.web import queries

    engine = create_engine(migrated_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    try:
        ids = []
        async with sessions() as session:
            await repo.upsert_user(session, user_id=1001, first_name="李雷", username="lilei")
            for number, route in (
                ("RF-20261130-P0A1", "platform_review"),
                ("RF-20261130-P0B2", "human_agent"),
                ("RF-20261130-P0C3", "platform_review"),
            ):
                case, _ = await repo.create_case(
                    session,
                    number=number,
                    draft_key=number,
                    user_id=1001,
                    language="zh",
                    order_number=f"KM{number[-4:]}0000000",
                    platform_type="aggregator",
                    order_status="paid_undelivered",
                    cause="out_of_stock",
                    cause_text=None,
                    payment_channel="alipay",
                    amount=Decimal("10"),
                    paid_at=now,
                    status="in_review",
                    decision={"route": route, "outcome": "full_refund", "rule_id": "r"},
                    evidence=[],
                    decided=False,
                )
                ids.append(case.id)
            session.add(CaseTimer(case_id=ids[0], kind="x", due_at=now + timedelta(hours=2)))
            session.add(CaseTimer(case_id=ids[2], kind="x", due_at=now - timedelta(hours=1)))
            session.add(CaseEvent(case_id=ids[1], actor="timer", kind="breach", payload={}))
            await session.commit()

        async def numbers(**params: str) -> list[str]:
            flt = queries.QueueFilter.from_params(params)
            rows = await queries.queue(sessions, flt, me=7001, now=now, tz_name="UTC")
            return [r.case.number for r in rows]

        # breached (an event, or a deadline already passed) first, then by deadline
        assert await numbers() == ["RF-20261130-P0C3", "RF-20261130-P0B2", "RF-20261130-P0A1"]
        assert await numbers(route="platform_review") == ["RF-20261130-P0C3", "RF-20261130-P0A1"]
        assert await numbers(deadline="breached") == ["RF-20261130-P0C3", "RF-20261130-P0B2"]
        assert await numbers(deadline="soon") == ["RF-20261130-P0A1"]
        assert await numbers(q="rf-20261130-p0b2") == ["RF-20261130-P0B2"]
    finally:
        await engine.dispose()
