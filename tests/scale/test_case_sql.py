"""A case filed at the end of the wizard through core SQL in one transaction
(`repo.file_case`, one hand-off to SQLite's write connection): the same rows as the ORM's
`repo.create_case` (the case, its evidence, its first events and what the support workspace
files with it), idempotent on the draft key, and a clashing case number refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.policy_files import DEFAULT_POLICY_PATH, load_policy
from bot.services.support import SupportService
from bot.storage import repo
from bot.storage.db import RAW_COUNTS, create_engine, migrate, session_factory, sqlite_writer
from tests.support.cases import case_facts, decision

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
SUPPORT_CHAT = -100777
POLICY = load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or a migrated PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cases.sqlite3'}"
    return str(request.getfixturevalue("migrated_url"))


@pytest.fixture
async def any_engine(any_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database, made the way the bot makes it."""
    engine = create_engine(any_url)
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both paths stamp their rows at the same instant, so the rows can be compared whole."""
    monkeypatch.setattr(repo, "utcnow", lambda: NOW)


def support(engine: AsyncEngine) -> SupportService:
    return SupportService(
        sessions=session_factory(engine), policy=POLICY, chat_id=SUPPORT_CHAT, clock=lambda: NOW
    )


def fields(user_id: int, draft_key: str, number: str, **more: Any) -> dict[str, Any]:
    with_merchant = {
        "status": "with_merchant",
        "decision": decision("partial_refund", "merchant_review"),
    }
    return case_facts(
        user_id=user_id, number=number, draft_key=draft_key, **{**with_merchant, **more}
    )


# the kinds of case the wizard files: what the workspace adds differs for each
KINDS: dict[str, dict[str, Any]] = {
    "to a person, with evidence (one file twice) and a phone number typed": {
        "status": "in_review",
        "decision": decision("needs_review", "platform_review"),
        "cause_text": "the seller stopped answering, call me on 13812345678",
        "paid_at": datetime(2026, 11, 30, 9, 30, tzinfo=UTC),
        "completed_at": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        "evidence": [
            {
                "file_id": "f1",
                "file_unique_id": "u1",
                "kind": "order_screenshot",
                "mime_type": "image/png",
                "size": 1234,
                "media": "photo",
            },
            {
                "file_id": "f2",
                "file_unique_id": "u2",
                "kind": "other",
                "mime_type": "application/pdf",
                "size": None,
                "media": "document",
            },
            {
                "file_id": "f1-again",
                "file_unique_id": "u1",
                "kind": "other",
                "mime_type": None,
                "size": None,
                "media": None,
            },
        ],
    },
    "with the merchant (its deadline)": {},
    "decided at once": {
        "status": "rejected",
        "decision": decision("no_refund", "self_service"),
        "decided": True,
    },
}

_ROWS = {
    # table: (its columns that name the case, the column to order by)
    "cases": (("id", "number", "draft_key"), "id"),
    "evidence": (("id", "case_id"), "id"),
    "case_events": (("id", "case_id"), "id"),
    "support_topics": (("case_id",), "case_id"),
    "support_timers": (("id", "case_id"), "id"),
}


async def rows_of(engine: AsyncEngine, case_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row filed with the case, without the ids and keys that name it."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as connection:
        for table, (naming, order) in _ROWS.items():
            owner = "id" if table == "cases" else "case_id"
            result = await connection.execute(
                sa.text(f"SELECT * FROM {table} WHERE {owner} = :c ORDER BY {order}"),
                {"c": case_id},
            )
            found[table] = [
                {k: v for k, v in row.items() if k not in naming} for row in result.mappings()
            ]
    return found


async def user(engine: AsyncEngine, user_id: int) -> None:
    async with engine.connect() as connection:
        await repo.record_user(connection, user_id=user_id, first_name="Li")


@pytest.mark.parametrize("kind", list(KINDS))
async def test_the_same_rows_as_the_orm(any_engine: AsyncEngine, kind: str) -> None:
    workspace = support(any_engine)
    await user(any_engine, 501)
    sessions = session_factory(any_engine)
    async with sessions() as session:
        by_orm, created = await repo.create_case(
            session,
            **fields(501, "orm", "RF-20261201-ORM1", **KINDS[kind]),
            also=workspace.case_filed,
        )
    assert created and by_orm.id is not None
    by_sql, created = await repo.file_case(
        any_engine,
        **fields(501, "sql", "RF-20261201-SQL1", **KINDS[kind]),
        also=workspace.filed_rows,
    )
    assert created and by_sql.id is not None and by_sql.id != by_orm.id
    orm_rows, sql_rows = await rows_of(any_engine, by_orm.id), await rows_of(any_engine, by_sql.id)
    assert sql_rows == orm_rows
    assert orm_rows["cases"] and orm_rows["case_events"]  # something was compared
    if kind.startswith("to a person"):
        assert len(orm_rows["evidence"]) == 2 and len(orm_rows["support_topics"]) == 1
        assert "13812345678" not in str(orm_rows["cases"])
    if kind.startswith("with the merchant"):
        assert len(orm_rows["support_timers"]) == 1
    # the case handed back is the one stored, as the ORM's is
    for name in ("user_id", "status", "outcome", "cause_text", "amount", "decision"):
        assert getattr(by_sql, name) == getattr(by_orm, name), name
    assert (by_sql.created_at, by_sql.decided_at) == (by_orm.created_at, by_orm.decided_at)
    assert by_sql.number == "RF-20261201-SQL1"


async def test_a_draft_is_filed_once(any_engine: AsyncEngine) -> None:
    await user(any_engine, 502)
    first, created = await repo.file_case(any_engine, **fields(502, "d-once", "RF-20261201-ONE1"))
    again, created_again = await repo.file_case(
        any_engine, **fields(502, "d-once", "RF-20261201-ONE2")
    )
    assert created and not created_again
    assert again.id == first.id and again.number == "RF-20261201-ONE1"


async def test_confirmations_side_by_side_file_one_case(any_engine: AsyncEngine) -> None:
    await user(any_engine, 503)
    found = await asyncio.gather(
        *(
            repo.file_case(any_engine, **fields(503, "d-tap", f"RF-20261201-TAP{i}"))
            for i in range(6)
        )
    )
    assert sum(created for _, created in found) == 1
    assert len({case.id for case, _ in found}) == 1
    async with any_engine.connect() as connection:
        count = await connection.scalar(sa.text("SELECT count(*) FROM cases WHERE user_id = 503"))
        events = await connection.scalar(sa.text("SELECT count(*) FROM case_events"))
    assert count == 1 and events == 2


async def test_a_clashing_number_is_refused_and_nothing_is_kept(any_engine: AsyncEngine) -> None:
    await user(any_engine, 504)
    await repo.file_case(any_engine, **fields(504, "d-a", "RF-20261201-SAME"))
    with pytest.raises(IntegrityError):
        await repo.file_case(
            any_engine,
            **fields(504, "d-b", "RF-20261201-SAME", evidence=KINDS[next(iter(KINDS))]["evidence"]),
        )
    async with any_engine.connect() as connection:
        cases = await connection.scalar(sa.text("SELECT count(*) FROM cases"))
        evidence = await connection.scalar(sa.text("SELECT count(*) FROM evidence"))
    assert (cases, evidence) == (1, 0)
    # the service draws another number and files it
    second, created = await repo.file_case(any_engine, **fields(504, "d-b", "RF-20261201-NEW1"))
    assert created and second.number == "RF-20261201-NEW1"


async def test_a_case_whose_rows_fail_half_way_leaves_nothing(any_engine: AsyncEngine) -> None:
    """The case, its files and events are written before the workspace's rows: when one of
    those fails, none of them is kept (one transaction), and the next case files whole."""
    await user(any_engine, 506)
    workspace = support(any_engine)

    def twice(case: Any) -> list[Any]:  # the same topic twice: its key refuses the second
        return [*workspace.filed_rows(case), *workspace.filed_rows(case)]

    person = KINDS[next(iter(KINDS))]
    with pytest.raises(IntegrityError):
        await repo.file_case(
            any_engine, **fields(506, "d-half", "RF-20261201-HALF", **person), also=twice
        )
    async with any_engine.connect() as connection:
        kept = [
            await connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("cases", "evidence", "case_events", "support_topics")
        ]
    assert kept == [0, 0, 0, 0]
    case, created = await repo.file_case(
        any_engine,
        **fields(506, "d-whole", "RF-20261201-WHLE", **person),
        also=workspace.filed_rows,
    )
    assert created
    assert (await rows_of(any_engine, case.id or 0))["support_topics"]
    async with any_engine.connect() as connection:
        assert await connection.scalar(sa.text("SELECT count(*) FROM cases")) == 1


async def test_on_sqlite_the_case_is_one_hand_off_to_the_write_connection(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'one.sqlite3'}")
    try:
        await migrate(engine)
        await user(engine, 505)
        writer = sqlite_writer(engine)
        assert writer is not None
        pooled: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: pooled.append(a[2]))
        hand_offs, statements = writer.hand_offs, RAW_COUNTS.statements
        case, created = await repo.file_case(
            engine,
            **fields(505, "d-one", "RF-20261201-HAND", **KINDS[next(iter(KINDS))]),
            also=support(engine).filed_rows,
        )
        assert created
        assert writer.hand_offs - hand_offs == 1
        # the draft's lookup, the case, two files, three events and the topic
        assert RAW_COUNTS.statements - statements == 8
        assert pooled == []  # nothing through a pooled connection
    finally:
        await engine.dispose()
