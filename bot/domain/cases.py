"""The refund case lifecycle: statuses, allowed transitions, deadlines and case numbers.

Pure logic: the storage layer records what this module allows.

Statuses (the buyer sees each one, in their language, in notifications and in /cases):
``submitted`` → ``with_merchant`` (the merchant's first review) → ``in_review`` (the
platform's support team) ⇄ ``needs_evidence`` → ``approved`` → ``refunded`` → ``closed``;
``rejected`` → ``appealed`` (within the appeal window) → back to review.

Rows written before this lifecycle used ``merchant_review``, ``platform_review`` and
``human_review``; they are still read (see `CaseStatus._missing_`) and the migration
rewrites them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.vocab import Outcome, Route

# Crockford base32 without I, L, O, U: readable over the phone
_CASE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"  # filed, waiting for its first reviewer
    WITH_MERCHANT = "with_merchant"  # the merchant's first review (a deadline runs)
    IN_REVIEW = "in_review"  # the platform's support team looks at it
    NEEDS_EVIDENCE = "needs_evidence"  # a reviewer asked for more proof
    APPROVED = "approved"  # refund granted, money on its way
    REJECTED = "rejected"  # no refund (can be appealed in the window)
    REFUNDED = "refunded"  # money back
    CLOSED = "closed"  # finished: nothing more happens unless appealed
    APPEALED = "appealed"  # the buyer appealed a decision

    @classmethod
    def _missing_(cls, value: object) -> CaseStatus | None:
        legacy = LEGACY_STATUSES.get(str(value))
        return cls(legacy) if legacy is not None else None


# names written by earlier versions -> the status they mean now
LEGACY_STATUSES: dict[str, str] = {
    "merchant_review": "with_merchant",
    "platform_review": "in_review",
    "human_review": "in_review",
}

OPEN_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.WITH_MERCHANT,
        CaseStatus.IN_REVIEW,
        CaseStatus.NEEDS_EVIDENCE,
        CaseStatus.APPEALED,
    }
)
# a decision was made: the appeal window runs from it
DECIDED_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.CLOSED})

_S = CaseStatus
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    _S.SUBMITTED: frozenset(
        {_S.WITH_MERCHANT, _S.IN_REVIEW, _S.NEEDS_EVIDENCE, _S.APPROVED, _S.REJECTED, _S.CLOSED}
    ),
    _S.WITH_MERCHANT: frozenset(
        {_S.IN_REVIEW, _S.NEEDS_EVIDENCE, _S.APPROVED, _S.REJECTED, _S.CLOSED}
    ),
    _S.IN_REVIEW: frozenset(
        {_S.WITH_MERCHANT, _S.NEEDS_EVIDENCE, _S.APPROVED, _S.REJECTED, _S.CLOSED}
    ),
    _S.NEEDS_EVIDENCE: frozenset(
        {_S.WITH_MERCHANT, _S.IN_REVIEW, _S.APPROVED, _S.REJECTED, _S.CLOSED}
    ),
    _S.APPROVED: frozenset({_S.REFUNDED, _S.APPEALED}),
    _S.REJECTED: frozenset({_S.APPEALED, _S.CLOSED}),
    _S.REFUNDED: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset({_S.APPEALED}),
    _S.APPEALED: frozenset({_S.IN_REVIEW, _S.NEEDS_EVIDENCE, _S.APPROVED, _S.REJECTED, _S.CLOSED}),
}

# where a case goes when the merchant lets the response window pass: the policy says a
# merchant who does not answer in time is held responsible and the refund is forced
SILENT_MERCHANT_STATUS = CaseStatus.APPROVED


class TransitionError(ValueError):
    pass


def check_transition(current: str, target: str) -> CaseStatus:
    source, goal = CaseStatus(current), CaseStatus(target)
    if goal not in TRANSITIONS[source]:
        raise TransitionError(f"a case cannot go from {source} to {goal}")
    return goal


def can_transition(current: str, target: str) -> bool:
    try:
        check_transition(current, target)
    except (TransitionError, ValueError):
        return False
    return True


def initial_status(outcome: str, route: str) -> CaseStatus:
    """Where a freshly submitted case starts, from the rules module's decision."""
    if outcome == Outcome.NOTHING_TO_REFUND:
        return CaseStatus.CLOSED
    if outcome == Outcome.NO_REFUND:
        return CaseStatus.REJECTED
    if route == Route.SELF_SERVICE and outcome == Outcome.FULL_REFUND:
        return CaseStatus.APPROVED
    if route == Route.MERCHANT_REVIEW:
        return CaseStatus.WITH_MERCHANT
    if route in (Route.PLATFORM_REVIEW, Route.HUMAN_AGENT):
        return CaseStatus.IN_REVIEW
    return CaseStatus.SUBMITTED


def needs_person(outcome: str, route: str) -> bool:
    """A decision a person has to look at: the case gets a topic in the support group."""
    return outcome == Outcome.NEEDS_REVIEW or route in (Route.HUMAN_AGENT, Route.PLATFORM_REVIEW)


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


