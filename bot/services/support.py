"""The support workspace: operators and their rights, a forum topic per case, the case
lifecycle driven by operators and by timers, the outbox of notifications.

Knows nothing of Telegram: the telegram layer authorizes through `authorize`, performs the
API calls and reports back (`topic_opened`, `outbox_sent`, ...). Every message a state
change causes is written to the outbox in the same transaction as the change; timers are
rows claimed with a lock (`FOR UPDATE SKIP LOCKED` on PostgreSQL, plus a conditional update
that makes a second claim a no-op on every database), so each fires exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from html import escape
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import cases as lifecycle
from bot.domain.cases import CaseStatus, TimerKind
from bot.domain.rules import Policy
from bot.i18n import Translator
from bot.paths import project_dir
from bot.storage.models import Case, CaseEvent, Evidence, User
from bot.storage.support_models import (
    BotFailureStreak,
    BuyerBan,
    CaseRating,
    CaseTimer,
    MessageLink,
    OutboxMessage,
    SavedReply,
    SupportAudit,
    SupportJob,
    SupportTopic,
)

Clock = Callable[[], datetime]
MemberLookup = Callable[[int], Awaitable[str]]

SAVED_REPLIES_FILE = project_dir("knowledge") / "support_replies.yaml"
OPEN_TOPIC = "open"
CLOSED_TOPIC = "closed"
TOPIC_LEASE = timedelta(seconds=60)
OUTBOX_LEASE = timedelta(seconds=60)
# evidence a buyer adds while the case has a topic waits this long for the rest of its album
EVIDENCE_GATHER = timedelta(seconds=1.5)
RELAY_OPS = frozenset({"relay", "edit"})


def relay_key(source: tuple[int, int]) -> str:
    """The outbox key of a relayed message: one entry per source message, however often
    its update is handled."""
    return f"relay:{source[0]}:{source[1]}"


UNFIRED = col(CaseTimer.fired_at).is_(None)  # a timer nobody fired (or cancelled) yet

STATUS_ICONS: dict[CaseStatus, str] = {
    CaseStatus.SUBMITTED: "🆕",
    CaseStatus.WITH_MERCHANT: "🏪",
    CaseStatus.IN_REVIEW: "🔍",
    CaseStatus.NEEDS_EVIDENCE: "📎",
    CaseStatus.APPROVED: "✅",
    CaseStatus.REJECTED: "❌",
    CaseStatus.REFUNDED: "💰",
    CaseStatus.CLOSED: "🔒",
    CaseStatus.APPEALED: "⚖️",
}


# the kinds of content a relayed message can have, in the order they are looked for
_MEDIA_KINDS = ("photo", "document", "video", "animation", "voice", "audio", "sticker")
MAX_SAID = 4096


def relay_said(message: Any) -> list[str | None]:
    """What a Telegram message said, as stored with its relay: [kind, text or caption]."""
    text = getattr(message, "text", None)
    if text is not None:
        return ["text", str(text)[:MAX_SAID]]
    kind = next((k for k in _MEDIA_KINDS if getattr(message, k, None)), "other")
    caption = getattr(message, "caption", None)
    return [kind, None if caption is None else str(caption)[:MAX_SAID]]


def _first_source(payload: Mapping[str, Any]) -> tuple[int, int] | None:
    """The message an outbox row copies: the first of its `sources` (chat id, message id),
    an album's first part; None for a row that copies nothing."""
    sources = payload.get("sources")
    if not sources:
        return None
    chat_id, message_id = sources[0]
    return int(chat_id), int(message_id)


def _said_pair(said: Any) -> tuple[str | None, str | None]:
    if isinstance(said, list | tuple) and len(said) == 2:
        kind, text = said
        return (
            None if kind is None else str(kind)[:16],
            None if text is None else str(text)[:MAX_SAID],
        )
    return None, None


def _link(
    case_id: int, src: tuple[int, int], dst: tuple[int, int], said: Any, now: datetime
) -> MessageLink:
    """A relayed message's source and copy (chat, message), with what the source said
    (`[kind, text]`, see `_said_pair`)."""
    kind, text = _said_pair(said)
    return MessageLink(
        case_id=case_id,
        src_chat_id=src[0],
        src_message_id=src[1],
        dst_chat_id=dst[0],
        dst_message_id=dst[1],
        kind=kind,
        text=text,
        created_at=now,
    )


