"""Storage on the embedded default (SQLite): migrations, idempotent writes, FSM persistence.
The same behaviour on PostgreSQL and Redis is covered in tests/services."""

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from bot.services.inbox import InboxService
from bot.storage import repo
from bot.storage.db import create_engine, migrate, session_factory
from bot.telegram.fsm import SQLStorage


@pytest.fixture
async def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'bot.sqlite3'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


def case_fields(draft_key: str, number: str = "RF-20261121-AAAA") -> dict:  # type: ignore[type-arg]
    return {
        "number": number,
        "draft_key": draft_key,
        "user_id": 7,
        "language": "zh",
        "order_number": "KM123456",
        "platform_type": "aggregator",
        "order_status": "paid_undelivered",
        "cause": "out_of_stock",
        "cause_text": None,
        "payment_channel": "alipay",
        "amount": Decimal("100.00"),
        "paid_at": None,
        "status": "merchant_review",
        "decision": {"outcome": "full_refund", "rule_id": "r1", "policy_version": "v1"},
        "evidence": [
            {
                "file_id": "a",
                "file_unique_id": "ua",
                "kind": "payment_record",
                "mime_type": "image/jpeg",
                "size": 10,
            },
            {
                "file_id": "a2",
                "file_unique_id": "ua",
                "kind": "payment_record",
                "mime_type": "image/jpeg",
                "size": 10,
            },
        ],
        "decided": False,
    }


async def test_migrations_create_the_file_and_match_the_models(engine) -> None:  # type: ignore[no-untyped-def]
    await migrate(engine)  # a second run is a no-op

    def diff(connection):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_case_is_created_once_per_draft(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    async with sessions() as session:
        await repo.upsert_user(session, user_id=7, first_name="A", username=None)
        case, created = await repo.create_case(session, **case_fields("draft-1"))
        assert created
        again, created_again = await repo.create_case(
            session, **case_fields("draft-1", number="RF-20261121-BBBB")
        )
        assert not created_again and again.id == case.id
        evidence = await repo.list_evidence(session, case_id=case.id)
        assert [e.file_unique_id for e in evidence] == ["ua"]  # the same photo twice is stored once
        kinds = [e.kind for e in await repo.list_events(session, case_id=case.id)]
        assert kinds == ["submitted", "status"]  # the screenshots belong to the submission


async def test_concurrent_confirmations_make_one_case(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    async with sessions() as session:
        await repo.upsert_user(session, user_id=7)

    async def submit(number: str):  # type: ignore[no-untyped-def]
        async with sessions() as session:
            return await repo.create_case(session, **case_fields("draft-2", number=number))

    results = await asyncio.gather(submit("RF-20261121-CCCC"), submit("RF-20261121-DDDD"))
    assert sorted(created for _, created in results) == [False, True]
    assert len({case.id for case, _ in results}) == 1


async def test_evidence_added_once(engine) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    async with sessions() as session:
        await repo.upsert_user(session, user_id=7)
        case, _ = await repo.create_case(session, **case_fields("draft-3"))
        file = {
            "file_id": "b",
            "file_unique_id": "ub",
            "kind": "other",
            "mime_type": "image/png",
            "size": 5,
        }
        assert await repo.add_evidence(session, case_id=case.id, actor="buyer:7", **file)
        assert not await repo.add_evidence(session, case_id=case.id, actor="buyer:7", **file)
        assert await repo.count_evidence(session, case_id=case.id) == 2


async def test_inbox_drops_a_repeated_update(engine) -> None:  # type: ignore[no-untyped-def]
    inbox = InboxService(engine)
    first = await inbox.store(
        1, [{"update_id": 10, "message": {"chat": {"id": 5}, "from": {"id": 5}}}]
    )
    assert [(item.update_id, item.chat_id, item.user_id) for item in first] == [(10, 5, 5)]
    assert await inbox.store(1, [{"update_id": 10}]) == []  # a repeated delivery
    assert [item.update_id for item in await inbox.store(2, [{"update_id": 10}])] == [
        10
    ]  # another bot


async def test_fsm_state_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fsm.sqlite3'}"
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    first = create_engine(url)
    await migrate(first)
    storage = SQLStorage(first)
    await storage.set_state(key, "Wizard:amount")
    await storage.set_data(key, {"order_number": "KM123456", "note": "卡密无效"})
    await first.dispose()

    second = create_engine(url)
    restarted = SQLStorage(second)
    assert await restarted.get_state(key) == "Wizard:amount"
    assert await restarted.get_data(key) == {"order_number": "KM123456", "note": "卡密无效"}
    await restarted.set_state(key, None)
    assert await restarted.get_state(key) is None
    assert await restarted.get_data(StorageKey(bot_id=1, chat_id=3, user_id=3)) == {}
    await second.dispose()


def test_db_upgrade_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli' / 'bot.sqlite3'}")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "cli" / "bot.sqlite3").exists()
    assert main(["db"]) == 2


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(engine) -> None:  # type: ignore[no-untyped-def]
    """The pool's reset on return (SQLite): a write left uncommitted is undone, so the next
    user of the pooled connection neither sees nor commits it."""
    async with engine.connect() as connection:
        await connection.exec_driver_sql("CREATE TABLE reset_probe (x INTEGER)")
        await connection.commit()
    for _ in range(3):
        async with engine.connect() as connection:
            await connection.exec_driver_sql("INSERT INTO reset_probe VALUES (1)")
            # no commit: returned to the pool inside a transaction
    async with engine.begin() as connection:
        await connection.exec_driver_sql("INSERT INTO reset_probe VALUES (2)")
    async with engine.connect() as connection:
        rows = (await connection.exec_driver_sql("SELECT x FROM reset_probe")).all()
    assert [row[0] for row in rows] == [2]


async def test_a_read_returns_its_connection_without_a_rollback(  # type: ignore[no-untyped-def]
    engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rollback is a hand-off to aiosqlite's thread and back: a connection that only
    read (no transaction open) goes back to the pool without one."""
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection

    rollbacks: list[object] = []
    plain = AsyncAdapt_aiosqlite_connection.rollback

    def rollback(self: AsyncAdapt_aiosqlite_connection) -> None:
        rollbacks.append(self)
        plain(self)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", rollback)
    for _ in range(5):
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("SELECT 1")).scalar() == 1
    assert rollbacks == []
    async with engine.connect() as connection:
        await connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS reset_probe (x INTEGER)")
        await connection.commit()
        await connection.exec_driver_sql("INSERT INTO reset_probe VALUES (1)")
    assert len(rollbacks) == 1  # the write left open was undone
