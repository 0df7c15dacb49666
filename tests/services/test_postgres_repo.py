"""Repository functions on PostgreSQL, including the races a webhook with several workers
(or a buyer double-tapping a button) produces."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.inbox import InboxService
from bot.storage import repo
from bot.storage.models import Case, Evidence, User

pytestmark = pytest.mark.postgres

USER_ID = 5_123_456_789  # above 2**31: the id columns must be BIGINT

DECISION = {
    "outcome": "full_refund",
    "rule_id": "undelivered-timeout",
    "policy_version": "default-1.0",
    "route": "self_service",
}


def case_fields(draft_key: str | None = None, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "number": f"RF-20261121-{secrets.token_hex(3).upper()}",
        "draft_key": draft_key or secrets.token_hex(16),
        "user_id": USER_ID,
        "language": "zh",
        "order_number": "KM20261121000123",
        "platform_type": "official",
        "order_status": "paid_undelivered",
        "cause": "delivery_timeout",
        "cause_text": None,
        "payment_channel": "alipay",
        "amount": Decimal("88.50"),
        "paid_at": datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
        "status": "approved",
        "decision": DECISION,
        "evidence": [],
        "decided": True,
    }
    fields.update(overrides)
    return fields


async def create_case(
    sessions: async_sessionmaker[AsyncSession], **overrides: Any
) -> tuple[Case, bool]:
    fields = case_fields(**overrides)
    async with sessions() as session:
        return await repo.create_case(session, **fields)


async def count(sessions: async_sessionmaker[AsyncSession], model: Any, *where: Any) -> int:
    async with sessions() as session:
        result = await session.exec(sa.select(sa.func.count()).select_from(model).where(*where))
        return int(result.one()[0])


@pytest.fixture
async def user(sessions: async_sessionmaker[AsyncSession]) -> User:
    async with sessions() as session:
        return await repo.upsert_user(
            session, user_id=USER_ID, first_name="小明", username="xiaoming"
        )


# --- users ----------------------------------------------------------------------------


async def test_upsert_user_creates_then_updates(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    assert (user.id, user.first_name, user.username, user.language) == (
        USER_ID,
        "小明",
        "xiaoming",
        None,
    )
    async with sessions() as session:
        again = await repo.upsert_user(session, user_id=USER_ID, first_name="Ming", username=None)
    assert (again.first_name, again.username) == ("Ming", None)
    async with sessions() as session:
        await repo.set_user_language(session, user_id=USER_ID, language="en")
    async with sessions() as session:
        stored = await session.get(User, USER_ID)
    assert stored is not None
    assert (stored.first_name, stored.username, stored.language) == ("Ming", None, "en")
    assert stored.updated_at >= stored.created_at


async def test_concurrent_upserts_of_a_new_user_make_one_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def touch() -> User:
        async with sessions() as session:
            return await repo.upsert_user(
                session, user_id=USER_ID + 1, first_name="A", username="a"
            )

    users = await asyncio.gather(*(touch() for _ in range(6)))
    assert {u.id for u in users} == {USER_ID + 1}
    assert await count(sessions, User) == 1


# --- cases ----------------------------------------------------------------------------


async def test_create_case_is_idempotent_on_the_draft_key(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    evidence = [
        {
            "file_id": "F1",
            "file_unique_id": "U1",
            "kind": "payment_record",
            "mime_type": "image/jpeg",
            "size": 1000,
        },
        {
            "file_id": "F1-again",
            "file_unique_id": "U1",
            "kind": "payment_record",
            "mime_type": "image/jpeg",
            "size": 1000,
        },
        {
            "file_id": "F2",
            "file_unique_id": "U2",
            "kind": "order_screenshot",
            "mime_type": None,
            "size": None,
        },
    ]
    first, created = await create_case(sessions, draft_key="draft-1", evidence=evidence)
    assert created
    second, created_again = await create_case(sessions, draft_key="draft-1", evidence=evidence)
    assert not created_again
    assert second.id == first.id and second.number == first.number
    assert await count(sessions, Case) == 1

    async with sessions() as session:
        stored = await repo.list_evidence(session, case_id=first.id)
        events = await repo.list_events(session, case_id=first.id)
    assert [e.file_unique_id for e in stored] == ["U1", "U2"]
    # the screenshots are part of the submission, not evidence added later
    assert [(e.kind, e.actor) for e in events] == [
        ("submitted", f"buyer:{USER_ID}"),
        ("status", "rules"),
    ]
    assert events[0].payload["evidence"] == 2


async def test_concurrent_create_case_with_one_draft_key_makes_one_case(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    results = await asyncio.gather(
        *(create_case(sessions, draft_key="double-tap") for _ in range(6))
    )
    assert sum(created for _, created in results) == 1
    assert len({case.id for case, _ in results}) == 1
    assert await count(sessions, Case) == 1


async def test_create_case_raises_on_a_clashing_number(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    await create_case(sessions, number="RF-20261121-SAME")
    with pytest.raises(sa.exc.IntegrityError):
        await create_case(sessions, number="RF-20261121-SAME")  # the service draws a new number
    assert await count(sessions, Case) == 1


async def test_list_get_and_events(sessions: async_sessionmaker[AsyncSession], user: User) -> None:
    cases = [(await create_case(sessions, number=f"RF-20261121-N{i:03d}"))[0] for i in range(3)]
    async with sessions() as session:
        listed = await repo.list_cases(session, user_id=USER_ID)
        limited = await repo.list_cases(session, user_id=USER_ID, limit=2)
        nobody = await repo.list_cases(session, user_id=1)
        mine = await repo.get_user_case(session, user_id=USER_ID, case_id=cases[0].id)
        not_mine = await repo.get_user_case(session, user_id=1, case_id=cases[0].id)
        missing = await repo.get_user_case(session, user_id=USER_ID, case_id=10_000)
        by_number = await repo.get_case_by_number(session, number="RF-20261121-N001")
        by_draft = await repo.get_case_by_draft(session, draft_key=cases[2].draft_key)
    assert [c.id for c in listed] == [c.id for c in reversed(cases)]  # newest first
    assert [c.id for c in limited] == [cases[2].id, cases[1].id]
    assert list(nobody) == []
    assert mine is not None and mine.id == cases[0].id
    assert not_mine is None and missing is None
    assert by_number is not None and by_number.id == cases[1].id
    assert by_draft is not None and by_draft.id == cases[2].id
    assert mine.amount == Decimal("88.50") and mine.decision == DECISION

    case = cases[0]
    async with sessions() as session:
        await repo.add_event(
            session, case_id=case.id, actor="support:7", kind="note", payload={"text": "已联系商家"}
        )
    async with sessions() as session:
        stored = await repo.get_user_case(session, user_id=USER_ID, case_id=case.id)
        assert stored is not None
        await repo.set_status(
            session,
            case=stored,
            status="appealed",
            actor=f"buyer:{USER_ID}",
            payload={"reason": "太慢"},
        )
    async with sessions() as session:
        events = await repo.list_events(session, case_id=case.id)
        reread = await repo.get_case_by_number(session, number=case.number)
    assert [e.kind for e in events] == ["submitted", "status", "note", "status"]
    assert events[2].payload == {"text": "已联系商家"}
    assert events[3].payload == {"status": "appealed", "reason": "太慢"}
    assert reread is not None and reread.status == "appealed"


# --- evidence -------------------------------------------------------------------------


async def add_file(
    sessions: async_sessionmaker[AsyncSession], case_id: int, unique: str = "PHOTO-1"
) -> bool:
    async with sessions() as session:
        return await repo.add_evidence(
            session,
            case_id=case_id,
            actor=f"buyer:{USER_ID}",
            file_id=f"file-{secrets.token_hex(4)}",
            file_unique_id=unique,
            kind="payment_record",
            mime_type="image/jpeg",
            size=2048,
        )


async def test_add_evidence_stores_a_file_once(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    case, _ = await create_case(sessions)
    assert await add_file(sessions, case.id) is True
    assert await add_file(sessions, case.id) is False
    assert await add_file(sessions, case.id, "PHOTO-2") is True
    async with sessions() as session:
        assert await repo.count_evidence(session, case_id=case.id) == 2
        events = await repo.list_events(session, case_id=case.id)
        await repo.label_evidence(
            session, case_id=case.id, file_unique_id="PHOTO-2", kind="chat_record"
        )
        kinds = [e.kind for e in await repo.list_evidence(session, case_id=case.id)]
    assert [e.kind for e in events].count("evidence_added") == 2
    assert kinds == ["payment_record", "chat_record"]


async def test_concurrent_add_evidence_of_one_file_stores_it_once(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    case, _ = await create_case(sessions)
    results = await asyncio.gather(*(add_file(sessions, case.id) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await count(sessions, Evidence, Evidence.case_id == case.id) == 1


async def test_concurrent_add_evidence_of_different_files_stores_each(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    case, _ = await create_case(sessions)
    results = await asyncio.gather(*(add_file(sessions, case.id, f"PHOTO-{n}") for n in range(5)))
    assert results == [True] * 5  # no deadlock on the case row, nothing dropped
    assert await count(sessions, Evidence, Evidence.case_id == case.id) == 5


# --- processed updates ----------------------------------------------------------------


async def test_inbox_keeps_each_update_once_and_prunes_handled_ones(engine: AsyncEngine) -> None:
    inbox = InboxService(engine)
    assert [i.update_id for i in await inbox.store(777, [{"update_id": 1}, {"update_id": 2}])] == [
        1,
        2,
    ]
    assert await inbox.store(777, [{"update_id": 1}]) == []
    assert [i.update_id for i in await inbox.store(778, [{"update_id": 1}])] == [
        1
    ]  # another bot's update 1
    results = await asyncio.gather(
        *(inbox.store(777, [{"update_id": 900_000_001}]) for _ in range(8))
    )
    assert sum(len(r) for r in results) == 1
    await inbox.done(777, 1)
    assert await inbox.prune(older_than=timedelta(days=2)) == 0
    assert await inbox.prune(older_than=timedelta(seconds=-1)) == 1  # only the handled one
    assert [i.update_id for i in await inbox.pending(777)] == [2, 900_000_001]


# --- time zones -----------------------------------------------------------------------


async def test_timestamps_come_back_timezone_aware(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    case, _ = await create_case(sessions)
    await add_file(sessions, case.id)
    async with sessions() as session:  # a new session: values come from the database
        stored = await repo.get_case_by_number(session, number=case.number)
        assert stored is not None
        stamps = [stored.created_at, stored.updated_at, stored.decided_at, stored.paid_at]
        stamps += [e.created_at for e in await repo.list_evidence(session, case_id=case.id)]
        stamps += [e.created_at for e in await repo.list_events(session, case_id=case.id)]
        owner = await session.get(User, USER_ID)
        assert owner is not None
        stamps += [owner.created_at, owner.updated_at]
    for stamp in stamps:
        assert stamp is not None and stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert stored.paid_at == datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    assert abs(datetime.now(UTC) - stored.created_at) < timedelta(minutes=5)
