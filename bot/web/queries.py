"""What the console reads: the filtered queue, the numbers over a period, and the policy
replay of past cases. Read-only: every change goes through `bot.services.support`."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import cases as lifecycle
from bot.domain.cases import CaseStatus
from bot.domain.rules import Decision, Facts, FactsError, Policy, decide
from bot.domain.vocab import EvidenceKind, OrderStatus
from bot.storage.models import Case, CaseEvent, Evidence, User
from bot.storage.support_models import CaseTimer, SupportTopic

SOON = timedelta(hours=4)
OPEN_VALUES = tuple(s.value for s in lifecycle.OPEN_STATUSES)
BREACH_KINDS = ("breach", "deadline")
EVIDENCE_SCAM = "evidence_scam"  # bot.services.scam.EVIDENCE_SCAM


def aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    status: str = "open"  # open, all, or one status
    cause: str = ""
    route: str = ""
    platform: str = ""
    assignee: str = ""  # "", "me", "none" or an operator id
    deadline: str = ""  # "", "breached", "soon"
    q: str = ""
    since: str = ""  # filed on or after this local date (YYYY-MM-DD)
    until: str = ""  # filed on or before this local date
    limit: int = 200

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        def get(name: str, default: str = "") -> str:
            return str(params.get(name) or default).strip()[:64]

        return cls(
            status=get("status", "open"),
            cause=get("cause"),
            route=get("route"),
            platform=get("platform"),
            assignee=get("assignee"),
            deadline=get("deadline"),
            q=get("q"),
            since=get("from"),
            until=get("to"),
        )

    def params(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("status", self.status),
                ("cause", self.cause),
                ("route", self.route),
                ("platform", self.platform),
                ("assignee", self.assignee),
                ("deadline", self.deadline),
                ("q", self.q),
                ("from", self.since),
                ("to", self.until),
            )
            if value
        }


@dataclass
class QueueRow:
    case: Case
    topic: SupportTopic | None
    buyer: User | None
    due: datetime | None
    breached: bool

    @property
    def route(self) -> str:
        return str((self.case.decision or {}).get("route") or "")

    def due_soon(self, now: datetime) -> bool:
        return self.due is not None and now <= self.due <= now + SOON


def _local_day(value: str, tz_name: str, *, after: bool) -> datetime | None:
    """The UTC start of a local date (of the next day with `after`); None when unset or
    not a date."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if after:
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz_name)).astimezone(UTC)


async def assignees(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, str]]:
    """Operators who hold or held a case: (id, name), for the assignee filter."""
    async with sessions() as session:
        rows = (
            await session.exec(
                select(SupportTopic.assignee_id, sa.func.max(SupportTopic.assignee_name))
                .where(col(SupportTopic.assignee_id).is_not(None))
                .group_by(col(SupportTopic.assignee_id))
            )
        ).all()
    return sorted((int(i), str(n or i)) for i, n in rows if i is not None)


async def queue(
    sessions: async_sessionmaker[AsyncSession],
    flt: QueueFilter,
    *,
    me: int,
    now: datetime,
    tz_name: str = "Asia/Shanghai",
) -> list[QueueRow]:
    """Cases matching the filter: breached first, then the earliest pending deadline, then
    the newest. Filtered, ordered and limited by the database."""
    due = (
        select(CaseTimer.case_id, sa.func.min(CaseTimer.due_at).label("due"))
        .where(col(CaseTimer.fired_at).is_(None))
        .group_by(col(CaseTimer.case_id))
        .subquery()
    )
    breach_event = sa.exists(
        select(CaseEvent.id).where(
            col(CaseEvent.case_id) == col(Case.id), col(CaseEvent.kind).in_(BREACH_KINDS)
        )
    )
    overdue = sa.and_(due.c.due.is_not(None), due.c.due < now, col(Case.status).in_(OPEN_VALUES))
    breached = sa.or_(breach_event, overdue)
    query = (
        cast(Any, select)(Case, SupportTopic, User, due.c.due, breached.label("breached"))
        .join(SupportTopic, col(SupportTopic.case_id) == col(Case.id), isouter=True)
        .join(User, col(User.id) == col(Case.user_id), isouter=True)
        .join(due, due.c.case_id == col(Case.id), isouter=True)
    )
    if flt.status == "open":
        query = query.where(col(Case.status).in_(OPEN_VALUES))
    elif flt.status and flt.status != "all":
        query = query.where(col(Case.status) == flt.status)
    if flt.cause:
        query = query.where(col(Case.cause) == flt.cause)
    if flt.route:
        query = query.where(col(Case.decision)["route"].as_string() == flt.route)
    if flt.platform:
        query = query.where(col(Case.platform_type) == flt.platform)
    if flt.assignee == "me":
        query = query.where(col(SupportTopic.assignee_id) == me)
    elif flt.assignee == "none":
        query = query.where(col(SupportTopic.assignee_id).is_(None))
    elif flt.assignee.isdigit():
        query = query.where(col(SupportTopic.assignee_id) == int(flt.assignee))
    if flt.deadline == "breached":
        query = query.where(breached)
    elif flt.deadline == "soon":
        query = query.where(due.c.due >= now, due.c.due <= now + SOON)
    start = _local_day(flt.since, tz_name, after=False) if flt.since else None
    end = _local_day(flt.until, tz_name, after=True) if flt.until else None
    if start is not None:
        query = query.where(col(Case.created_at) >= start)
    if end is not None:
        query = query.where(col(Case.created_at) < end)
    if flt.q:
        needle = flt.q.strip().lstrip("@")
        like = f"%{needle.lower()}%"
        conditions: list[Any] = [
            sa.func.upper(col(Case.number)) == needle.upper(),
            col(Case.order_number) == needle,
            sa.func.lower(col(User.username)) == needle.lower(),
            sa.func.lower(col(User.first_name)).like(like),
        ]
        if needle.isdigit():
            conditions.append(col(Case.user_id) == int(needle))
        query = query.where(sa.or_(*conditions))
    query = query.order_by(
        sa.case((breached, 0), else_=1),
        due.c.due.is_(None),
        due.c.due,
        col(Case.created_at).desc(),
        col(Case.id).desc(),
    ).limit(flt.limit)
    async with sessions() as session:
        rows = (await session.exec(query)).all()
    return [
        QueueRow(case, topic, buyer, aware(due_at), bool(is_breached))
        for case, topic, buyer, due_at, is_breached in rows
    ]


