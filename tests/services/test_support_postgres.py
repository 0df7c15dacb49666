"""The support workspace's durability on PostgreSQL: two bot instances (each its own engine
and connection pool) firing the same due timers and draining the same outbox: each timer
fires once, each message is claimed once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlmodel import select

from bot.services.support import SupportService
from bot.storage.db import create_engine, session_factory
from bot.storage.models import CaseEvent
from bot.storage.support_models import CaseTimer, OutboxMessage, SupportTopic
from tests.unit.test_support_service import CHAT, POLICY, FakeClock, seed

CASES = 25


async def test_two_instances_fire_each_timer_exactly_once(migrated_url: str) -> None:
    clock = FakeClock()
    engines = [create_engine(migrated_url) for _ in range(2)]
    try:
        a, b = (
            SupportService(sessions=session_factory(e), policy=POLICY, chat_id=CHAT, clock=clock)
            for e in engines
        )
        for n in range(CASES):
            await seed(
                a.sessions,
                user_id=2000 + n,
                number=f"RF-20261130-{n:04d}",
                status="with_merchant",
                route="merchant_review",
            )
        await asyncio.gather(
            a.reconcile(), b.reconcile()
        )  # both instances plan; one timer per case
        async with a.sessions() as session:
            timers = (await session.exec(select(CaseTimer))).all()
        assert len(timers) == CASES
        clock.advance(hours=25)
        fired: list[tuple[int, str, str]] = []
        for _round in range(4):
            results = await asyncio.gather(
                *(
                    s.fire_due_timers(instance=name, limit=5)
                    for s, name in ((a, "a"), (b, "b"), (a, "a"), (b, "b"))
                )
            )
            fired += [item for result in results for item in result]
        assert Counter(case_id for case_id, _kind, _outcome in fired) == Counter(
            {case_id: 1 for case_id, _k, _o in fired}
        )
        assert len(fired) == CASES
        async with a.sessions() as session:
            timers = (await session.exec(select(CaseTimer))).all()
            events = (
                await session.exec(select(CaseEvent).where(CaseEvent.kind == "deadline"))
            ).all()
            notices = (
                await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id != CHAT))
            ).all()
        assert {t.fired_by for t in timers if t.kind == "merchant_deadline"} <= {"a", "b"}
        assert all(t.fired_at is not None for t in timers if t.kind == "merchant_deadline")
        assert len(events) == CASES and len(notices) == CASES
    finally:
        for engine in engines:
            await engine.dispose()


async def test_two_instances_never_claim_the_same_notification(migrated_url: str) -> None:
    clock = FakeClock()
    engines = [create_engine(migrated_url) for _ in range(2)]
    try:
        a, b = (
            SupportService(sessions=session_factory(e), policy=POLICY, chat_id=CHAT, clock=clock)
            for e in engines
        )
        case_id = await seed(a.sessions)
        async with a.sessions() as session:
            for n in range(40):  # forty chats (one chat's messages go out one at a time)
                a._outbox(
                    session,
                    key=f"test:{n}",
                    chat_id=1001 + n,
                    case_id=case_id,
                    text=f"message {n}",
                    now=clock(),
                )
            await session.commit()
        claimed: list[int] = []
        for _round in range(5):
            results = await asyncio.gather(
                a.claim_outbox(limit=7),
                b.claim_outbox(limit=7),
                a.claim_outbox(limit=7),
                b.claim_outbox(limit=7),
            )
            claimed += [d.id for result in results for d in result]
        assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40
    finally:
        for engine in engines:
            await engine.dispose()


async def test_one_chats_messages_are_in_flight_one_at_a_time_in_order(migrated_url: str) -> None:
    """Two instances draining one buyer's queue: never two of their messages claimed at
    once, and they go out in the order they were written."""
    clock = FakeClock()
    engines = [create_engine(migrated_url) for _ in range(2)]
    try:
        a, b = (
            SupportService(sessions=session_factory(e), policy=POLICY, chat_id=CHAT, clock=clock)
            for e in engines
        )
        case_id = await seed(a.sessions)
        async with a.sessions() as session:
            for n in range(12):
                a._outbox(
                    session, key=f"seq:{n}", chat_id=1001, case_id=case_id, text=str(n), now=clock()
                )
            await session.commit()
        order: list[str] = []
        for _round in range(30):
            results = await asyncio.gather(*(s.claim_outbox(limit=5) for s in (a, b, a, b)))
            claimed = [d for result in results for d in result]
            assert len(claimed) <= 1  # the next waits until this one is sent
            for delivery in claimed:
                order.append(str(delivery.payload["text"]))
                await a.outbox_sent(delivery.id, 1)
        assert order == [str(n) for n in range(12)]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_two_instances_count_one_buyers_failed_answers_together(migrated_url: str) -> None:
    """Five answers that did not help, handled by two instances at once: every one is
    counted (two streaks of two taken, one failure left) and the case goes to a person
    once."""
    clock = FakeClock()
    engines = [create_engine(migrated_url) for _ in range(2)]
    try:
        a, b = (
            SupportService(sessions=session_factory(e), policy=POLICY, chat_id=CHAT, clock=clock)
            for e in engines
        )
        buyers = [3000 + n for n in range(10)]
        for n, user_id in enumerate(buyers):
            await seed(a.sessions, user_id=user_id, number=f"RF-20261130-S{n:03d}")
        results = await asyncio.gather(
            *(
                s.bot_answered(user_id=user_id, helped=False)
                for user_id in buyers
                for s in (a, b, a, b, a)
            )
        )
        assert results.count(True) == len(buyers)  # one escalation per buyer
        assert [await a.failure_streak(user_id) for user_id in buyers] == [1] * len(buyers)
        async with a.sessions() as session:
            topics = (await session.exec(select(SupportTopic))).all()
        assert sorted(t.user_id for t in topics) == buyers
        assert all(t.trigger == "bot_failed" for t in topics)
    finally:
        for engine in engines:
            await engine.dispose()
