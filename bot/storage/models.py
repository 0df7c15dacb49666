"""SQLModel tables: users, cases, evidence, case events, plus the bot's own bookkeeping
(persistent FSM state and the inbox of updates).

Timestamps are timezone-aware UTC. Money is stored as NUMERIC(12, 2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(sa.DateTime(timezone=True), **kwargs))


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    language: str | None = Field(default=None, max_length=8)
    first_name: str | None = Field(default=None, max_length=128)
    username: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)
    # one wizard run makes at most one case: the draft key makes confirmation idempotent
    draft_key: str = Field(max_length=64, unique=True)
    user_id: int = Field(
        sa_column=Column(sa.BigInteger, sa.ForeignKey("users.id"), nullable=False, index=True)
    )
    language: str = Field(default="zh", max_length=8)
    order_number: str = Field(max_length=64, index=True)
    platform_type: str = Field(max_length=32)
    order_status: str = Field(max_length=32)
    cause: str = Field(max_length=32)
    cause_text: str | None = Field(default=None, max_length=1000)
    payment_channel: str = Field(max_length=32)
    amount: Decimal = Field(sa_column=Column(sa.Numeric(12, 2), nullable=False))
    paid_at: datetime | None = Field(default=None, sa_column=Column(sa.DateTime(timezone=True)))
    # when the goods were redeemed or the order completed (asked for used goods only)
    completed_at: datetime | None = Field(
        default=None, sa_column=Column(sa.DateTime(timezone=True))
    )
    status: str = Field(max_length=32, index=True)
    outcome: str = Field(max_length=32)
    rule_id: str = Field(max_length=64)
    policy_version: str = Field(max_length=64)
    decision: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(sa.JSON, nullable=False)
    )
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    decided_at: datetime | None = Field(default=None, sa_column=Column(sa.DateTime(timezone=True)))


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "file_unique_id", name="uq_evidence_case_file"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    file_id: str = Field(max_length=256)
    file_unique_id: str = Field(max_length=128)
    kind: str = Field(max_length=32)
    mime_type: str | None = Field(default=None, max_length=64)
    size: int | None = None
    # how Telegram holds the file ("photo" or "document"): a file id is only valid as such
    media: str = Field(
        default="photo", sa_column=Column(sa.String(16), nullable=False, server_default="photo")
    )
    created_at: datetime = _ts(nullable=False)


class CaseEvent(SQLModel, table=True):
    """The audit trail: who did what to a case, and when."""

    __tablename__ = "case_events"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    actor: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    created_at: datetime = _ts(nullable=False, index=True)


class FsmRecord(SQLModel, table=True):
    """Conversation state, so an unfinished wizard survives a restart."""

    __tablename__ = "fsm_state"

    key: str = Field(primary_key=True, max_length=255)
    state: str | None = Field(default=None, max_length=255)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    updated_at: datetime = _ts(nullable=False)


class InboxUpdate(SQLModel, table=True):
    """The durable inbox: every update from Telegram is stored here before it is
    acknowledged, and marked done once handled. Its key drops a repeated delivery.
    The payload (which holds what the buyer typed) is emptied once the update is done."""

    __tablename__ = "inbox_updates"
    __table_args__ = (sa.Index("ix_inbox_updates_status", "bot_id", "status", "update_id"),)

    bot_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    chat_id: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    user_id: int | None = Field(
        default=None, sa_column=Column(sa.BigInteger, nullable=True, index=True)
    )
    status: str = Field(default="pending", max_length=16)  # pending | done | parked
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(sa.JSON, nullable=True))
    created_at: datetime = _ts(nullable=False, index=True)
    updated_at: datetime = _ts(nullable=False)


class GroupSettings(SQLModel, table=True):
    """What a group's admins chose for the anti-scam guard."""

    __tablename__ = "group_settings"

    chat_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    delete_scams: bool = Field(default=False)
    updated_at: datetime = _ts(nullable=False)


class UnansweredQuestion(SQLModel, table=True):
    """A question the knowledge base could not answer confidently, or whose answer the buyer
    marked unhelpful: anonymised (no user id; phone, card and order numbers masked)."""

    __tablename__ = "unanswered_questions"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(max_length=500)
    question_key: str = Field(max_length=200, index=True)
    lang: str = Field(default="zh", max_length=8)
    reason: str = Field(max_length=16)  # unsure | unhelpful
    sections: list[str] = Field(default_factory=list, sa_column=Column(sa.JSON, nullable=False))
    confidence: float = Field(default=0.0)
    created_at: datetime = _ts(nullable=False, index=True)