async def _update_if(
    session: AsyncSession,
    table: type[OutboxMessage] | type[CaseTimer],
    row_id: int | None,
    condition: sa.ColumnElement[bool],
    **values: Any,
) -> bool:
    """Update the row `row_id` only while `condition` holds; True when it did. Of two
    callers that race for the same row (two workers claiming it), only one gets True."""
    claimed = await session.exec(
        sa.update(table)
        .where(col(table.id) == row_id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(cast(Any, claimed).rowcount == 1)


async def _commit_once(session: AsyncSession) -> bool:
    """Commit; False (rolled back) when a unique key refuses it: the same row was written
    already (the same update handled twice, or another instance first)."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True


def system_clock() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for UTC columns; PostgreSQL aware ones."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- operators ------------------------------------------------------------------------


class Role(StrEnum):
    NONE = "none"
    OPERATOR = "operator"
    LEAD = "lead"


PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
ADMINS = frozenset({"creator", "administrator"})


class Operators:
    """Who may act in the support group, checked at the time of the action: the member's
    status in the group (cached for `ttl` seconds) and the configured id lists."""

    def __init__(
        self,
        *,
        lookup: MemberLookup,
        operator_ids: Sequence[int] = (),
        lead_ids: Sequence[int] = (),
        ttl: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lookup = lookup
        self.operator_ids = frozenset(operator_ids)
        self.lead_ids = frozenset(lead_ids)
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[int, tuple[float, str]] = {}

    async def status(self, user_id: int) -> str:
        cached = self._cache.get(user_id)
        now = self.monotonic()
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        try:
            status = await self.lookup(user_id)
        except Exception:  # the group cannot be asked: nobody is an operator right now
            status = "unknown"
        self._cache[user_id] = (now, status)
        return status

    def forget(self, user_id: int | None = None) -> None:
        if user_id is None:
            self._cache.clear()
        else:
            self._cache.pop(user_id, None)

    async def role(self, user_id: int) -> Role:
        status = await self.status(user_id)
        if status not in PRESENT:
            return Role.NONE
        if self.operator_ids:
            is_operator = user_id in self.operator_ids or user_id in self.lead_ids
        else:
            is_operator = status in ADMINS
        if not is_operator:
            return Role.NONE
        is_lead = user_id in self.lead_ids if self.lead_ids else status == "creator"
        return Role.LEAD if is_lead else Role.OPERATOR


# --- results ------------------------------------------------------------------------------


class Action(StrEnum):
    """What an operator can do to a case (card buttons and commands)."""

    TAKE = "take"
    APPROVE = "approve"
    REJECT = "reject"
    EVIDENCE = "evidence"
    REFUNDED = "refunded"
    CLOSE = "close"
    REOPEN = "reopen"
    NOTE = "note"
    RELAY = "relay"
    BAN = "ban"
    COMMAND = "command"
    REPLY_EDIT = "reply_edit"


ACTION_STATUS: dict[Action, CaseStatus] = {
    Action.APPROVE: CaseStatus.APPROVED,
    Action.REJECT: CaseStatus.REJECTED,
    Action.EVIDENCE: CaseStatus.NEEDS_EVIDENCE,
    Action.REFUNDED: CaseStatus.REFUNDED,
    Action.CLOSE: CaseStatus.CLOSED,
    Action.REOPEN: CaseStatus.IN_REVIEW,
}
LEAD_ACTIONS = frozenset({Action.REOPEN, Action.BAN, Action.REPLY_EDIT})


@dataclass(frozen=True)
class Authorization:
    allowed: bool
    reason: str
    role: Role
    topic: SupportTopic | None = None

    @property
    def case_id(self) -> int:
        assert self.topic is not None
        return self.topic.case_id


@dataclass(frozen=True)
class ActResult:
    ok: bool
    reason: str
    case: Case | None = None
    topic: SupportTopic | None = None


@dataclass
class CardData:
    case: Case
    topic: SupportTopic | None
    buyer: User | None
    evidence: Sequence[Evidence]
    events: Sequence[CaseEvent]
    history: Sequence[Case]
    timers: Sequence[CaseTimer]
    decision: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicJob:
    case_id: int
    reopen: bool
    thread_id: int | None


@dataclass(frozen=True)
class Delivery:
    id: int
    chat_id: int
    thread_id: int | None
    payload: Mapping[str, Any]
    attempts: int
    case_id: int | None


@dataclass(frozen=True)
class Stats:
    new: int
    decided: int
    refunded: int
    breached: int
    ratings: Mapping[int, tuple[int, float]]  # operator id -> (count, average)


@dataclass(frozen=True)
class Firing:
    """A claimed timer and what its action needs, in the claiming transaction."""

    session: AsyncSession
    timer: CaseTimer
    case: Case
    topic: SupportTopic | None
    now: datetime
    key: str  # the outbox key of what the timer causes: one per timer

    @property
    def case_id(self) -> int:
        assert self.case.id is not None
        return self.case.id

    @property
    def due(self) -> datetime:
        return aware(self.timer.due_at) or self.now


TimerAction = Callable[[Firing], Awaitable[str]]


def _event_detail(event: CaseEvent) -> str:
    payload = event.payload or {}
    return str(
        payload.get("status")
        or payload.get("text")
        or payload.get("reason")
        or payload.get("count")
        or ""
    )


class SupportService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: Policy,
        chat_id: int | None,
        clock: Clock = system_clock,
        staff_lang: str = "zh",
        max_attempts: int = 8,
        replies_file: Path = SAVED_REPLIES_FILE,
        tz_name: str = "Asia/Shanghai",
        ban_changed: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.tz_name = tz_name
        # told of every ban and lift: the buyers' cache (bot.services.users) moves on
        self.ban_changed = ban_changed
        self.sessions = sessions
        self.policy = policy
        self.chat_id = chat_id
        self.clock = clock
        self.staff = Translator(staff_lang)
        self.max_attempts = max_attempts
        self.replies_file = replies_file

    # --- deadlines from the policy --------------------------------------------------------

    def _hours(self, name: str, fallback: float) -> float:
        spec = self.policy.deadlines.get(name)
        if spec is None:
            return fallback
        factor = {"hours": 1.0, "days": 24.0, "working_days": 24.0 * 7 / 5}[spec.unit]
        return float(spec.amount) * factor

    def deadline_rules(self) -> lifecycle.DeadlineRules:
        first = self._hours("support_first_response", self._hours("platform_response", 48))
        return lifecycle.DeadlineRules(
            merchant_response_hours=self._hours("merchant_response", 24),
            first_response_hours=first,
            evidence_hours=self._hours("evidence_supplement", 72),
            appeal_hours=float(self.policy.windows.appeal_days) * 24,
        )

    # --- small helpers ----------------------------------------------------------------------

    def status_label(self, t: Translator, status: str) -> str:
        return t(f"case_status.{CaseStatus(status).value}")

    def topic_title(self, case: Case) -> str:
        status = CaseStatus(case.status)
        cause = (
            self.staff(f"cause.{case.cause}")
            if self.staff.has(f"cause.{case.cause}")
            else case.cause
        )
        title = f"{STATUS_ICONS[status]} {case.number} · {cause} · ¥{case.amount}"
        return title[:128]

    def _enqueue(
        self,
        session: AsyncSession,
        *,
        key: str,
        chat_id: int,
        payload: Mapping[str, Any],
        now: datetime,
        case_id: int | None = None,
        thread_id: int | None = None,
        due: datetime | None = None,
    ) -> None:
        source = _first_source(payload)
        session.add(
            OutboxMessage(
                key=key[:128],
                case_id=case_id,
                chat_id=chat_id,
                thread_id=thread_id,
                payload=dict(payload),
                next_attempt_at=due or now,
                created_at=now,
                source_chat_id=source[0] if source is not None else None,
                source_message_id=source[1] if source is not None else None,
            )
        )

    def _outbox(
        self,
        session: AsyncSession,
        *,
        key: str,
        chat_id: int,
        text: str,
        now: datetime,
        case_id: int | None = None,
        thread_id: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._enqueue(
            session,
            key=key,
            chat_id=chat_id,
            payload={"text": text, **(extra or {})},
            now=now,
            case_id=case_id,
            thread_id=thread_id,
        )

    def _to_topic(
        self,
        session: AsyncSession,
        topic: SupportTopic | None,
        *,
        key: str,
        text: str,
        now: datetime,
    ) -> None:
        if topic is None or topic.thread_id is None or self.chat_id is None:
            return
        self._outbox(
            session,
            key=key,
            chat_id=self.chat_id,
            thread_id=topic.thread_id,
            case_id=topic.case_id,
            text=text,
            now=now,
        )

    def buyer_notice(
        self, case: Case, status: CaseStatus, *, detail: str | None = None, cause: str = ""
    ) -> str:
        t = Translator(case.language)
        lines = [
            t("support_notify.status", number=case.number, status=self.status_label(t, status))
        ]
        if cause:
            lines.append(t(f"support_notify.cause.{cause}"))
        if detail:
            key = (
                "support_notify.reason" if status is CaseStatus.REJECTED else "support_notify.asked"
            )
            lines.append(t(key, text=escape(detail)))
        days = self.policy.windows.appeal_days
        hours = int(self.deadline_rules().evidence_hours)
        lines.append(t(f"support_notify.next.{status.value}", days=days, hours=hours))
        return "\n".join(lines)

    async def _ensure_timers(self, session: AsyncSession, case: Case, since: datetime) -> None:
        assert case.id is not None
        for planned in lifecycle.timers_for(case.status, since, self.deadline_rules()):
            pending = await session.exec(
                select(CaseTimer.id).where(
                    CaseTimer.case_id == case.id,
                    CaseTimer.kind == planned.kind.value,
                    col(CaseTimer.fired_at).is_(None),
                )
            )
            if pending.first() is not None:
                continue
            # the same deadline cancelled a moment ago (two changes at one instant) comes back
            revived = await session.exec(
                sa.update(CaseTimer)
                .where(
                    col(CaseTimer.case_id) == case.id,
                    col(CaseTimer.kind) == planned.kind.value,
                    col(CaseTimer.due_at) == planned.due_at,
                )
                .where(col(CaseTimer.fired_by) == "cancelled")
                .values(fired_at=None, fired_by=None, outcome=None)
                .execution_options(synchronize_session=False)
            )
            if cast(Any, revived).rowcount == 0:
                session.add(
                    CaseTimer(
                        case_id=case.id,
                        kind=planned.kind.value,
                        due_at=planned.due_at,
                        created_at=since,
                    )
                )

    async def _cancel_timers(self, session: AsyncSession, case_id: int, now: datetime) -> None:
        """Timers of the status a case leaves stop (they would not apply any more)."""
        await session.exec(
            sa.update(CaseTimer)
            .where(col(CaseTimer.case_id) == case_id, col(CaseTimer.fired_at).is_(None))
            .values(fired_at=now, fired_by="cancelled", outcome="cancelled")
            .execution_options(synchronize_session=False)
        )

    async def _change_status(
        self,
        session: AsyncSession,
        *,
        case: Case,
        target: CaseStatus,
        actor: str,
        now: datetime,
        topic: SupportTopic | None,
        detail: str | None = None,
        cause: str = "",
        notice_key: str,
    ) -> None:
        """Move a case on, in the caller's transaction: the event, the buyer's notification,
        the topic's notice and the new status's timers are written with it."""
        assert case.id is not None
        lifecycle.check_transition(case.status, target)
        case.status, case.updated_at = target.value, now
        if target in lifecycle.DECIDED_STATUSES:
            case.decided_at = now
        session.add(case)
        payload: dict[str, Any] = {"status": target.value}
        if detail:
            payload["text"] = detail
        if cause:
            payload["reason"] = cause
        session.add(
            CaseEvent(case_id=case.id, actor=actor, kind="status", payload=payload, created_at=now)
        )
        await self._cancel_timers(session, case.id, now)
        await self._ensure_timers(session, case, now)
        self._outbox(
            session,
            key=f"buyer:{notice_key}",
            chat_id=case.user_id,
            case_id=case.id,
            text=self.buyer_notice(case, target, detail=detail, cause=cause),
            now=now,
            extra={"rating_case": case.id} if target is CaseStatus.CLOSED else None,
        )
        staff = self.staff
        self._to_topic(
            session,
            topic,
            key=f"topic:{notice_key}",
            text=staff(
                "support.topic_status",
                status=self.status_label(staff, target),
                actor=escape(actor_label(staff, actor)),
            ),
            now=now,
        )

    # --- authorization ----------------------------------------------------------------------

    async def audit(
        self,
        *,
        actor_id: int,
        action: str,
        case_id: int | None,
        allowed: bool,
        reason: str = "",
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        async with self.sessions() as session:
            session.add(
                SupportAudit(
                    actor_id=actor_id,
                    action=action,
                    case_id=case_id,
                    allowed=allowed,
                    reason=reason,
                    payload=dict(payload or {}),
                    created_at=self.clock(),
                )
            )
            await session.commit()

    async def authorize(
        self,
        operators: Operators,
        *,
        actor_id: int,
        chat_id: int,
        thread_id: int | None,
        action: Action,
        claimed_case_id: int | None = None,
        need_topic: bool = True,
    ) -> Authorization:
        """An operator action is allowed when the actor is an operator now and the case is
        the one of the topic the action happens in (a button's case id must match it).
        A refusal is audited and changes nothing."""
        role = await operators.role(actor_id)
        topic = await self.topic_for_thread(chat_id, thread_id) if thread_id is not None else None
        reason = ""
        if self.chat_id is None or chat_id != self.chat_id:
            reason = "wrong_chat"
        elif role is Role.NONE:
            reason = "not_operator"
        elif action in LEAD_ACTIONS and role is not Role.LEAD:
            reason = "not_lead"
        elif need_topic and topic is None:
            reason = "no_topic"
        elif claimed_case_id is not None and (topic is None or topic.case_id != claimed_case_id):
            reason = "case_mismatch"
        if reason:
            case_id = topic.case_id if topic is not None else claimed_case_id
            await self.audit(
                actor_id=actor_id,
                action=action.value,
                case_id=case_id,
                allowed=False,
                reason=reason,
                payload={"claimed": claimed_case_id, "thread": thread_id},
            )
            return Authorization(False, reason, role, topic)
        return Authorization(True, "", role, topic)

    # --- topics -------------------------------------------------------------------------------

    async def topic_for_thread(self, chat_id: int, thread_id: int | None) -> SupportTopic | None:
        if thread_id is None:
            return None
        async with self.sessions() as session:
            result = await session.exec(
                select(SupportTopic).where(
                    SupportTopic.chat_id == chat_id, SupportTopic.thread_id == thread_id
                )
            )
            return result.first()

    async def topic_for_case(self, case_id: int) -> SupportTopic | None:
        async with self.sessions() as session:
            return await session.get(SupportTopic, case_id)

    async def open_topic_for_buyer(self, user_id: int) -> SupportTopic | None:
        """The buyer's case that is with a person now (its topic is open)."""
        async with self.sessions() as session:
            result = await session.exec(
                select(SupportTopic)
                .where(
                    SupportTopic.user_id == user_id,
                    SupportTopic.state == OPEN_TOPIC,
                    col(SupportTopic.thread_id).is_not(None),
                )
                .order_by(col(SupportTopic.opened_at).desc())
            )
            return result.first()

    async def request_topic(self, *, case_id: int, trigger: str, actor: str = "bot") -> bool:
        """Ask for the case's topic (opened by the workspace worker). True when a topic will
        be opened or reopened; False when it is open already."""
        now = self.clock()
        if self.chat_id is None:
            return False
        async with self.sessions() as session:
            case = await session.get(Case, case_id)
            if case is None:
                return False
            topic = await session.get(SupportTopic, case_id)
            if topic is not None and topic.state in ("opening", "reopening", OPEN_TOPIC):
                return False
            if topic is None:
                topic = SupportTopic(
                    case_id=case_id,
                    chat_id=self.chat_id,
                    user_id=case.user_id,
                    state="opening",
                    trigger=trigger,
                    opened_at=now,
                )
            else:
                topic.state, topic.trigger, topic.lease_until = "reopening", trigger, None
            session.add(topic)
            session.add(
                CaseEvent(
                    case_id=case_id,
                    actor=actor,
                    kind="escalated",
                    payload={"reason": trigger},
                    created_at=now,
                )
            )
            # False: requested meanwhile by another update or instance
            return await _commit_once(session)

    async def bot_answered(self, *, user_id: int, helped: bool) -> bool:
        """The bot answered a buyer's question: when it could not help twice in a row, the
        buyer's open case goes to a person. True when a topic was requested. The streak is
        a database row, so every instance counts the same answers and a restart keeps it;
        exactly one caller sees it reach two."""
        now = self.clock()
        streak = col(BotFailureStreak.user_id) == user_id
        async with self.sessions() as session:
            if helped:
                await session.exec(sa.delete(BotFailureStreak).where(streak))
                await session.commit()
                return False
            # one statement counts the answer, whoever else counts at the same moment
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            counted = insert(BotFailureStreak).values(user_id=user_id, count=1, updated_at=now)
            await session.exec(
                counted.on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={"count": counted.table.c.count + 1, "updated_at": now},
                )
            )
            # the answer that made it two takes the streak (and ends it)
            taken = await session.exec(
                sa.delete(BotFailureStreak).where(streak, col(BotFailureStreak.count) >= 2)
            )
            reached = cast(Any, taken).rowcount == 1
            await session.commit()
            if not reached:
                return False
            open_values = [s.value for s in lifecycle.OPEN_STATUSES]
            query = (
                select(Case)
                .where(Case.user_id == user_id, col(Case.status).in_(open_values))
                .order_by(col(Case.created_at).desc())
            )
            case = (await session.exec(query)).first()
        if case is None or case.id is None:
            return False
        return await self.request_topic(
            case_id=case.id, trigger="bot_failed", actor=f"buyer:{user_id}"
        )

    async def failure_streak(self, user_id: int) -> int:
        async with self.sessions() as session:
            row = await session.get(BotFailureStreak, user_id)
            return row.count if row is not None else 0

    # --- hooks run inside the buyer's transactions (RefundService) ----------------------------

    def filed_rows(self, case: Case) -> list[SupportTopic | CaseEvent | CaseTimer]:
        """What the workspace files with a new case, in the submit transaction: a case the
        decision routes to a person gets its topic job (the worker opens it at its next
        turn, and a crash after the submit still opens it, once); a case waiting for the
        merchant gets its deadlines. The rows hold the case's id, or 0 while it has none
        (`repo.file_case` sets it)."""
        if self.chat_id is None:
            return []
        now = self.clock()
        case_id = case.id or 0
        decision = case.decision or {}
        if lifecycle.is_open(case.status) and lifecycle.needs_person(
            str(decision.get("outcome", "")), str(decision.get("route", ""))
        ):
            return [
                SupportTopic(
                    case_id=case_id,
                    chat_id=self.chat_id,
                    user_id=case.user_id,
                    state="opening",
                    trigger="route",
                    opened_at=now,
                ),
                CaseEvent(
                    case_id=case_id,
                    actor="bot",
                    kind="escalated",
                    payload={"reason": "route"},
                    created_at=now,
                ),
            ]
        if case.status == CaseStatus.WITH_MERCHANT:
            # a new case has no timers yet: no pending one to keep, no cancelled one to revive
            return [
                CaseTimer(
                    case_id=case_id, kind=planned.kind.value, due_at=planned.due_at, created_at=now
                )
                for planned in lifecycle.timers_for(case.status, now, self.deadline_rules())
            ]
        return []

    async def case_filed(self, session: AsyncSession, case: Case) -> None:
        """`filed_rows` added to the session that files the case (`repo.create_case`)."""
        if case.id is not None:
            session.add_all(self.filed_rows(case))

    async def evidence_added(
        self,
        session: AsyncSession,
        case: Case,
        evidence: Evidence,
        *,
        caption: str | None = None,
        source: tuple[int, int] | None = None,
    ) -> None:
        """In the transaction that stores a file the buyer added later: when the case has a
        topic, the file is queued for it; files that follow within `EVIDENCE_GATHER` join
        the same entry and are posted as one album. The card follows after the post."""
        if self.chat_id is None or case.id is None or evidence.id is None:
            return
        topic = await session.get(SupportTopic, case.id)
        if topic is None or topic.thread_id is None or topic.state != OPEN_TOPIC:
            return  # the topic's (re)opening posts the files it has not shown yet
        now = self.clock()
        due = now + EVIDENCE_GATHER
        item = {
            "evidence_id": evidence.id,
            "caption": (caption or "")[:800] or None,
            "source": list(source) if source else None,
        }
        waiting = col(OutboxMessage.state) == "pending"
        row = (
            await session.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.case_id == case.id,
                    OutboxMessage.thread_id == topic.thread_id,
                    waiting,
                    OutboxMessage.attempts == 0,
                    col(OutboxMessage.key).startswith("evidence:"),
                )
                .order_by(col(OutboxMessage.id).desc())
                .with_for_update()
            )
        ).first()
        if row is not None and len(row.payload.get("items") or []) < 10:
            payload = {**row.payload, "items": [*row.payload["items"], item]}
            if await _update_if(
                session, OutboxMessage, row.id, waiting, payload=payload, next_attempt_at=due
            ):
                return
        self._enqueue(
            session,
            key=f"evidence:{case.id}:{evidence.id}",
            chat_id=self.chat_id,
            thread_id=topic.thread_id,
            case_id=case.id,
            payload={"op": "evidence", "items": [item]},
            now=now,
            due=due,
        )

    async def evidence_relabelled(self, case_id: int) -> None:
        """The buyer said what a file shows: the card's checklist follows."""
        if self.chat_id is None:
            return
        now = self.clock()
        async with self.sessions() as session:
            topic = await session.get(SupportTopic, case_id)
            if topic is None or topic.thread_id is None or topic.state == CLOSED_TOPIC:
                return
            self._enqueue(
                session,
                key=f"card:{case_id}:{now.isoformat()}",
                chat_id=self.chat_id,
                thread_id=topic.thread_id,
                case_id=case_id,
                payload={"op": "card"},
                now=now,
            )
            # refused: one refresh at that instant is enough
            await _commit_once(session)

    async def claim_topics(self) -> list[TopicJob]:
        """Topics waiting to be created (or reopened) in Telegram, leased to this caller."""
        now = self.clock()
        jobs: list[TopicJob] = []
        async with self.sessions() as session:
            query = (
                select(SupportTopic)
                .where(col(SupportTopic.state).in_(("opening", "reopening")))
                .where(
                    sa.or_(
                        col(SupportTopic.lease_until).is_(None), col(SupportTopic.lease_until) < now
                    )
                )
                .limit(10)
                .with_for_update(skip_locked=True)
            )
            for topic in (await session.exec(query)).all():
                claimed = await session.exec(
                    sa.update(SupportTopic)
                    .where(
                        col(SupportTopic.case_id) == topic.case_id,
                        sa.or_(
                            col(SupportTopic.lease_until).is_(None),
                            col(SupportTopic.lease_until) < now,
                        ),
                    )
                    .values(lease_until=now + TOPIC_LEASE)
                    .execution_options(synchronize_session=False)
                )
                if cast(Any, claimed).rowcount == 1:
                    jobs.append(
                        TopicJob(topic.case_id, topic.state == "reopening", topic.thread_id)
                    )
            await session.commit()
        return jobs

    async def topic_created(self, *, case_id: int, thread_id: int) -> None:
        """The topic exists in Telegram: remember its thread at once (a retry must not
        create a second one); a person has the case now, so the first-response clock runs."""
        now = self.clock()
        async with self.sessions() as session:
            topic = await session.get(SupportTopic, case_id)
            case = await session.get(Case, case_id)
            if topic is None or case is None:
                return
            topic.thread_id, topic.first_response_at = thread_id, None
            session.add(topic)
            if case.status in (
                CaseStatus.SUBMITTED,
                CaseStatus.WITH_MERCHANT,
            ) and lifecycle.can_transition(case.status, CaseStatus.IN_REVIEW):
                # a person looks at it now: the merchant's clock no longer decides
                case.status, case.updated_at = CaseStatus.IN_REVIEW.value, now
                session.add(case)
                session.add(
                    CaseEvent(
                        case_id=case_id,
                        actor="bot",
                        kind="status",
                        payload={"status": CaseStatus.IN_REVIEW.value},
                        created_at=now,
                    )
                )
                await self._cancel_timers(session, case_id, now)
            await self._ensure_timers(session, case, now)
            await session.commit()

    async def topic_opened(self, *, case_id: int, card_message_id: int) -> None:
        async with self.sessions() as session:
            topic = await session.get(SupportTopic, case_id)
            if topic is None:
                return
            topic.card_message_id, topic.state, topic.lease_until, topic.closed_at = (
                card_message_id,
                OPEN_TOPIC,
                None,
                None,
            )
            session.add(topic)
            await session.commit()

    async def card(self, case_id: int) -> CardData | None:
        async with self.sessions() as session:
            case = await session.get(Case, case_id)
            if case is None:
                return None
            topic = await session.get(SupportTopic, case_id)
            buyer = await session.get(User, case.user_id)
            evidence = (
                await session.exec(
                    select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))
                )
            ).all()
            events = (
                await session.exec(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case_id)
                    .order_by(col(CaseEvent.created_at), col(CaseEvent.id))
                )
            ).all()
            history = (
                await session.exec(
                    select(Case)
                    .where(Case.user_id == case.user_id, Case.id != case_id)
                    .order_by(col(Case.created_at).desc())
                    .limit(5)
                )
            ).all()
            timers = (
                await session.exec(
                    select(CaseTimer)
                    .where(CaseTimer.case_id == case_id, col(CaseTimer.fired_at).is_(None))
                    .order_by(col(CaseTimer.due_at))
                )
            ).all()
        return CardData(case, topic, buyer, evidence, events, history, timers, case.decision or {})

    def summary_lines(self, data: CardData) -> list[lifecycle.EventLine]:
        lines = [
            lifecycle.EventLine(
                aware(e.created_at) or self.clock(), e.actor, e.kind, _event_detail(e)
            )
            for e in data.events
            if e.kind != "note"
        ]
        return lifecycle.summarize(lines)

    # --- operator actions --------------------------------------------------------------------

    async def act(
        self,
        auth: Authorization,
        *,
        actor_id: int,
        actor_name: str,
        action: Action,
        detail: str | None = None,
    ) -> ActResult:
        """Apply a card button (or its follow-up text) for an authorized operator."""
        assert auth.allowed and auth.topic is not None
        now = self.clock()
        actor = f"support:{actor_id}"
        async with self.sessions() as session:
            case = await session.get(Case, auth.case_id)
            topic = await session.get(SupportTopic, auth.case_id)
            if case is None or topic is None:
                return ActResult(False, "no_case")
            if action is Action.TAKE:
                if (
                    topic.assignee_id is not None
                    and topic.assignee_id != actor_id
                    and auth.role is not Role.LEAD
                ):
                    await self._audit_in(
                        session, actor_id, action, case.id, False, "taken_by_other", now
                    )
                    await session.commit()
                    return ActResult(False, "taken_by_other", case, topic)
                topic.assignee_id, topic.assignee_name = actor_id, actor_name[:128]
                topic.first_response_at = topic.first_response_at or now
                session.add(topic)
                session.add(
                    CaseEvent(
                        case_id=auth.case_id,
                        actor=actor,
                        kind="taken",
                        payload={"name": actor_name[:64]},
                        created_at=now,
                    )
                )
                if (
                    lifecycle.can_transition(case.status, CaseStatus.IN_REVIEW)
                    and case.status != CaseStatus.NEEDS_EVIDENCE
                ):
                    await self._change_status(
                        session,
                        case=case,
                        target=CaseStatus.IN_REVIEW,
                        actor=actor,
                        now=now,
                        topic=topic,
                        notice_key=f"{case.id}:{now.isoformat()}:take",
                    )
                self._to_topic(
                    session,
                    topic,
                    key=f"topic:{case.id}:{now.isoformat()}:taken",
                    text=self.staff("support.taken", name=escape(actor_name)),
                    now=now,
                )
            else:
                target = ACTION_STATUS[action]
                # a lead reopens a decided or closed case the lifecycle's only way back: as
                # an appeal (recorded), then straight into review
                via_appeal = (
                    action is Action.REOPEN
                    and not lifecycle.can_transition(case.status, target)
                    and lifecycle.can_transition(case.status, CaseStatus.APPEALED)
                    and lifecycle.can_transition(CaseStatus.APPEALED, target)
                )
                if via_appeal:
                    case.status = CaseStatus.APPEALED.value
                    session.add(
                        CaseEvent(
                            case_id=auth.case_id,
                            actor=actor,
                            kind="status",
                            payload={"status": CaseStatus.APPEALED.value, "reason": "reopened"},
                            created_at=now,
                        )
                    )
                if not lifecycle.can_transition(case.status, target):
                    await self._audit_in(
                        session, actor_id, action, case.id, False, "transition", now
                    )
                    await session.commit()
                    return ActResult(False, "transition", case, topic)
                topic.first_response_at = topic.first_response_at or now
                if topic.assignee_id is None:
                    topic.assignee_id, topic.assignee_name = actor_id, actor_name[:128]
                session.add(topic)
                await self._change_status(
                    session,
                    case=case,
                    target=target,
                    actor=actor,
                    now=now,
                    topic=topic,
                    detail=detail,
                    notice_key=f"{case.id}:{now.isoformat()}:{action.value}",
                )
                if target is CaseStatus.CLOSED:
                    topic.state, topic.closed_at = CLOSED_TOPIC, now
            await self._audit_in(
                session,
                actor_id,
                action,
                case.id,
                True,
                "",
                now,
                {"detail": detail} if detail else None,
            )
            await session.commit()
            return ActResult(True, "", case, topic)

    async def _audit_in(
        self,
        session: AsyncSession,
        actor_id: int,
        action: Action,
        case_id: int | None,
        allowed: bool,
        reason: str,
        now: datetime,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        session.add(
            SupportAudit(
                actor_id=actor_id,
                action=action.value,
                case_id=case_id,
                allowed=allowed,
                reason=reason,
                payload=dict(payload or {}),
                created_at=now,
            )
        )

    async def note(self, auth: Authorization, *, actor_id: int, text: str) -> None:
        now = self.clock()
        async with self.sessions() as session:
            session.add(
                CaseEvent(
                    case_id=auth.case_id,
                    actor=f"support:{actor_id}",
                    kind="note",
                    payload={"text": text[:1000]},
                    created_at=now,
                )
            )
            await self._audit_in(session, actor_id, Action.NOTE, auth.case_id, True, "", now)
            await session.commit()

    async def relayed(
        self,
        *,
        case_id: int,
        src: tuple[int, int],
        dst: tuple[int, int],
        by_operator: int | None,
        said: Sequence[str | None] | None = None,
    ) -> None:
        """Remember a relayed message pair and what it said (`relay_said`); an operator's
        first message is the first response."""
        now = self.clock()
        async with self.sessions() as session:
            session.add(_link(case_id, src, dst, list(said) if said is not None else None, now))
            if by_operator is not None:
                topic = await session.get(SupportTopic, case_id)
                if topic is not None and topic.first_response_at is None:
                    topic.first_response_at = now
                    session.add(topic)
                    await self._cancel_first_response(session, case_id, now)
                await self._audit_in(session, by_operator, Action.RELAY, case_id, True, "", now)
            await _commit_once(session)

    async def said_edited(self, *, src: tuple[int, int], said: Sequence[str | None]) -> None:
        """A relayed message was edited at its source: what it said follows (a message not
        relayed, or not yet delivered, has no pair to update)."""
        kind, text = _said_pair(list(said))
        async with self.sessions() as session:
            await session.exec(
                sa.update(MessageLink)
                .where(
                    col(MessageLink.src_chat_id) == src[0],
                    col(MessageLink.src_message_id) == src[1],
                )
                .values(kind=kind, text=text)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def queue_relay(
        self,
        auth: Authorization,
        *,
        actor_id: int,
        buyer_id: int,
        source: tuple[int, int],
        payload: Mapping[str, Any],
    ) -> bool:
        """An operator's message for the buyer: its outbox entry, the audit row and the
        first response are written in one transaction; the worker delivers it (in order,
        with backoff, once) and links the copy. False when this message was queued already
        (the same update handled twice)."""
        now = self.clock()
        async with self.sessions() as session:
            topic = await session.get(SupportTopic, auth.case_id)
            if topic is not None and topic.first_response_at is None:
                topic.first_response_at = now
                session.add(topic)
                await self._cancel_first_response(session, auth.case_id, now)
            await self._audit_in(session, actor_id, Action.RELAY, auth.case_id, True, "", now)
            self._enqueue(  # last: its unique key refuses a second copy at the commit
                session,
                key=relay_key(source),
                chat_id=buyer_id,
                case_id=auth.case_id,
                payload={"op": "relay", **payload},
                now=now,
            )
            return await _commit_once(session)

    async def queue_buyer_relay(
        self,
        *,
        case_id: int,
        chat_id: int,
        thread_id: int,
        source: tuple[int, int],
        payload: Mapping[str, Any],
    ) -> bool:
        """A buyer's message for their case's topic, queued like an operator's: the worker
        delivers it (in order, with backoff, once) and links the copy; when it gives up, the
        buyer is sent `payload["failed_notice"]`. False when this message was queued already
        (the same update handled twice)."""
        async with self.sessions() as session:
            self._enqueue(
                session,
                key=relay_key(source),
                chat_id=chat_id,
                thread_id=thread_id,
                case_id=case_id,
                payload={"op": "relay", **payload},
                now=self.clock(),
            )
            return await _commit_once(session)

    async def queue_edit(
        self,
        auth: Authorization,
        *,
        actor_id: int,
        buyer_id: int,
        source: tuple[int, int],
        version: int,
        payload: Mapping[str, Any],
    ) -> bool:
        """An operator edited a relayed message: the edit follows its copy through the
        outbox, after the message itself (the buyer's messages go out in order)."""
        now = self.clock()
        async with self.sessions() as session:
            self._enqueue(
                session,
                key=f"edit:{source[0]}:{source[1]}:{version}",
                chat_id=buyer_id,
                case_id=auth.case_id,
                payload={"op": "edit", "source": list(source), **payload},
                now=now,
            )
            await self._audit_in(
                session, actor_id, Action.RELAY, auth.case_id, True, "", now, {"edit": True}
            )
            return await _commit_once(session)

    async def _cancel_first_response(
        self, session: AsyncSession, case_id: int, now: datetime
    ) -> None:
        kinds = (TimerKind.FIRST_RESPONSE_REMINDER.value, TimerKind.FIRST_RESPONSE_DEADLINE.value)
        await session.exec(
            sa.update(CaseTimer)
            .where(
                col(CaseTimer.case_id) == case_id,
                col(CaseTimer.kind).in_(kinds),
                col(CaseTimer.fired_at).is_(None),
            )
            .values(fired_at=now, fired_by="answered", outcome="cancelled")
            .execution_options(synchronize_session=False)
        )

    async def evidence_rows(self, ids: Sequence[int]) -> Sequence[Evidence]:
        async with self.sessions() as session:
            return (
                await session.exec(
                    select(Evidence).where(col(Evidence.id).in_(ids)).order_by(col(Evidence.id))
                )
            ).all()

    async def copy_in_flight(self, *, chat_id: int, message_id: int) -> bool:
        """Whether a copy of this message is being sent right now: its outbox row taken
        ("sending"), its link written only once Telegram has answered (`outbox_sent`).

        One lookup on the rows' source columns (`ix_support_outbox_source`): the rows of
        this chat being sent, a few at most. The message is the row's source, or another
        part of the album the row copies."""
        sending = col(OutboxMessage.state) == "sending"
        async with self.sessions() as session:
            rows = await session.exec(
                select(OutboxMessage.source_message_id, OutboxMessage.payload).where(
                    col(OutboxMessage.source_chat_id) == chat_id, sending
                )
            )
            return any(
                first == message_id
                or any(
                    [int(source[0]), int(source[1])] == [chat_id, message_id]
                    for source in (payload or {}).get("sources") or []
                )
                for first, payload in rows
            )

    async def copy_of(self, *, chat_id: int, message_id: int) -> MessageLink | None:
        """The pair of a relayed message, looked up from either side."""
        async with self.sessions() as session:
            result = await session.exec(
                select(MessageLink).where(
                    MessageLink.src_chat_id == chat_id, MessageLink.src_message_id == message_id
                )
            )
            link = result.first()
            if link is not None:
                return link
            result = await session.exec(
                select(MessageLink).where(
                    MessageLink.dst_chat_id == chat_id, MessageLink.dst_message_id == message_id
                )
            )
            found = result.first()
            if found is None:
                return None
            # seen from the copy's side: swap so that dst is the other chat
            return MessageLink(
                case_id=found.case_id,
                src_chat_id=found.dst_chat_id,
                src_message_id=found.dst_message_id,
                dst_chat_id=found.src_chat_id,
                dst_message_id=found.src_message_id,
            )

    # --- outbox ---------------------------------------------------------------------------

    async def claim_outbox(self, *, limit: int = 20) -> list[Delivery]:
        """Messages due for delivery, leased to this caller: another worker skips them."""
        now = self.clock()
        out: list[Delivery] = []
        async with self.sessions() as session:
            due = sa.or_(
                sa.and_(
                    col(OutboxMessage.state) == "pending", col(OutboxMessage.next_attempt_at) <= now
                ),
                sa.and_(
                    col(OutboxMessage.state) == "sending", col(OutboxMessage.lease_until) < now
                ),
            )
            # one chat's (or topic's) messages go out in the order they were written: a
            # message waits while an older one to the same place is not sent or given up
            older = aliased(OutboxMessage)
            same_thread = sa.or_(
                col(older.thread_id) == col(OutboxMessage.thread_id),
                sa.and_(col(older.thread_id).is_(None), col(OutboxMessage.thread_id).is_(None)),
            )
            earlier = (
                sa.select(col(older.id))
                .where(
                    col(older.chat_id) == col(OutboxMessage.chat_id),
                    same_thread,
                    col(older.id) < col(OutboxMessage.id),
                    col(older.state).in_(("pending", "sending")),
                )
                .exists()
            )
            query = (
                select(OutboxMessage)
                .where(due, ~earlier)
                .order_by(col(OutboxMessage.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            for row in (await session.exec(query)).all():
                if await _update_if(
                    session,
                    OutboxMessage,
                    row.id,
                    due,
                    state="sending",
                    lease_until=now + OUTBOX_LEASE,
                ):
                    assert row.id is not None
                    out.append(
                        Delivery(
                            row.id,
                            row.chat_id,
                            row.thread_id,
                            dict(row.payload),
                            row.attempts,
                            row.case_id,
                        )
                    )
            await session.commit()
        return out

    async def outbox_sent(
        self,
        delivery_id: int,
        message_id: int | None,
        *,
        links: Sequence[tuple[int, tuple[int, int], tuple[int, int]]] = (),
    ) -> None:
        """Delivered; the copies it made are linked to their sources (case id, source chat
        and message, copy chat and message) in the same transaction."""
        now = self.clock()
        async with self.sessions() as session:
            await session.exec(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == delivery_id)
                .values(
                    state="sent",
                    sent_at=now,
                    sent_message_id=message_id,
                    lease_until=None,
                    attempts=OutboxMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            row = await session.get(OutboxMessage, delivery_id) if links else None
            payload = row.payload if row is not None else {}
            said = {
                (int(source[0]), int(source[1])): what
                for source, what in zip(
                    payload.get("sources") or [], payload.get("said") or [], strict=False
                )
            }
            for case_id, src, dst in links:
                exists = await session.exec(
                    select(MessageLink.id).where(
                        MessageLink.src_chat_id == src[0], MessageLink.src_message_id == src[1]
                    )
                )
                if exists.first() is None:
                    session.add(_link(case_id, src, dst, said.get((src[0], src[1])), now))
            await session.commit()

    async def outbox_failed(
        self, delivery: Delivery, *, reason: str, retry_after: float | None, permanent: bool
    ) -> bool:
        """Record a failed attempt; returns True when the message was given up (the topic is
        told why)."""
        now = self.clock()
        attempts = delivery.attempts + 1
        give_up = permanent or attempts >= self.max_attempts
        async with self.sessions() as session:
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_error": reason[:300],
                "lease_until": None,
            }
            if give_up:
                values["state"] = "failed"
            else:
                values["state"] = "pending"
                values["next_attempt_at"] = now + timedelta(
                    seconds=lifecycle.backoff_seconds(attempts, retry_after=retry_after)
                )
            await session.exec(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id) == delivery.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if give_up and delivery.case_id is not None and delivery.thread_id is None:
                topic = await session.get(SupportTopic, delivery.case_id)
                relay = delivery.payload.get("op") in RELAY_OPS
                self._to_topic(
                    session,
                    topic,
                    key=f"failed:{delivery.id}",
                    text=self.staff(
                        "support.undeliverable" if relay else "support.notify_failed",
                        reason=escape(reason),
                    ),
                    now=now,
                )
            notice = delivery.payload.get("failed_notice")
            sources = delivery.payload.get("sources") or []
            if give_up and delivery.thread_id is not None and notice and sources:
                # a buyer's message the topic never got: the buyer is told, not left waiting
                self._outbox(
                    session,
                    key=f"failed:{delivery.id}",
                    chat_id=int(sources[0][0]),
                    text=str(notice),
                    now=now,
                    case_id=delivery.case_id,
                )
            await session.commit()
        return give_up

    # --- timers ---------------------------------------------------------------------------

    async def fire_due_timers(
        self, *, instance: str, limit: int = 20
    ) -> list[tuple[int, str, str]]:
        """Fire every due timer this instance can claim; returns (case id, kind, outcome)."""
        fired: list[tuple[int, str, str]] = []
        now = self.clock()
        async with self.sessions() as session:
            query = (
                select(CaseTimer)
                .where(UNFIRED, col(CaseTimer.due_at) <= now)
                .order_by(col(CaseTimer.due_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            for timer in (await session.exec(query)).all():
                action = self._timer_actions[TimerKind(timer.kind)]
                outcome = await self._fire(session, timer, action, now=now, instance=instance)
                if outcome is not None:
                    fired.append((timer.case_id, timer.kind, outcome))
            await session.commit()
        return fired

    @property
    def _timer_actions(self) -> dict[TimerKind, TimerAction]:
        return {
            TimerKind.MERCHANT_DEADLINE: self._merchant_deadline,
            TimerKind.FIRST_RESPONSE_REMINDER: self._first_response_reminder,
            TimerKind.FIRST_RESPONSE_DEADLINE: self._first_response_deadline,
            TimerKind.EVIDENCE_REMINDER: self._evidence_reminder,
            TimerKind.EVIDENCE_DEADLINE: self._evidence_deadline,
            TimerKind.APPEAL_WINDOW_END: self._appeal_window_end,
        }

    async def _fire(
        self,
        session: AsyncSession,
        timer: CaseTimer,
        action: TimerAction,
        *,
        now: datetime,
        instance: str,
    ) -> str | None:
        """One timer, the same way for every kind: claimed (None when another instance
        fired it first), then `action` on its case unless the case moved on where the
        timer no longer applies ("stale"), and the outcome recorded on the timer."""
        if not await _update_if(
            session, CaseTimer, timer.id, UNFIRED, fired_at=now, fired_by=instance[:64]
        ):
            return None
        case = await session.get(Case, timer.case_id)
        topic = await session.get(SupportTopic, timer.case_id)
        assigned = topic is not None and (
            topic.assignee_id is not None or topic.first_response_at is not None
        )
        if case is None:
            outcome = "gone"
        elif not lifecycle.timer_still_applies(timer.kind, case.status, assigned):
            outcome = "stale"
        else:
            firing = Firing(session, timer, case, topic, now, f"timer:{timer.id}")
            try:
                outcome = await action(firing)
            except lifecycle.TransitionError:  # moved on where the deadline cannot follow
                outcome = "stale"
        await session.exec(
            sa.update(CaseTimer)
            .where(col(CaseTimer.id) == timer.id)
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )
        return outcome

    def _timer_event(self, f: Firing, kind: str, payload: Mapping[str, Any]) -> None:
        f.session.add(
            CaseEvent(
                case_id=f.case_id,
                actor="timer",
                kind=kind,
                payload=dict(payload),
                created_at=f.now,
            )
        )

    async def _timer_status(self, f: Firing, target: CaseStatus, cause: str) -> None:
        await self._change_status(
            f.session,
            case=f.case,
            target=target,
            actor="timer",
            now=f.now,
            topic=f.topic,
            cause=cause,
            notice_key=f.key,
        )

    async def _merchant_deadline(self, f: Firing) -> str:
        await self._timer_status(f, lifecycle.SILENT_MERCHANT_STATUS, "merchant_silent")
        self._timer_event(f, "deadline", {"reason": TimerKind.MERCHANT_DEADLINE.value})
        if f.topic is None and self.chat_id is not None:
            f.session.add(
                SupportTopic(
                    case_id=f.case_id,
                    chat_id=self.chat_id,
                    user_id=f.case.user_id,
                    state="opening",
                    trigger="merchant_deadline",
                    opened_at=f.now,
                )
            )
        return "forced"

    async def _first_response_reminder(self, f: Firing) -> str:
        deadline = await self._next_due(f.session, f.case_id, TimerKind.FIRST_RESPONSE_DEADLINE)
        text = self.staff("support.first_response_reminder", due=self._fmt(deadline or f.due))
        self._to_topic(f.session, f.topic, key=f.key, text=text, now=f.now)
        return "reminded"

    async def _first_response_deadline(self, f: Firing) -> str:
        self._timer_event(f, "breach", {"reason": TimerKind.FIRST_RESPONSE_DEADLINE.value})
        text = self.staff("support.first_response_breached")
        self._to_topic(f.session, f.topic, key=f.key, text=text, now=f.now)
        return "breached"

    async def _evidence_reminder(self, f: Firing) -> str:
        deadline = await self._next_due(f.session, f.case_id, TimerKind.EVIDENCE_DEADLINE)
        t = Translator(f.case.language)
        self._outbox(
            f.session,
            key=f.key,
            chat_id=f.case.user_id,
            case_id=f.case_id,
            text=t(
                "support_notify.evidence_reminder",
                number=f.case.number,
                due=self._fmt(deadline or f.due),
            ),
            now=f.now,
        )
        return "reminded"

    async def _evidence_deadline(self, f: Firing) -> str:
        since = await self._status_since(f.session, f.case_id)
        newer = await f.session.exec(
            select(Evidence.id).where(
                Evidence.case_id == f.case_id, col(Evidence.created_at) > since
            )
        )
        if newer.first() is not None:
            await self._timer_status(f, CaseStatus.IN_REVIEW, "evidence_received")
            return "evidence_received"
        await self._timer_status(f, CaseStatus.CLOSED, "evidence_lapsed")
        if f.topic is not None:
            f.topic.state, f.topic.closed_at = CLOSED_TOPIC, f.now
            f.session.add(f.topic)
        return "lapsed"

    async def _appeal_window_end(self, f: Firing) -> str:
        self._timer_event(f, "appeal_window_end", {})
        return "appeal_window_ended"

    async def _next_due(
        self, session: AsyncSession, case_id: int, kind: TimerKind
    ) -> datetime | None:
        result = await session.exec(
            select(CaseTimer.due_at).where(
                CaseTimer.case_id == case_id,
                CaseTimer.kind == kind.value,
                col(CaseTimer.fired_at).is_(None),
            )
        )
        return aware(result.first())

    async def _status_since(self, session: AsyncSession, case_id: int) -> datetime:
        result = await session.exec(
            select(CaseEvent.created_at)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "status")
            .order_by(col(CaseEvent.created_at).desc(), col(CaseEvent.id).desc())
        )
        return result.first() or datetime(1970, 1, 1, tzinfo=UTC)

    def _fmt(self, moment: datetime) -> str:
        from zoneinfo import ZoneInfo

        return moment.astimezone(ZoneInfo(self.tz_name)).strftime("%Y-%m-%d %H:%M")

    async def timers(self, case_id: int) -> Sequence[CaseTimer]:
        async with self.sessions() as session:
            return (
                await session.exec(
                    select(CaseTimer)
                    .where(CaseTimer.case_id == case_id)
                    .order_by(col(CaseTimer.id))
                )
            ).all()

    # --- reconciling cases made elsewhere (the wizard, appeals) -------------------------------

    async def reconcile(self, *, limit: int = 200) -> int:
        """Open cases that need a person get a topic; an appealed case's closed topic is
        reopened; cases waiting for the merchant get their deadline. Idempotent."""
        if self.chat_id is None:
            return 0
        now = self.clock()
        opened = 0
        async with self.sessions() as session:
            open_values = [s.value for s in lifecycle.OPEN_STATUSES]
            query = (
                select(Case, SupportTopic)
                .join(SupportTopic, col(SupportTopic.case_id) == col(Case.id), isouter=True)
                .where(col(Case.status).in_(open_values))
                .order_by(col(Case.id).desc())
                .limit(limit)
            )
            rows = (await session.exec(query)).all()
        for case, topic in rows:
            assert case.id is not None
            decision = case.decision or {}
            wants = case.status == CaseStatus.APPEALED or lifecycle.needs_person(
                str(decision.get("outcome", "")), str(decision.get("route", ""))
            )
            if topic is None and wants:
                trigger = "appeal" if case.status == CaseStatus.APPEALED else "route"
                opened += await self.request_topic(case_id=case.id, trigger=trigger)
            elif (
                topic is not None
                and topic.state == CLOSED_TOPIC
                and case.status == CaseStatus.APPEALED
            ):
                opened += await self.request_topic(case_id=case.id, trigger="appeal")
            elif topic is None and case.status == CaseStatus.WITH_MERCHANT:
                async with self.sessions() as session:
                    fresh = await session.get(Case, case.id)
                    if fresh is not None:
                        exists = await session.exec(
                            select(CaseTimer.id).where(CaseTimer.case_id == case.id)
                        )
                        if exists.first() is None:
                            await self._ensure_timers(
                                session, fresh, aware(fresh.updated_at) or now
                            )
                            await _commit_once(session)
        return opened

    # --- operator commands ------------------------------------------------------------------

    async def queue(
        self, *, limit: int = 20
    ) -> list[tuple[Case, SupportTopic | None, datetime | None]]:
        """Open cases, most urgent first: the earliest pending deadline, then the oldest."""
        async with self.sessions() as session:
            open_values = [s.value for s in lifecycle.OPEN_STATUSES]
            due = (
                select(CaseTimer.case_id, sa.func.min(CaseTimer.due_at).label("due"))
                .where(col(CaseTimer.fired_at).is_(None))
                .group_by(col(CaseTimer.case_id))
                .subquery()
            )
            query = (
                select(Case, SupportTopic, due.c.due)
                .join(SupportTopic, col(SupportTopic.case_id) == col(Case.id), isouter=True)
                .join(due, due.c.case_id == col(Case.id), isouter=True)
                .where(col(Case.status).in_(open_values))
                .order_by(due.c.due.is_(None), due.c.due, col(Case.created_at))
                .limit(limit)
            )
            rows = (await session.exec(query)).all()
        return [(case, topic, aware(due_at)) for case, topic, due_at in rows]

    async def case_by_number(self, number: str) -> tuple[Case, SupportTopic | None] | None:
        async with self.sessions() as session:
            case = (await session.exec(select(Case).where(Case.number == number.upper()))).first()
            if case is None:
                return None
            return case, await session.get(SupportTopic, case.id)

    async def cases_by_order(self, order_number: str) -> Sequence[Case]:
        async with self.sessions() as session:
            return (
                await session.exec(
                    select(Case)
                    .where(Case.order_number == order_number)
                    .order_by(col(Case.created_at).desc())
                    .limit(10)
                )
            ).all()

    async def stats(self, *, since: datetime) -> Stats:
        async with self.sessions() as session:
            new = (
                await session.exec(
                    select(sa.func.count()).select_from(Case).where(col(Case.created_at) >= since)
                )
            ).one()
            decided_values = [s.value for s in (CaseStatus.APPROVED, CaseStatus.REJECTED)]
            decided = 0
            refunded = 0
            for event in (
                await session.exec(
                    select(CaseEvent).where(
                        col(CaseEvent.created_at) >= since, CaseEvent.kind == "status"
                    )
                )
            ).all():
                status = (event.payload or {}).get("status")
                decided += status in decided_values
                refunded += status == CaseStatus.REFUNDED.value
            breached = (
                await session.exec(
                    select(sa.func.count())
                    .select_from(CaseEvent)
                    .where(col(CaseEvent.created_at) >= since, CaseEvent.kind == "breach")
                )
            ).one()
            ratings: dict[int, tuple[int, float]] = {}
            rows = (
                await session.exec(
                    select(CaseRating.operator_id, sa.func.count(), sa.func.avg(CaseRating.score))
                    .where(col(CaseRating.operator_id).is_not(None))
                    .group_by(col(CaseRating.operator_id))
                )
            ).all()
            for operator_id, count, average in rows:
                if operator_id is not None:
                    ratings[int(operator_id)] = (int(count), float(average))
        return Stats(int(new), decided, refunded, int(breached), ratings)

    async def claim_digest(self, *, period: str) -> bool:
        """True for the one caller that runs the digest of `period` (a local date)."""
        now = self.clock()
        async with self.sessions() as session:
            job = await session.get(SupportJob, "digest")
            if job is None:
                session.add(SupportJob(name="digest", period=period, ran_at=now))
                return await _commit_once(session)
            result = await session.exec(
                sa.update(SupportJob)
                .where(col(SupportJob.name) == "digest", col(SupportJob.period) != period)
                .values(period=period, ran_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            return bool(cast(Any, result).rowcount == 1)

    async def queue_digest(self, *, text: str, period: str) -> None:
        if self.chat_id is None:
            return
        async with self.sessions() as session:
            self._outbox(
                session, key=f"digest:{period}", chat_id=self.chat_id, text=text, now=self.clock()
            )
            await _commit_once(session)

    async def breached_cases(self) -> set[int]:
        async with self.sessions() as session:
            rows = (
                await session.exec(select(CaseEvent.case_id).where(CaseEvent.kind == "breach"))
            ).all()
        return set(rows)

    # --- bans -----------------------------------------------------------------------------

    async def set_ban(self, *, user_id: int, mode: str | None, by_id: int) -> None:
        now = self.clock()
        async with self.sessions() as session:
            row = await session.get(BuyerBan, user_id)
            if mode is None:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(BuyerBan(user_id=user_id, mode=mode, by_id=by_id, created_at=now))
            else:
                row.mode, row.by_id, row.told, row.created_at = mode, by_id, False, now
                session.add(row)
            session.add(
                SupportAudit(
                    actor_id=by_id,
                    action=Action.BAN.value,
                    case_id=None,
                    allowed=True,
                    reason=mode or "lifted",
                    payload={"user_id": user_id},
                    created_at=now,
                )
            )
            await session.commit()
        if self.ban_changed is not None:
            await self.ban_changed(user_id)

    async def ban_of(self, user_id: int) -> BuyerBan | None:
        async with self.sessions() as session:
            return await session.get(BuyerBan, user_id)

    async def ban_told(self, user_id: int) -> bool:
        """Mark a banned buyer as told; True only for the first caller."""
        async with self.sessions() as session:
            result = await session.exec(
                sa.update(BuyerBan)
                .where(col(BuyerBan.user_id) == user_id, col(BuyerBan.told).is_(False))
                .values(told=True)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            return bool(cast(Any, result).rowcount == 1)

    # --- ratings --------------------------------------------------------------------------

    async def rate(self, *, case_id: int, user_id: int, score: int) -> bool:
        """The buyer's rating of a closed case, once; only the case's own buyer."""
        if not lifecycle.rating_valid(score):
            return False
        async with self.sessions() as session:
            case = await session.get(Case, case_id)
            if case is None or case.user_id != user_id or case.status != CaseStatus.CLOSED:
                return False
            topic = await session.get(SupportTopic, case_id)
            session.add(
                CaseRating(
                    case_id=case_id,
                    operator_id=topic.assignee_id if topic else None,
                    score=score,
                    created_at=self.clock(),
                )
            )
            session.add(
                CaseEvent(
                    case_id=case_id,
                    actor=f"buyer:{user_id}",
                    kind="rating",
                    payload={"count": score},
                    created_at=self.clock(),
                )
            )
            return await _commit_once(session)

    # --- saved replies --------------------------------------------------------------------

    def check_replies(self) -> None:
        """The saved replies file: every reply has a text in each language and a known
        cause; raises ValueError naming the file and the reply."""
        from bot.domain.vocab import Cause

        for name, spec in self.shipped_replies().items():
            for lang in ("zh", "en"):
                if not str(spec.get(lang) or "").strip():
                    raise ValueError(f"{self.replies_file}: reply {name!r} has no {lang} text")
            cause = spec.get("cause")
            if cause is not None and cause not in {c.value for c in Cause}:
                raise ValueError(
                    f"{self.replies_file}: reply {name!r} names an unknown cause {cause!r}"
                )

    def shipped_replies(self) -> dict[str, dict[str, Any]]:
        if not self.replies_file.is_file():
            return {}
        data = yaml.safe_load(self.replies_file.read_text(encoding="utf-8")) or {}
        replies = data.get("replies") or {}
        return {str(name): dict(spec) for name, spec in replies.items()}

    async def saved_reply(self, name: str, lang: str) -> str | None:
        async with self.sessions() as session:
            row = await session.get(SavedReply, (name, lang))
        if row is not None:
            return row.text
        spec = self.shipped_replies().get(name)
        if spec is None:
            return None
        text = spec.get(lang)
        return str(text) if text else None

    async def reply_names(self, cause: str | None = None) -> list[str]:
        names = {
            name
            for name, spec in self.shipped_replies().items()
            if cause is None or spec.get("cause") in (None, cause)
        }
        async with self.sessions() as session:
            names |= set((await session.exec(select(SavedReply.name))).all())
        return sorted(names)

    async def set_saved_reply(self, *, name: str, lang: str, text: str, by_id: int) -> None:
        now = self.clock()
        async with self.sessions() as session:
            row = await session.get(SavedReply, (name, lang))
            if row is None:
                row = SavedReply(name=name, lang=lang, text=text, updated_by=by_id, updated_at=now)
            else:
                row.text, row.updated_by, row.updated_at = text, by_id, now
            session.add(row)
            await self._audit_in(
                session, by_id, Action.REPLY_EDIT, None, True, name, now, {"lang": lang}
            )
            await session.commit()

    async def audit_rows(self) -> Sequence[SupportAudit]:
        async with self.sessions() as session:
            return (await session.exec(select(SupportAudit).order_by(col(SupportAudit.id)))).all()

    async def outbox_rows(self) -> Sequence[OutboxMessage]:
        async with self.sessions() as session:
            return (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()


def actor_label(t: Translator, actor: str) -> str:
    kind, _, ident = actor.partition(":")
    if kind == "timer":
        return t("support.actor_timer")
    if kind == "support":
        return t("support.actor_operator", id=ident)
    return actor


def local_day_start(now: datetime, tz_name: str) -> tuple[datetime, date]:
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz_name))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), local.date()