# --- the numbers ----------------------------------------------------------------------------


@dataclass
class Numbers:
    days: list[date]
    by_cause: dict[str, Counter[date]]
    by_outcome: dict[str, Counter[date]]
    breaches: Counter[date]
    refunded_total: Decimal
    refunded_count: int
    promised_total: Decimal
    claimed_total: Decimal
    first_response: list[float]  # hours
    resolution: list[float]  # hours
    cases: int
    statuses: Counter[str] = field(default_factory=Counter)
    scam_findings: int = 0  # scams found in evidence pictures in the period
    scam_cases: int = 0  # the cases they concern

    @staticmethod
    def summary(values: Sequence[float]) -> tuple[float, float] | None:
        """(median, 90th percentile) in hours."""
        if not values:
            return None
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        return statistics.median(ordered), p90


def _money(value: object) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)


async def numbers(
    sessions: async_sessionmaker[AsyncSession], *, start: date, end: date, tz_name: str
) -> Numbers:
    """Cases filed from `start` to `end` (local dates, both included)."""
    tz = ZoneInfo(tz_name)
    since = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def day(moment: datetime | None) -> date:
        return (aware(moment) or since).astimezone(tz).date()

    by_cause: dict[str, Counter[date]] = defaultdict(Counter)
    by_outcome: dict[str, Counter[date]] = defaultdict(Counter)
    breaches: Counter[date] = Counter()
    statuses: Counter[str] = Counter()
    refunded_total = promised_total = claimed_total = Decimal(0)
    refunded_count = 0
    first_response: list[float] = []
    resolution: list[float] = []
    scams: list[int] = []
    async with sessions() as session:
        cases = (
            await session.exec(
                select(Case).where(col(Case.created_at) >= since, col(Case.created_at) < until)
            )
        ).all()
        topics = {
            t.case_id: t
            for t in (
                await session.exec(
                    select(SupportTopic).where(
                        col(SupportTopic.case_id).in_([c.id for c in cases] or [-1])
                    )
                )
            ).all()
        }
        for event in (
            await session.exec(
                select(CaseEvent).where(
                    col(CaseEvent.created_at) >= since,
                    col(CaseEvent.created_at) < until,
                    col(CaseEvent.kind).in_((*BREACH_KINDS, EVIDENCE_SCAM)),
                )
            )
        ).all():
            if event.kind == EVIDENCE_SCAM:
                scams.append(event.case_id)
            else:
                breaches[day(event.created_at)] += 1
    for case in cases:
        created = day(case.created_at)
        by_cause[case.cause][created] += 1
        by_outcome[case.outcome][created] += 1
        statuses[case.status] += 1
        claimed_total += _money(case.amount)
        promised = (case.decision or {}).get("refund_amount")
        if case.outcome in ("full_refund", "partial_refund"):
            promised_total += _money(promised)
        if case.status == CaseStatus.REFUNDED.value or (
            case.status == CaseStatus.CLOSED.value
            and case.decided_at is not None
            and case.outcome in ("full_refund", "partial_refund")
        ):
            refunded_count += 1
            refunded_total += _money(promised if promised is not None else case.amount)
        decided = aware(case.decided_at)
        opened = aware(case.created_at)
        if decided is not None and opened is not None:
            resolution.append((decided - opened).total_seconds() / 3600)
        topic = topics.get(case.id or -1)
        if topic is not None and topic.first_response_at is not None:
            answered, asked = aware(topic.first_response_at), aware(topic.opened_at)
            if answered is not None and asked is not None:
                first_response.append(max(0.0, (answered - asked).total_seconds() / 3600))
    return Numbers(
        days=days,
        by_cause=dict(by_cause),
        by_outcome=dict(by_outcome),
        breaches=breaches,
        refunded_total=refunded_total,
        refunded_count=refunded_count,
        promised_total=promised_total,
        claimed_total=claimed_total,
        first_response=first_response,
        resolution=resolution,
        cases=len(cases),
        statuses=statuses,
        scam_findings=len(scams),
        scam_cases=len(set(scams)),
    )


