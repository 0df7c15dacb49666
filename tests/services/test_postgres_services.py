"""The SQL FSM storage, the refund service and the SQL update ledger on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import DEFAULT_POLICY_FILE
from bot.domain.draft import Draft, Moment
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PaymentChannel, PlatformType
from bot.policy_files import load_policy
from bot.services.inbox import InboxService
from bot.services.refunds import RefundService
from bot.storage import repo
from bot.storage.db import create_engine, session_factory
from bot.telegram.fsm import SQLStorage
from bot.telegram.states import Wizard

pytestmark = pytest.mark.postgres

BOT_ID, USER_ID = 8_000_000_001, 5_000_000_007
KEY = StorageKey(bot_id=BOT_ID, chat_id=USER_ID, user_id=USER_ID)
DATA = {
    "draft_key": "3f1c",
    "order_number": "KM20261121000123",
    "cause_text": '卡密无效，客服不回复 🙁 «quotes» \\ back"slash',
    "evidence": [{"file_unique_id": "AQAD", "kind": "payment_record"}],
    "amount": "88.50",
}


async def test_sql_storage_keeps_state_and_data_across_a_restart(
    migrated_url: str, engine: AsyncEngine
) -> None:
    storage = SQLStorage(engine)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}

    await storage.set_state(KEY, Wizard.amount)
    await storage.set_data(KEY, DATA)
    await storage.set_state(KEY, Wizard.payment_time)  # state and data are written separately
    assert await storage.get_data(KEY) == DATA
    other = StorageKey(bot_id=BOT_ID, chat_id=USER_ID + 1, user_id=USER_ID + 1)
    assert await storage.get_state(other) is None
    await storage.close()
    await engine.dispose()

    restarted = create_engine(migrated_url)  # a new process: a new engine, same database
    try:
        storage = SQLStorage(restarted)
        assert await storage.get_state(KEY) == Wizard.payment_time.state
        data = await storage.get_data(KEY)
        assert data == DATA
        assert data["cause_text"] == DATA["cause_text"]  # unicode survives the JSON column

        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        assert await storage.get_state(KEY) is None
        assert await storage.get_data(KEY) == {}
    finally:
        await restarted.dispose()


async def test_sql_storage_concurrent_writes_to_one_key(engine: AsyncEngine) -> None:
    storage = SQLStorage(engine)
    await asyncio.gather(*(storage.set_data(KEY, {"n": n}) for n in range(8)))
    assert (await storage.get_data(KEY))["n"] in range(8)


def draft() -> Draft:
    wizard = Draft(
        order_number="KM20261121000123",
        platform_type=PlatformType.OFFICIAL,
        order_status=OrderStatus.PAID_UNDELIVERED,
        cause=Cause.DELIVERY_TIMEOUT,
        payment_channel=PaymentChannel.ALIPAY,
        amount=Decimal("88.50"),
        paid=Moment.typed(datetime.now(UTC) - timedelta(hours=30)),
    )
    wizard.add_file(
        {
            "file_id": "F1",
            "file_unique_id": "U1",
            "kind": EvidenceKind.PAYMENT_RECORD,
            "mime_type": "image/jpeg",
            "size": 100,
        }
    )
    wizard.add_file(
        {
            "file_id": "F1b",
            "file_unique_id": "U1",
            "kind": EvidenceKind.PAYMENT_RECORD,
            "mime_type": "image/jpeg",
            "size": 100,
        }
    )
    return wizard


@pytest.fixture
async def service(sessions: async_sessionmaker[AsyncSession]) -> RefundService:
    async with sessions() as session:
        await repo.upsert_user(session, user_id=USER_ID, first_name="Ming", username=None)
    return RefundService(policy=load_policy(DEFAULT_POLICY_FILE), sessions=sessions)


async def test_submit_twice_with_one_draft_makes_one_case(service: RefundService) -> None:
    wizard = draft()
    now = datetime.now(UTC)
    case, created = await service.submit(user_id=USER_ID, language="zh", draft=wizard, now=now)
    again, created_again = await service.submit(
        user_id=USER_ID, language="zh", draft=wizard, now=now
    )
    assert (created, created_again) == (True, False)
    assert again.id == case.id and again.number == case.number

    cases = await service.list_cases(user_id=USER_ID)
    assert [c.id for c in cases] == [case.id]
    assert await service.evidence_count(case_id=case.id) == 1
    view = await service.view(user_id=USER_ID, case_id=case.id, now=now)
    assert view.case.rule_id == case.rule_id and view.case.policy_version
    assert view.case.created_at.tzinfo is not None


async def test_concurrent_submits_with_one_draft_make_one_case(service: RefundService) -> None:
    wizard = draft()
    now = datetime.now(UTC)
    results = await asyncio.gather(
        *(service.submit(user_id=USER_ID, language="en", draft=wizard, now=now) for _ in range(4))
    )
    assert sum(created for _, created in results) == 1
    assert len({case.id for case, _ in results}) == 1
    assert len(await service.list_cases(user_id=USER_ID)) == 1


async def test_inbox_stores_an_update_once(engine: AsyncEngine) -> None:
    inbox = InboxService(engine)
    assert [item.update_id for item in await inbox.store(BOT_ID, [{"update_id": 1}])] == [1]
    assert await inbox.store(BOT_ID, [{"update_id": 1}]) == []
    # concurrent deliveries of one update (two webhook instances): stored once
    results = await asyncio.gather(
        *(InboxService(engine).store(BOT_ID, [{"update_id": 2}]) for _ in range(6))
    )
    assert sum(len(new) for new in results) == 1


async def test_a_second_engine_sees_the_first_ones_cases(
    migrated_url: str, service: RefundService
) -> None:
    case, _ = await service.submit(
        user_id=USER_ID, language="zh", draft=draft(), now=datetime.now(UTC)
    )
    other = create_engine(migrated_url)  # another bot instance behind the same webhook
    try:
        async with session_factory(other)() as session:
            found = await repo.get_case_by_number(session, number=case.number)
    finally:
        await other.dispose()
    assert found is not None and found.id == case.id
