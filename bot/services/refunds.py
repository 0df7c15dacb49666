"""Refund cases: from the wizard's answers to a decision and a stored case.

The decision always comes from the rules module; this service only gathers the facts,
stores what was decided (with the rule id and the policy version) and keeps the audit
trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import cases as lifecycle
from bot.domain.draft import Draft
from bot.domain.rules import Decision, Policy, decide
from bot.storage import repo
from bot.storage.models import Case, CaseEvent, Evidence


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


class CaseHooks(Protocol):
    """What the support workspace adds to the buyer's transactions (its outbox and topic
    jobs are written with the case or the file, never after); `filed_rows`: the rows filed
    with a new case (their `case_id` set once the case has its id)."""

    def filed_rows(self, case: Case) -> Sequence[SQLModel]: ...

    async def evidence_added(
        self,
        session: AsyncSession,
        case: Case,
        evidence: Evidence,
        *,
        caption: str | None = None,
        source: tuple[int, int] | None = None,
    ) -> None: ...

    async def evidence_relabelled(self, case_id: int) -> None: ...


class RefundService:
    def __init__(
        self,
        *,
        policy: Policy,
        sessions: async_sessionmaker[AsyncSession],
        hooks: CaseHooks | None = None,
    ) -> None:
        self.policy = policy
        self.sessions = sessions
        self.hooks = hooks

    # --- decisions ----------------------------------------------------------------------

    def decide(self, draft: Draft, now: datetime) -> Decision:
        return decide(self.policy, draft.to_facts(now))

    # --- submitting ---------------------------------------------------------------------

    async def submit(
        self, *, user_id: int, language: str, draft: Draft, now: datetime
    ) -> tuple[Case, bool]:
        """Store the case once per wizard run (idempotent on the draft key)."""
        decision = self.decide(draft, now)
        status = lifecycle.initial_status(decision.outcome, decision.route)
        evidence: list[dict[str, Any]] = [
            {
                "file_id": item.file_id,
                "file_unique_id": item.file_unique_id,
                "kind": item.kind_code,
                "mime_type": item.mime_type,
                "size": item.size,
                "media": item.media,
            }
            for item in draft.evidence
        ]
        assert draft.order_number and draft.platform_type and draft.order_status and draft.cause
        assert draft.payment_channel and draft.amount is not None
        engine: AsyncEngine = self.sessions.kw["bind"]
        for _attempt in range(5):
            try:
                return await repo.file_case(
                    engine,
                    number=lifecycle.new_case_number(now),
                    draft_key=draft.key,
                    user_id=user_id,
                    language=language,
                    order_number=draft.order_number,
                    platform_type=draft.platform_type.value,
                    order_status=draft.order_status.value,
                    cause=draft.cause.value,
                    cause_text=draft.cause_text,
                    payment_channel=draft.payment_channel.value,
                    amount=draft.amount,
                    paid_at=draft.paid_at,
                    completed_at=draft.completed_at,
                    status=status.value,
                    decision=decision.model_dump(mode="json"),
                    evidence=evidence,
                    decided=status in lifecycle.DECIDED_STATUSES,
                    also=self.hooks.filed_rows if self.hooks else None,
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
            appeal_deadline=lifecycle.appeal_deadline(decided_at, appeal_days)
            if decided_at
            else None,
        )

    # --- changing -----------------------------------------------------------------------

    async def add_evidence(
        self,
        *,
        user_id: int,
        case_id: int,
        file: Mapping[str, Any],
        caption: str | None = None,
        source: tuple[int, int] | None = None,
    ) -> bool:
        """A file the buyer adds to a filed case; when a person has the case, the file is
        queued for its topic in the same transaction (`hooks`)."""
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            if not lifecycle.is_open(case.status):
                raise ActionNotAllowed("case is closed")
            hooks, filed = self.hooks, case

            async def also(session: AsyncSession, evidence: Evidence) -> None:
                if hooks is not None:
                    await hooks.evidence_added(
                        session, filed, evidence, caption=caption, source=source
                    )

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
                also=also,
            )

    async def label_evidence(
        self, *, user_id: int, case_id: int, file_unique_id: str, kind: str
    ) -> None:
        async with self.sessions() as session:
            case = await repo.get_user_case(session, user_id=user_id, case_id=case_id)
            if case is None:
                raise CaseNotFound(case_id)
            await repo.label_evidence(
                session, case_id=case_id, file_unique_id=file_unique_id, kind=kind
            )
        if self.hooks is not None:
            await self.hooks.evidence_relabelled(case_id)

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
            if not lifecycle.can_appeal(
                case.status, _aware(case.decided_at), now, self.policy.windows.appeal_days
            ):
                raise ActionNotAllowed("appeal window closed")
            lifecycle.check_transition(case.status, lifecycle.CaseStatus.APPEALED)
            return await repo.set_status(
                session,
                case=case,
                status=lifecycle.CaseStatus.APPEALED,
                actor=f"buyer:{user_id}",
                payload={"reason": reason},
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
            return await repo.set_status(
                session,
                case=case,
                status=target,
                actor=actor,
                decided=target in lifecycle.DECIDED_STATUSES,
            )

    async def note(
        self, *, case_id: int, actor: str, kind: str, payload: dict[str, Any] | None = None
    ) -> None:
        async with self.sessions() as session:
            await repo.add_event(session, case_id=case_id, actor=actor, kind=kind, payload=payload)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for UTC columns; PostgreSQL aware ones."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
