"""Refund cases: from the wizard's answers to a decision and a stored case.

The decision always comes from the rules module; this service only gathers the facts,
stores what was decided (with the rule id and the policy version) and keeps the audit
trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import cases as lifecycle
from bot.domain.intake import hours_between
from bot.domain.rules import Decision, Facts, Policy, decide
from bot.domain.vocab import EvidenceKind, OrderStatus
from bot.storage import repo
from bot.storage.models import Case, CaseEvent, Evidence

# the wizard's answers that make up the facts
DRAFT_FIELDS = ("order_number", "platform_type", "order_status", "cause", "payment_channel", "amount", "paid_at")


@dataclass(frozen=True)
class CaseView:
    case: Case
    evidence_count: int
    evidence_kinds: list[str]
    events: Sequence[CaseEvent]
    can_add_evidence: bool
    can_appeal: bool
    appeal_deadline: datetime | None


class CaseNotFound(LookupError):
    pass


class ActionNotAllowed(RuntimeError):
    pass


COMPLETION_STATUSES = frozenset({OrderStatus.REDEEMED, OrderStatus.COMPLETED})


def missing_fields(draft: Mapping[str, Any]) -> list[str]:
    """Answers still needed before the case can be submitted (wizard field names)."""
    missing = [
        name
        for name in DRAFT_FIELDS
        if draft.get(name) in (None, "") and not (name == "paid_at" and draft.get("order_status") == OrderStatus.UNPAID)
    ]
    # for used goods the completion time is asked; "not sure" is an answer (None)
    if draft.get("order_status") in COMPLETION_STATUSES and "completed_at" not in draft:
        missing.append("completed_at")
    return missing


def evidence_kinds(draft: Mapping[str, Any]) -> list[str]:
    return sorted({item["kind"] for item in draft.get("evidence", []) if item.get("kind") in EvidenceKind.__members__.values()})


class RefundService:
    def __init__(self, *, policy: Policy, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.policy = policy
        self.sessions = sessions

    # --- decisions ----------------------------------------------------------------------

    def facts(self, draft: Mapping[str, Any], now: datetime) -> Facts:
        paid_at = datetime.fromisoformat(draft["paid_at"]) if draft.get("paid_at") else None
        status = OrderStatus(draft["order_status"])
        hours = hours_between(paid_at, now) if paid_at and status is not OrderStatus.UNPAID else None
        # the policy's windows for used goods run from completion; unknown stays unknown
        completed_at = datetime.fromisoformat(draft["completed_at"]) if draft.get("completed_at") else None
        completion = hours_between(completed_at, now) if completed_at and status in COMPLETION_STATUSES else None
        if completion is not None and hours is not None:
            completion = min(completion, hours)
        return Facts(
            order_status=status,
            cause=draft["cause"],
            platform_type=draft["platform_type"],
            payment_channel=draft["payment_channel"],
            amount=Decimal(str(draft["amount"])),
            hours_since_payment=hours,
            hours_since_completion=completion,
            evidence=tuple(EvidenceKind(kind) for kind in evidence_kinds(draft)),
            fee_disclosed=bool(draft.get("fee_disclosed", True)),
        )

    def decide(self, draft: Mapping[str, Any], now: datetime) -> Decision:
        return decide(self.policy, self.facts(draft, now))

    # --- submitting ---------------------------------------------------------------------

    async def submit(self, *, user_id: int, language: str, draft: Mapping[str, Any], now: datetime) -> tuple[Case, bool]:
        """Store the case once per wizard run (idempotent on the draft key)."""
        decision = self.decide(draft, now)
        status = lifecycle.initial_status(decision.outcome, decision.route)
        evidence = [
            {k: item.get(k) for k in ("file_id", "file_unique_id", "kind", "mime_type", "size", "media")}
            for item in draft.get("evidence", [])
        ]
        for _attempt in range(5):
            async with self.sessions() as session:
                try:
                    return await repo.create_case(
                        session,
                        number=lifecycle.new_case_number(now),
                        draft_key=draft["draft_key"],
                        user_id=user_id,
                        language=language,
                        order_number=draft["order_number"],
                        platform_type=draft["platform_type"],
                        order_status=draft["order_status"],
                        cause=draft["cause"],
                        cause_text=draft.get("cause_text"),
                        payment_channel=draft["payment_channel"],
                        amount=Decimal(str(draft["amount"])),
                        paid_at=datetime.fromisoformat(draft["paid_at"]) if draft.get("paid_at") else None,
                        completed_at=datetime.fromisoformat(draft["completed_at"]) if draft.get("completed_at") else None,
                        status=status.value,
                        decision=decision.model_dump(mode="json"),
                        evidence=evidence,
                        decided=status in lifecycle.DECIDED_STATUSES,
                    )
                except IntegrityError:
                    continue  # the random case number clashed: draw another
        raise RuntimeError("could not allocate a case number")

    # --- reading ------------------------------------------------------------------------

    async def list_cases(self, *, user_id: int) -> Sequence[Case]:
        async with self.sessions() as session:
            return await repo.list_cases(session, user_id=user_id)

    async def view(self, *, user_id: int, case_id: int, now: datetime) -> CaseView:
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            evidence = await repo.list_evidence(session, case_id=case_id)
            events = await repo.list_events(session, case_id=case_id)
        appeal_days = self.policy.windows.appeal_days
        decided_at = _aware(case.decided_at)
        return CaseView(
            case=case,
            evidence_count=len(evidence),
            evidence_kinds=sorted({e.kind for e in evidence}),
            events=events,
            can_add_evidence=lifecycle.is_open(case.status),
            can_appeal=lifecycle.can_appeal(case.status, decided_at, now, appeal_days),
            appeal_deadline=lifecycle.appeal_deadline(decided_at, appeal_days) if decided_at else None,
        )

    # --- changing -----------------------------------------------------------------------

    async def add_evidence(self, *, user_id: int, case_id: int, file: Mapping[str, Any]) -> bool:
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            if not lifecycle.is_open(case.status):
                raise ActionNotAllowed("case is closed")
            return await repo.add_evidence(
                session,
                case_id=case_id,
                actor=f"buyer:{user_id}",
                file_id=file["file_id"],
                file_unique_id=file["file_unique_id"],
                kind=file.get("kind") or "other",
                mime_type=file.get("mime_type"),
                size=file.get("size"),
                media=file.get("media") or "photo",
            )

    async def label_evidence(self, *, user_id: int, case_id: int, file_unique_id: str, kind: str) -> None:
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            await repo.label_evidence(session, case_id=case_id, file_unique_id=file_unique_id, kind=kind)

    async def evidence(self, *, case_id: int) -> Sequence[Evidence]:
        async with self.sessions() as session:
            return await repo.list_evidence(session, case_id=case_id)

    async def evidence_count(self, *, case_id: int) -> int:
        async with self.sessions() as session:
            return await repo.count_evidence(session, case_id=case_id)

    async def appeal(self, *, user_id: int, case_id: int, reason: str, now: datetime) -> Case:
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            if not lifecycle.can_appeal(case.status, _aware(case.decided_at), now, self.policy.windows.appeal_days):
                raise ActionNotAllowed("appeal window closed")
            lifecycle.check_transition(case.status, lifecycle.CaseStatus.APPEALED)
            return await repo.set_status(
                session, case=case, status=lifecycle.CaseStatus.APPEALED, actor=f"buyer:{user_id}", payload={"reason": reason}
            )

    async def set_status(self, *, case_id: int, status: str, actor: str) -> Case:
        """A reviewer moves a case on; only the lifecycle's transitions are allowed."""
        async with self.sessions() as session:
            case = await session.get(Case, case_id)
            if case is None:
                raise CaseNotFound(case_id)
            try:
                target = lifecycle.check_transition(case.status, status)
            except lifecycle.TransitionError as exc:
                raise ActionNotAllowed(str(exc)) from None
            return await repo.set_status(session, case=case, status=target, actor=actor, decided=target in lifecycle.DECIDED_STATUSES)

    async def note(self, *, case_id: int, actor: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        async with self.sessions() as session:
            await repo.add_event(session, case_id=case_id, actor=actor, kind=kind, payload=payload)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for UTC columns; PostgreSQL aware ones."""
    from datetime import UTC

    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
