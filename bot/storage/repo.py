"""Repository functions: keyword-only, each taking the session it works in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NotRequired, TypedDict, Unpack

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.pii import mask_pii
from bot.storage.db import Unit, run_unit
from bot.storage.models import (
    Case,
    CaseEvent,
    Evidence,
    GroupSettings,
    User,
    utcnow,
)
from bot.storage.support_models import BuyerBan


async def upsert_user(
    session: AsyncSession,
    *,
    user_id: int,
    first_name: str | None = None,
    username: str | None = None,
) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, first_name=first_name, username=username)
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:  # created meanwhile by a concurrent update of the same user
            await session.rollback()
            user = await session.get(User, user_id)
            assert user is not None
    elif (user.first_name, user.username) != (first_name, username):
        user.first_name, user.username, user.updated_at = first_name, username, utcnow()
        session.add(user)
        await session.commit()
    return user


# a user's language and names with the ban support put on them, in one query
_PROFILE = sa.select(
    col(User.language),
    col(User.first_name),
    col(User.username),
    sa.select(BuyerBan.mode)  # type: ignore[call-overload]
    .where(col(BuyerBan.user_id) == sa.bindparam("user_id"))
    .scalar_subquery(),
).where(col(User.id) == sa.bindparam("user_id"))
_BAN = sa.select(BuyerBan.mode).where(col(BuyerBan.user_id) == sa.bindparam("user_id"))  # type: ignore[call-overload]


async def record_user(
    connection: AsyncConnection,
    *,
    user_id: int,
    first_name: str | None = None,
    username: str | None = None,
) -> tuple[str | None, str | None]:
    """`upsert_user` in core SQL, with `ban_mode_of`: the user's language and ban.

    A known user with the same names is one query (no ORM session, identity map or unit of
    work: the buyer's profile is read on every update a minute after the last)."""
    found = (await connection.execute(_PROFILE, {"user_id": user_id})).first()
    if found is None:
        now = utcnow()
        try:
            await connection.execute(
                sa.insert(User).values(
                    id=user_id,
                    first_name=first_name,
                    username=username,
                    language=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            await connection.commit()
        except IntegrityError:  # recorded meanwhile by another update of the buyer's
            await connection.rollback()
            found = (await connection.execute(_PROFILE, {"user_id": user_id})).first()
            assert found is not None
            return found[0], found[3]
        ban = (await connection.execute(_BAN, {"user_id": user_id})).scalar()
        return None, None if ban is None else str(ban)
    language, known_first, known_username, ban = found
    if (known_first, known_username) != (first_name, username):
        await connection.execute(
            sa.update(User)
            .where(col(User.id) == user_id)
            .values(first_name=first_name, username=username, updated_at=utcnow())
        )
        await connection.commit()
    return language, None if ban is None else str(ban)


async def ban_mode_of(session: AsyncSession, user_id: int) -> str | None:
    """The ban support put on a buyer: None, "ban" or "shadow"."""
    found = await session.scalar(
        sa.select(BuyerBan.mode).where(col(BuyerBan.user_id) == user_id)  # type: ignore[call-overload]
    )
    return None if found is None else str(found)


async def set_user_language(session: AsyncSession, *, user_id: int, language: str) -> None:
    await session.exec(
        sa.update(User)
        .where(col(User.id) == user_id)
        .values(language=language, updated_at=utcnow())
    )
    await session.commit()


async def get_case_by_draft(session: AsyncSession, *, draft_key: str) -> Case | None:
    result = await session.exec(select(Case).where(Case.draft_key == draft_key))
    return result.first()


class CaseFacts(TypedDict):
    """What a new case is filed with (`create_case`, `file_case`)."""

    number: str
    draft_key: str
    user_id: int
    language: str
    order_number: str
    platform_type: str
    order_status: str
    cause: str
    cause_text: str | None
    payment_channel: str
    amount: Decimal
    paid_at: datetime | None
    status: str
    completed_at: NotRequired[datetime | None]
    decision: dict[str, Any]
    decided: bool


def _new_case(facts: CaseFacts, now: datetime) -> Case:
    cause_text = facts["cause_text"]
    decision = facts["decision"]
    return Case(
        number=facts["number"],
        draft_key=facts["draft_key"],
        user_id=facts["user_id"],
        language=facts["language"],
        order_number=facts["order_number"],
        platform_type=facts["platform_type"],
        order_status=facts["order_status"],
        cause=facts["cause"],
        # typed text: no phone or card numbers kept
        cause_text=mask_pii(cause_text) if cause_text else cause_text,
        payment_channel=facts["payment_channel"],
        amount=facts["amount"],
        paid_at=facts["paid_at"],
        completed_at=facts.get("completed_at"),
        status=facts["status"],
        outcome=str(decision["outcome"]),
        rule_id=str(decision["rule_id"]),
        policy_version=str(decision.get("policy_version", "")),
        decision=decision,
        created_at=now,
        updated_at=now,
        decided_at=now if facts["decided"] else None,
    )


def _case_rows(
    case: Case, evidence: Sequence[dict[str, Any]], now: datetime
) -> list[Evidence | CaseEvent]:
    """The rows filed with a new case: its evidence (each file once) and its first events.
    Their `case_id` is the case's id when it has one (0 until then: the caller sets it)."""
    case_id = case.id or 0
    actor = f"buyer:{case.user_id}"
    seen: set[str] = set()
    rows: list[Evidence | CaseEvent] = []
    for item in evidence:
        if item["file_unique_id"] in seen:
            continue
        seen.add(item["file_unique_id"])
        rows.append(
            Evidence(
                case_id=case_id, **{**item, "media": item.get("media") or "photo"}, created_at=now
            )
        )
    # the screenshots sent with the request are part of the submission, not added later
    submitted = {"rule_id": case.rule_id, "outcome": case.outcome, "evidence": len(seen)}
    rows.append(
        CaseEvent(case_id=case_id, actor=actor, kind="submitted", payload=submitted, created_at=now)
    )
    rows.append(
        CaseEvent(
            case_id=case_id,
            actor="rules",
            kind="status",
            payload={"status": case.status},
            created_at=now,
        )
    )
    return rows


async def create_case(
    session: AsyncSession,
    *,
    evidence: Sequence[dict[str, Any]],
    also: Callable[[AsyncSession, Case], Awaitable[None]] | None = None,
    **facts: Unpack[CaseFacts],
) -> tuple[Case, bool]:
    """Store a new case with its evidence and first events (and whatever `also` adds to
    the same transaction), through the ORM session (`file_case` writes the same rows in
    core SQL).

    Idempotent on `draft_key`: a second call for the same wizard run returns the case the
    first one made, with `created=False`. Raises IntegrityError only for a clash of the
    case number (the caller draws a new one).
    """
    draft_key = facts["draft_key"]
    existing = await get_case_by_draft(session, draft_key=draft_key)
    if existing is not None:
        return existing, False
    now = utcnow()
    case = _new_case(facts, now)
    session.add(case)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        existing = await get_case_by_draft(session, draft_key=draft_key)
        if existing is not None:
            return existing, False
        raise
    assert case.id is not None
    session.add_all(_case_rows(case, evidence, now))
    if also is not None:
        await also(session, case)
    await session.commit()
    return case, True


# prebuilt (compiled once): a statement made per call costs more in SQLAlchemy than the
# database spends running it
_CASE_OF_DRAFT = sa.select(col(Case.id)).where(col(Case.draft_key) == sa.bindparam("b_draft_key"))
_INSERTS: dict[str, Any] = {}


def _insert_of(table: sa.Table) -> tuple[Any, list[str]]:
    """The INSERT of one row of `table` with every column but its generated primary key,
    each value a parameter named after its column ("v_" first); built once per table."""
    found = _INSERTS.get(table.name)
    if found is None:
        names = [
            column.name
            for column in table.columns
            if not (column.primary_key and column.autoincrement is not False)
        ]
        statement = sa.insert(table).values(
            {name: sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in names}
        )
        found = _INSERTS[table.name] = (statement, names)
    return found


def row_write(row: SQLModel) -> tuple[Any, dict[str, Any]]:
    """The INSERT of an ORM row object and its values, as the ORM would insert it (every
    column's value as the object holds it; its generated primary key left to the
    database)."""
    table: sa.Table = row.__table__  # type: ignore[attr-defined]
    statement, names = _insert_of(table)
    return statement, {f"v_{name}": getattr(row, name) for name in names}


async def file_case(
    engine: AsyncEngine,
    *,
    evidence: Sequence[dict[str, Any]],
    also: Callable[[Case], Sequence[SQLModel]] | None = None,
    **facts: Unpack[CaseFacts],
) -> tuple[Case, bool]:
    """`create_case` in core SQL, in one transaction: the same rows, without an ORM
    session (its identity map and unit of work cost more than the five or six INSERTs).
    On SQLite the whole transaction is one hand-off to the write connection's thread.

    `also(case)` gives further rows for the same transaction (the support workspace's),
    made before the case has its id: a `case_id` they have is set to it.
    Idempotent on `draft_key` and raising IntegrityError for a clash of the case number,
    as `create_case`."""
    draft_key = facts["draft_key"]
    now = utcnow()
    case = _new_case(facts, now)
    case_insert = row_write(case)
    dependents = [row_write(row) for row in _case_rows(case, evidence, now)]
    if also is not None:
        dependents += [row_write(row) for row in also(case)]

    def work(unit: Unit) -> tuple[int, bool]:
        found = unit.scalar(_CASE_OF_DRAFT, {"b_draft_key": draft_key})
        if found is not None:
            return int(found), False
        case_id = unit.insert(*case_insert)
        for statement, values in dependents:
            owned = {**values, "v_case_id": case_id} if "v_case_id" in values else values
            unit.execute(statement, owned)
        return case_id, True

    try:
        case_id, created = await run_unit(engine, work)
    except IntegrityError:
        # the draft filed meanwhile by another update of the buyer's; else the number clashed
        async with engine.connect() as connection:
            found = await connection.scalar(_CASE_OF_DRAFT, {"b_draft_key": draft_key})
        if found is None:
            raise
        case_id, created = int(found), False
    if not created:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            existing = await session.get(Case, case_id)
        assert existing is not None
        return existing, False
    case.id = case_id
    return case, True


async def list_cases(session: AsyncSession, *, user_id: int, limit: int = 20) -> Sequence[Case]:
    result = await session.exec(
        select(Case)
        .where(Case.user_id == user_id)
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .limit(limit)
    )
    return result.all()


async def get_user_case(session: AsyncSession, *, user_id: int, case_id: int) -> Case | None:
    case = await session.get(Case, case_id)
    return case if case is not None and case.user_id == user_id else None


async def get_case_by_number(session: AsyncSession, *, number: str) -> Case | None:
    result = await session.exec(select(Case).where(Case.number == number))
    return result.first()


async def list_evidence(session: AsyncSession, *, case_id: int) -> Sequence[Evidence]:
    result = await session.exec(
        select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))
    )
    return result.all()


async def count_evidence(session: AsyncSession, *, case_id: int) -> int:
    result = await session.exec(
        select(sa.func.count()).select_from(Evidence).where(Evidence.case_id == case_id)
    )
    return int(result.one())


async def add_evidence(
    session: AsyncSession,
    *,
    case_id: int,
    actor: str,
    file_id: str,
    file_unique_id: str,
    kind: str,
    mime_type: str | None,
    size: int | None,
    media: str = "photo",
    also: Callable[[AsyncSession, Evidence], Awaitable[None]] | None = None,
) -> bool:
    """Attach one file to a case; the same file twice is stored once (returns False).
    `also` adds to the same transaction once the file has its id."""
    result = await session.exec(
        select(Evidence.id).where(
            Evidence.case_id == case_id, Evidence.file_unique_id == file_unique_id
        )
    )
    if result.first() is not None:
        return False
    evidence = Evidence(
        case_id=case_id,
        file_id=file_id,
        file_unique_id=file_unique_id,
        kind=kind,
        mime_type=mime_type,
        size=size,
        media=media,
    )
    session.add(evidence)
    session.add(
        CaseEvent(
            case_id=case_id, actor=actor, kind="evidence_added", payload={"count": 1, "kind": kind}
        )
    )
    try:
        await session.flush()  # a concurrent copy of the same file fails here, on the unique key
        await session.exec(
            sa.update(Case).where(col(Case.id) == case_id).values(updated_at=utcnow())
        )
        if also is not None:
            await also(session, evidence)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


def _masked(payload: dict[str, Any] | None) -> dict[str, Any]:
    """An event payload with phone and card numbers masked in its texts."""
    return {
        key: mask_pii(value) if isinstance(value, str) else value
        for key, value in (payload or {}).items()
    }


async def add_event(
    session: AsyncSession,
    *,
    case_id: int,
    actor: str,
    kind: str,
    payload: dict[str, Any] | None = None,
) -> None:
    session.add(CaseEvent(case_id=case_id, actor=actor, kind=kind, payload=_masked(payload)))
    await session.commit()


async def list_events(session: AsyncSession, *, case_id: int) -> Sequence[CaseEvent]:
    result = await session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id)
        .order_by(col(CaseEvent.created_at), col(CaseEvent.id))
    )
    return result.all()


