"""What the bot forgets: a buyer's own request (`/delete_my_data`) and the retention period
of closed cases (RETENTION_DAYS).

Deleting a buyer's data removes their user record, conversation state, the inbox's copy of
their messages, the evidence files of their cases, every free text they typed and the relay
pairs of their cases with what those messages said; the cases themselves stay, anonymised
(owned by the anonymous user 0), for the platform's records: order number, amounts, dates,
statuses and decisions. The retention period clears what relayed messages said, too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.cases import CaseStatus
from bot.services.inbox import InboxService
from bot.storage import fsm
from bot.storage.models import Case, CaseEvent, Evidence, User, utcnow
from bot.storage.support_models import (
    BotFailureStreak,
    MessageLink,
    OutboxMessage,
    SupportTopic,
)

ANONYMOUS_USER = 0
CLOSED = (CaseStatus.REFUNDED.value, CaseStatus.REJECTED.value, CaseStatus.CLOSED.value)
# event payload keys that never hold what a person typed
_NEUTRAL_KEYS = frozenset(
    {"status", "rule_id", "outcome", "count", "kind", "policy_version", "route"}
)

_users: sa.Table = User.__table__  # type: ignore[attr-defined]
_cases: sa.Table = Case.__table__  # type: ignore[attr-defined]
_events: sa.Table = CaseEvent.__table__  # type: ignore[attr-defined]
_evidence: sa.Table = Evidence.__table__  # type: ignore[attr-defined]
_topics: sa.Table = SupportTopic.__table__  # type: ignore[attr-defined]
_links: sa.Table = MessageLink.__table__  # type: ignore[attr-defined]
_outbox: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_streaks: sa.Table = BotFailureStreak.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Deleted:
    cases: int
    files: int
    conversations: int


def _neutral(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        return {}
    return {key: value for key, value in payload.items() if key in _NEUTRAL_KEYS}


async def _strip_cases(
    connection: AsyncConnection, case_ids: list[int], *, actor: str | None
) -> int:
    """Evidence and typed texts of these cases removed; returns the files removed."""
    if not case_ids:
        return 0
    files = await connection.execute(sa.delete(_evidence).where(_evidence.c.case_id.in_(case_ids)))
    await connection.execute(  # what relayed messages said
        sa.update(_links)
        .where(_links.c.case_id.in_(case_ids), _links.c.text.is_not(None))
        .values(text=None)
    )
    await connection.execute(
        sa.update(_cases)
        .where(_cases.c.id.in_(case_ids))
        .values(cause_text=None, updated_at=utcnow())
    )
    rows = (
        await connection.execute(
            sa.select(_events.c.id, _events.c.actor, _events.c.payload).where(
                _events.c.case_id.in_(case_ids)
            )
        )
    ).all()
    for row in rows:
        values: dict[str, Any] = {}
        neutral = _neutral(row.payload)
        if neutral != row.payload:
            values["payload"] = neutral
        if actor is not None and row.actor == actor:
            values["actor"] = "buyer:deleted"
        if values:
            await connection.execute(
                sa.update(_events).where(_events.c.id == row.id).values(**values)
            )
    return int(files.rowcount or 0)


class PrivacyService:
    def __init__(self, engine: AsyncEngine, inbox: InboxService) -> None:
        self.engine = engine
        self.inbox = inbox

    async def delete_user(self, user_id: int) -> Deleted:
        """Everything personal about `user_id`, removed; their cases kept anonymised."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        now = utcnow()
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(_users)
                .values(id=ANONYMOUS_USER, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["id"])
            )
            case_ids = [
                int(v)
                for v in (
                    await connection.execute(
                        sa.select(_cases.c.id).where(_cases.c.user_id == user_id)
                    )
                ).scalars()
            ]
            files = await _strip_cases(connection, case_ids, actor=f"buyer:{user_id}")
            if case_ids:
                await connection.execute(
                    sa.update(_cases)
                    .where(_cases.c.id.in_(case_ids))
                    .values(user_id=ANONYMOUS_USER)
                )
            if case_ids:  # the support workspace: unlink the buyer from topics and relays
                await connection.execute(
                    sa.update(_topics)
                    .where(_topics.c.case_id.in_(case_ids))
                    .values(user_id=ANONYMOUS_USER)
                )
                await connection.execute(sa.delete(_links).where(_links.c.case_id.in_(case_ids)))
            await connection.execute(
                sa.delete(_outbox).where(_outbox.c.chat_id == user_id, _outbox.c.sent_at.is_(None))
            )
            # sent rows stay (their keys keep delivery exactly-once) without what they said
            about_buyer = _outbox.c.chat_id == user_id
            if case_ids:
                about_buyer = sa.or_(about_buyer, _outbox.c.case_id.in_(case_ids))
            await connection.execute(
                sa.update(_outbox)
                .where(about_buyer, _outbox.c.sent_at.is_not(None))
                .values(payload={})
            )
            await connection.execute(sa.delete(_streaks).where(_streaks.c.user_id == user_id))
            conversations = await fsm.delete_for_user(connection, user_id)
            await connection.execute(sa.delete(_users).where(_users.c.id == user_id))
        await self.inbox.forget_user(user_id)
        return Deleted(cases=len(case_ids), files=files, conversations=conversations)

    async def purge_closed(self, *, older_than: timedelta) -> int:
        """Closed cases untouched for `older_than`: evidence and typed texts removed (the
        case, its decision and its history stay). Returns how many cases changed."""
        cutoff = utcnow() - older_than
        has_files = sa.exists().where(_evidence.c.case_id == _cases.c.id)
        has_said = sa.exists().where(_links.c.case_id == _cases.c.id, _links.c.text.is_not(None))
        query = sa.select(_cases.c.id).where(
            _cases.c.status.in_(CLOSED),
            _cases.c.updated_at < cutoff,
            sa.or_(_cases.c.cause_text.is_not(None), has_files, has_said),
        )
        async with self.engine.begin() as connection:
            case_ids = [int(v) for v in (await connection.execute(query)).scalars()]
            await _strip_cases(connection, case_ids, actor=None)
        return len(case_ids)
