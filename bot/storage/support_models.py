"""Tables of the support workspace: a forum topic per case, the relay's message pairs, the
outbox of notifications, durable timers, the operators' audit trail, bans, ratings and
saved replies.

Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel

from bot.storage.models import utcnow


def _ts(nullable: bool = False, **kwargs: Any) -> Any:
    if nullable:
        return Field(
            default=None, sa_column=Column(sa.DateTime(timezone=True), nullable=True, **kwargs)
        )
    return Field(
        default_factory=utcnow,
        sa_column=Column(sa.DateTime(timezone=True), nullable=False, **kwargs),
    )


def _bigint(nullable: bool = False, **kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(sa.BigInteger, nullable=nullable, **kwargs))


class SupportTopic(SQLModel, table=True):
    """The forum topic of a case: the only link between a topic, its case and its buyer."""

    __tablename__ = "support_topics"
    __table_args__ = (sa.UniqueConstraint("chat_id", "thread_id", name="uq_support_topic_thread"),)

    case_id: int = Field(
        sa_column=Column(
            sa.Integer, sa.ForeignKey("cases.id"), primary_key=True, autoincrement=False
        )
    )
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    thread_id: int | None = _bigint(nullable=True)
    card_message_id: int | None = _bigint(nullable=True)
    user_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False, index=True))
    state: str = Field(default="opening", max_length=16)  # opening, open, closed
    trigger: str = Field(default="", max_length=32)
    assignee_id: int | None = _bigint(nullable=True)
    assignee_name: str | None = Field(default=None, max_length=128)
    first_response_at: datetime | None = _ts(nullable=True)
    lease_until: datetime | None = _ts(nullable=True)
    opened_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)


class MessageLink(SQLModel, table=True):
    """A relayed message and its copy, so replies land as replies and edits follow."""

    __tablename__ = "support_message_links"
    __table_args__ = (
        sa.UniqueConstraint("src_chat_id", "src_message_id", name="uq_support_link_source"),
        sa.Index("ix_support_link_copy", "dst_chat_id", "dst_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    src_chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    src_message_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    dst_chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    dst_message_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    # what was said, for the web console's conversation (personal data: cleared by
    # /delete_my_data and by the retention of closed cases)
    kind: str | None = Field(default=None, max_length=16)  # text, photo, document, ...
    text: str | None = Field(default=None, max_length=4096)  # the text or the caption
    created_at: datetime = _ts()


class OutboxMessage(SQLModel, table=True):
    """A message caused by a state change, written in the same transaction as the change
    and delivered by the outbox worker."""

    __tablename__ = "support_outbox"
    __table_args__ = (
        sa.Index("ix_support_outbox_due", "state", "next_attempt_at"),
        # "is an older message to this chat still on its way?", asked for every candidate
        sa.Index("ix_support_outbox_chat_order", "chat_id", "state", "id"),
        # "is a copy of this message being sent?" (a buyer's edit waits for its link)
        sa.Index("ix_support_outbox_source", "source_chat_id", "state", "source_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # one notification per cause: a retried transaction cannot queue it twice
    key: str = Field(max_length=128, unique=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    chat_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    thread_id: int | None = _bigint(nullable=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending, sending, sent, failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _ts()
    lease_until: datetime | None = _ts(nullable=True)
    sent_message_id: int | None = _bigint(nullable=True)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)
    # the message a relay copies (the first of its `sources`: an album's first part), set
    # when the row is written; None for every other kind of row
    source_chat_id: int | None = _bigint(nullable=True)
    source_message_id: int | None = _bigint(nullable=True)


class CaseTimer(SQLModel, table=True):
    """A deadline or reminder: fired once, by whichever instance claims it first."""

    __tablename__ = "support_timers"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "kind", "due_at", name="uq_support_timer"),
        sa.Index("ix_support_timer_due", "fired_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=32)
    due_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
    fired_at: datetime | None = _ts(nullable=True)
    fired_by: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()


class SupportJob(SQLModel, table=True):
    """Periodic jobs (the daily digest): the last period each ran for, claimed atomically."""

    __tablename__ = "support_jobs"

    name: str = Field(primary_key=True, max_length=32)
    period: str = Field(max_length=32)
    ran_at: datetime = _ts()


class SupportAudit(SQLModel, table=True):
    """Every operator action, allowed or refused."""

    __tablename__ = "support_audit"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False, index=True))
    action: str = Field(max_length=32)
    case_id: int | None = Field(default=None, index=True)
    allowed: bool = Field(default=False)
    reason: str = Field(default="", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(sa.JSON, nullable=False))
    created_at: datetime = _ts(index=True)


class BuyerBan(SQLModel, table=True):
    """A buyer a lead banned (told once, then ignored) or shadow-banned (ignored silently)."""

    __tablename__ = "support_bans"

    user_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    mode: str = Field(max_length=16)  # ban, shadow
    by_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    told: bool = Field(default=False)
    created_at: datetime = _ts()


class CaseRating(SQLModel, table=True):
    """The buyer's 1-5 rating of the support on a closed case."""

    __tablename__ = "support_ratings"

    case_id: int = Field(
        sa_column=Column(
            sa.Integer, sa.ForeignKey("cases.id"), primary_key=True, autoincrement=False
        )
    )
    operator_id: int | None = _bigint(nullable=True)
    score: int
    created_at: datetime = _ts()


class SavedReply(SQLModel, table=True):
    """A lead's edit of a saved reply (the shipped ones are data files)."""

    __tablename__ = "support_saved_replies"

    name: str = Field(primary_key=True, max_length=48)
    lang: str = Field(primary_key=True, max_length=8)
    text: str = Field(max_length=3000)
    updated_by: int = Field(sa_column=Column(sa.BigInteger, nullable=False))
    updated_at: datetime = _ts()


class BotFailureStreak(SQLModel, table=True):
    """How many answers in a row the bot could not help a buyer with; shared by every
    instance and kept over restarts. Reset when the bot helps or a person takes over."""

    __tablename__ = "support_bot_failures"

    user_id: int = Field(sa_column=Column(sa.BigInteger, primary_key=True, autoincrement=False))
    count: int = Field(default=0)
    updated_at: datetime = _ts()