# --- the policy simulator -------------------------------------------------------------------


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    a, b = aware(start), aware(end)
    if a is None or b is None:
        return None
    return max(0.0, round((b - a).total_seconds() / 3600, 2))


def case_facts(case: Case, evidence_kinds: Iterable[str]) -> Facts:
    """The facts of a filed case as they stood when it was filed."""
    unpaid = case.order_status == OrderStatus.UNPAID.value
    hours = None if unpaid else hours_between(case.paid_at, case.created_at)
    completion = hours_between(case.completed_at, case.created_at)
    if completion is not None and hours is not None:
        completion = min(completion, hours)
    known = {k.value for k in EvidenceKind}
    return Facts.model_validate(
        {
            "order_status": case.order_status,
            "cause": case.cause,
            "platform_type": case.platform_type,
            "payment_channel": case.payment_channel,
            "amount": case.amount,
            "hours_since_payment": hours if hours is not None or unpaid else 0,
            "hours_since_completion": completion,
            "evidence": sorted({k for k in evidence_kinds if k in known}),
        }
    )


def facts_from_form(form: Mapping[str, Any]) -> Facts:
    """Facts typed into the simulator; FactsError names every bad field."""
    data: dict[str, Any] = {
        name: str(form.get(name) or "").strip()
        for name in ("order_status", "cause", "platform_type", "payment_channel", "amount")
    }
    for name in ("hours_since_payment", "hours_since_completion"):
        value = str(form.get(name) or "").strip()
        data[name] = value or None
    data["fee_disclosed"] = str(form.get("fee_disclosed") or "") in ("1", "on", "true")
    evidence = form.get("evidence") or []
    data["evidence"] = [evidence] if isinstance(evidence, str) else list(evidence)
    if data["order_status"] == OrderStatus.UNPAID.value:
        data["hours_since_payment"] = None
    try:
        return Facts.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e.get("loc", ())) or "facts": str(e.get("msg", ""))
            for e in exc.errors()
        }
        raise FactsError(fields) from None


@dataclass(frozen=True)
class Difference:
    case: Case
    before: Decision
    after: Decision

    @property
    def delta(self) -> Decimal:
        return _money(self.after.refund_amount) - _money(self.before.refund_amount)


@dataclass
class Replay:
    compared: int
    differences: list[Difference]
    total_before: Decimal
    total_after: Decimal
    skipped: int

    @property
    def delta(self) -> Decimal:
        return self.total_after - self.total_before


async def replay(
    sessions: async_sessionmaker[AsyncSession],
    *,
    current: Policy,
    other: Policy,
    last: int,
) -> Replay:
    """Decide the last `last` cases with both policies: which would change, and how the
    refunded total (the sum of refund amounts) moves. Both sides are decided again from the
    stored facts, so a case filed under an older policy is compared like for like."""
    async with sessions() as session:
        cases = (
            await session.exec(select(Case).order_by(col(Case.created_at).desc()).limit(last))
        ).all()
        kinds: dict[int, list[str]] = defaultdict(list)
        ids = [c.id for c in cases if c.id is not None]
        if ids:
            for case_id, kind in (
                await session.exec(
                    select(Evidence.case_id, Evidence.kind).where(col(Evidence.case_id).in_(ids))
                )
            ).all():
                kinds[case_id].append(kind)
    result = Replay(0, [], Decimal(0), Decimal(0), 0)
    for case in cases:
        try:
            facts = case_facts(case, kinds.get(case.id or -1, []))
        except (ValidationError, ValueError):
            result.skipped += 1
            continue
        before, after = decide(current, facts), decide(other, facts)
        result.compared += 1
        result.total_before += _money(before.refund_amount)
        result.total_after += _money(after.refund_amount)
        if (before.outcome, before.refund_amount, before.route) != (
            after.outcome,
            after.refund_amount,
            after.route,
        ):
            result.differences.append(Difference(case, before, after))
    return result
