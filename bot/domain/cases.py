"""The refund case lifecycle: statuses, allowed transitions and case numbers.

Pure logic: the storage layer records what this module allows.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.vocab import Outcome, Route

# Crockford base32 without I, L, O, U: readable over the phone
_CASE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"            # filed, waiting for its first reviewer
    MERCHANT_REVIEW = "merchant_review"
    PLATFORM_REVIEW = "platform_review"
    HUMAN_REVIEW = "human_review"
    NEEDS_EVIDENCE = "needs_evidence"  # a reviewer asked for more proof
    APPROVED = "approved"              # refund granted, money on its way
    REFUNDED = "refunded"              # money back: closed
    REJECTED = "rejected"              # no refund (can be appealed in the window)
    CLOSED = "closed"                  # nothing to refund, or withdrawn
    APPEALED = "appealed"              # the buyer appealed a decision


OPEN_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.MERCHANT_REVIEW,
        CaseStatus.PLATFORM_REVIEW,
        CaseStatus.HUMAN_REVIEW,
        CaseStatus.NEEDS_EVIDENCE,
        CaseStatus.APPEALED,
    }
)
DECIDED_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED})

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.SUBMITTED: frozenset(
        {
            CaseStatus.MERCHANT_REVIEW,
            CaseStatus.PLATFORM_REVIEW,
            CaseStatus.HUMAN_REVIEW,
            CaseStatus.NEEDS_EVIDENCE,
            CaseStatus.APPROVED,
            CaseStatus.REJECTED,
            CaseStatus.CLOSED,
        }
    ),
    CaseStatus.MERCHANT_REVIEW: frozenset(
        {CaseStatus.PLATFORM_REVIEW, CaseStatus.NEEDS_EVIDENCE, CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.HUMAN_REVIEW}
    ),
    CaseStatus.PLATFORM_REVIEW: frozenset(
        {CaseStatus.NEEDS_EVIDENCE, CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.HUMAN_REVIEW}
    ),
    CaseStatus.HUMAN_REVIEW: frozenset({CaseStatus.NEEDS_EVIDENCE, CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED}),
    CaseStatus.NEEDS_EVIDENCE: frozenset(
        {CaseStatus.MERCHANT_REVIEW, CaseStatus.PLATFORM_REVIEW, CaseStatus.HUMAN_REVIEW, CaseStatus.REJECTED, CaseStatus.CLOSED}
    ),
    CaseStatus.APPROVED: frozenset({CaseStatus.REFUNDED, CaseStatus.APPEALED}),
    CaseStatus.REJECTED: frozenset({CaseStatus.APPEALED, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.APPEALED}),
    CaseStatus.APPEALED: frozenset({CaseStatus.PLATFORM_REVIEW, CaseStatus.HUMAN_REVIEW, CaseStatus.APPROVED, CaseStatus.REJECTED}),
    CaseStatus.REFUNDED: frozenset(),
}


class TransitionError(ValueError):
    pass


def check_transition(current: str, target: str) -> CaseStatus:
    source, goal = CaseStatus(current), CaseStatus(target)
    if goal not in TRANSITIONS[source]:
        raise TransitionError(f"a case cannot go from {source} to {goal}")
    return goal


def initial_status(outcome: str, route: str) -> CaseStatus:
    """Where a freshly submitted case starts, from the rules module's decision."""
    if outcome == Outcome.NOTHING_TO_REFUND:
        return CaseStatus.CLOSED
    if outcome == Outcome.NO_REFUND:
        return CaseStatus.REJECTED
    if route == Route.SELF_SERVICE and outcome == Outcome.FULL_REFUND:
        return CaseStatus.APPROVED
    return {
        Route.MERCHANT_REVIEW: CaseStatus.MERCHANT_REVIEW,
        Route.PLATFORM_REVIEW: CaseStatus.PLATFORM_REVIEW,
        Route.HUMAN_AGENT: CaseStatus.HUMAN_REVIEW,
    }.get(Route(route), CaseStatus.SUBMITTED)


def is_open(status: str) -> bool:
    return CaseStatus(status) in OPEN_STATUSES


def can_appeal(status: str, decided_at: datetime | None, now: datetime, appeal_days: int) -> bool:
    """A decided case may be appealed within the policy's appeal window after the decision."""
    if CaseStatus(status) not in DECIDED_STATUSES or decided_at is None:
        return False
    return now - decided_at <= timedelta(days=appeal_days)


def appeal_deadline(decided_at: datetime, appeal_days: int) -> datetime:
    return decided_at + timedelta(days=appeal_days)


def new_case_number(today: datetime, token: str | None = None) -> str:
    """A readable case number such as `RF-20261121-7K3Q`."""
    suffix = token or "".join(secrets.choice(_CASE_ALPHABET) for _ in range(4))
    return f"RF-{today:%Y%m%d}-{suffix}"