# --- deadlines ------------------------------------------------------------------------


class TimerKind(StrEnum):
    """The clocks the bot runs for a case; each is a durable row with a due time."""

    MERCHANT_DEADLINE = "merchant_deadline"  # the merchant's response window ends
    FIRST_RESPONSE_REMINDER = "first_response_reminder"  # remind the team before the breach
    FIRST_RESPONSE_DEADLINE = "first_response_deadline"  # a person should have answered
    EVIDENCE_REMINDER = "evidence_reminder"  # remind the buyer before the window ends
    EVIDENCE_DEADLINE = "evidence_deadline"  # the evidence request lapses
    APPEAL_WINDOW_END = "appeal_window_end"  # an appeal is no longer possible


def add_duration(start: datetime, amount: float, unit: str) -> datetime:
    """`start` plus a policy duration; working days skip Saturdays and Sundays."""
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "days":
        return start + timedelta(days=amount)
    if unit == "working_days":
        moment, left = start, int(amount)
        while left > 0:
            moment += timedelta(days=1)
            if moment.weekday() < 5:
                left -= 1
        return moment
    raise ValueError(f"unknown duration unit {unit!r}")


@dataclass(frozen=True)
class PlannedTimer:
    kind: TimerKind
    due_at: datetime


@dataclass(frozen=True)
class DeadlineRules:
    """The policy's windows, in hours, as this module needs them."""

    merchant_response_hours: float
    first_response_hours: float
    evidence_hours: float
    appeal_hours: float
    reminder_share: float = 0.75  # a reminder fires when this share of a window has passed


def timers_for(status: str, since: datetime, rules: DeadlineRules) -> list[PlannedTimer]:
    """The timers a case needs after it entered `status` at `since`."""
    current = CaseStatus(status)
    if current is CaseStatus.WITH_MERCHANT:
        return [
            PlannedTimer(
                TimerKind.MERCHANT_DEADLINE, since + timedelta(hours=rules.merchant_response_hours)
            )
        ]
    if current in (CaseStatus.IN_REVIEW, CaseStatus.APPEALED):
        window = timedelta(hours=rules.first_response_hours)
        return [
            PlannedTimer(TimerKind.FIRST_RESPONSE_REMINDER, since + window * rules.reminder_share),
            PlannedTimer(TimerKind.FIRST_RESPONSE_DEADLINE, since + window),
        ]
    if current is CaseStatus.NEEDS_EVIDENCE:
        window = timedelta(hours=rules.evidence_hours)
        return [
            PlannedTimer(TimerKind.EVIDENCE_REMINDER, since + window * rules.reminder_share),
            PlannedTimer(TimerKind.EVIDENCE_DEADLINE, since + window),
        ]
    if current in DECIDED_STATUSES:
        return [
            PlannedTimer(TimerKind.APPEAL_WINDOW_END, since + timedelta(hours=rules.appeal_hours))
        ]
    return []


def timer_still_applies(kind: str, status: str, assigned: bool) -> bool:
    """A timer fires only while the case is still where it was set for (a merchant who
    answered, or an operator who took the case, stops the clock)."""
    current = CaseStatus(status)
    timer = TimerKind(kind)
    if timer is TimerKind.MERCHANT_DEADLINE:
        return current is CaseStatus.WITH_MERCHANT
    if timer in (TimerKind.FIRST_RESPONSE_REMINDER, TimerKind.FIRST_RESPONSE_DEADLINE):
        return current in (CaseStatus.IN_REVIEW, CaseStatus.APPEALED) and not assigned
    if timer in (TimerKind.EVIDENCE_REMINDER, TimerKind.EVIDENCE_DEADLINE):
        return current is CaseStatus.NEEDS_EVIDENCE
    return current in DECIDED_STATUSES


# --- retries ----------------------------------------------------------------------------


def backoff_seconds(
    attempt: int, *, base: float = 2.0, cap: float = 600.0, retry_after: float | None = None
) -> float:
    """Wait before delivery attempt `attempt + 1`: exponential, capped; Telegram's
    `retry_after` is a floor, never shortened."""
    delay: float = min(cap, base * float(2 ** max(0, attempt - 1)))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- summaries --------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    at: datetime
    actor: str
    kind: str
    detail: str


def summarize(events: list[EventLine], *, limit: int = 8) -> list[EventLine]:
    """A short, deterministic summary of a case's history for the card: repeated events of
    the same kind by the same actor are collapsed, the newest `limit` are kept."""
    collapsed: list[EventLine] = []
    for event in sorted(events, key=lambda e: e.at):
        if (
            collapsed
            and collapsed[-1].kind == event.kind
            and collapsed[-1].actor == event.actor
            and event.kind != "status"
        ):
            collapsed[-1] = event
            continue
        collapsed.append(event)
    return collapsed[-limit:]


def rating_valid(score: int) -> bool:
    return 1 <= score <= 5