async def set_status(
    session: AsyncSession,
    *,
    case: Case,
    status: str,
    actor: str,
    payload: dict[str, Any] | None = None,
    decided: bool = False,
) -> Case:
    now = utcnow()
    case.status, case.updated_at = status, now
    if decided:
        case.decided_at = now
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            actor=actor,
            kind="status",
            payload=_masked({"status": status, **(payload or {})}),
            created_at=now,
        )
    )
    await session.commit()
    return case


async def label_evidence(
    session: AsyncSession, *, case_id: int, file_unique_id: str, kind: str
) -> None:
    await session.exec(
        sa.update(Evidence)
        .where(col(Evidence.case_id) == case_id, col(Evidence.file_unique_id) == file_unique_id)
        .values(kind=kind)
    )
    await session.commit()


async def get_group_delete(session: AsyncSession, *, chat_id: int) -> bool | None:
    """The group's own choice about deleting scam messages; None when it never chose."""
    row = await session.get(GroupSettings, chat_id)
    return None if row is None else row.delete_scams


async def set_group_delete(session: AsyncSession, *, chat_id: int, delete_scams: bool) -> None:
    row = await session.get(GroupSettings, chat_id)
    if row is None:
        row = GroupSettings(chat_id=chat_id, delete_scams=delete_scams)
    else:
        row.delete_scams, row.updated_at = delete_scams, utcnow()
    session.add(row)
    await session.commit()
