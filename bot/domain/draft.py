"""The refund wizard's draft: every answer a buyer gave, typed, and what follows from them.

The draft owns the wizard: which steps apply, which answers are missing, whether the case
can be submitted, and the facts the rules decide from. The bot keeps it in the
conversation storage as JSON (`dump()` / `Draft.load()`), so it survives a restart.
Times are timezone-aware UTC; the bot shows them in its TIMEZONE.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from bot.domain.intake import QUICK_COMPLETION, QUICK_TIMES, Described, hours_between
from bot.domain.rules import Facts
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PaymentChannel, PlatformType

# clocks of phones and servers differ by a few minutes
CLOCK_SLACK = timedelta(minutes=5)
# orders whose goods were used: the policy's windows run from completion
COMPLETION_STATUSES = frozenset({OrderStatus.REDEEMED, OrderStatus.COMPLETED})
OTHER_KIND = "other"


class Step(StrEnum):
    """The wizard's steps, in order."""

    ORDER_NUMBER = "order_number"
    PLATFORM_TYPE = "platform_type"
    ORDER_STATUS = "order_status"
    CAUSE = "cause"
    PAYMENT_CHANNEL = "payment_channel"
    AMOUNT = "amount"
    PAYMENT_TIME = "payment_time"
    COMPLETION_TIME = "completion_time"
    EVIDENCE = "evidence"
    SUMMARY = "summary"


# the steps that hold an answer, in the order they are asked
ANSWER_STEPS: tuple[Step, ...] = (
    Step.ORDER_NUMBER,
    Step.PLATFORM_TYPE,
    Step.ORDER_STATUS,
    Step.CAUSE,
    Step.PAYMENT_CHANNEL,
    Step.AMOUNT,
    Step.PAYMENT_TIME,
    Step.COMPLETION_TIME,
)


class Moment(BaseModel):
    """A time the buyer gave: typed exactly, or a quick choice covering a range
    (`earliest`..`latest`); `at` is the value the rules count from."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    earliest: AwareDatetime
    latest: AwareDatetime
    choice: str | None = None  # the quick choice's code, None when typed

    @field_validator("at", "earliest", "latest")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def typed(cls, at: datetime) -> Moment:
        return cls(at=at, earliest=at, latest=at)

    @classmethod
    def paid_choice(cls, code: str, now: datetime) -> Moment:
        span = QUICK_TIMES[code]
        return cls(
            at=now - span.ago, earliest=now - span.most, latest=now - span.least, choice=code
        )

    @classmethod
    def completion_choice(cls, code: str, now: datetime) -> Moment | None:
        span = QUICK_COMPLETION[code]
        if span is None:
            return None
        return cls(
            at=now - span.ago, earliest=now - span.most, latest=now - span.least, choice=code
        )


class EvidenceItem(BaseModel):
    """One screenshot sent in the wizard; `seq` names it in buttons (stable after removals)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    file_id: str
    file_unique_id: str
    mime_type: str | None = None
    size: int | None = None
    media: str = "photo"
    kind: EvidenceKind | None = None  # None: not labelled yet; "other" is stored as None too
    labelled: bool = False

    @property
    def kind_code(self) -> str:
        return self.kind.value if self.kind is not None else OTHER_KIND


class Draft(BaseModel):
    """An unfinished refund request."""

    model_config = ConfigDict(validate_assignment=True)

    # one wizard run: a case is created once per key, however often "submit" is pressed
    key: str = Field(default_factory=lambda: uuid.uuid4().hex)
    order_number: str | None = None
    platform_type: PlatformType | None = None
    order_status: OrderStatus | None = None
    cause: Cause | None = None
    cause_text: str | None = None
    cause_text_pending: bool = False  # "describe it myself": the text stays with the cause chosen
    payment_channel: PaymentChannel | None = None
    amount: Decimal | None = Field(default=None, gt=0, decimal_places=2)
    paid: Moment | None = None
    completed: Moment | None = None
    completion_answered: bool = False  # "not sure" is an answer
    evidence: list[EvidenceItem] = Field(default_factory=list)
    evidence_seq: int = 0
    required_evidence: list[EvidenceKind] = Field(default_factory=list)
    evidence_done: bool = False
    fee_disclosed: bool = True
    editing: bool = False
    # filled in from one description, waiting for the buyer's confirmation
    prefilled: list[Step] = Field(default_factory=list)

    # --- storage ------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> Draft:
        return cls.model_validate(data or {})

    # --- times --------------------------------------------------------------------------

    @property
    def paid_at(self) -> datetime | None:
        return None if self.paid is None else self.paid.at

    @property
    def completed_at(self) -> datetime | None:
        """When the goods were used; never before the payment (a range choice that overlaps
        the payment's range counts from the payment)."""
        if self.completed is None:
            return None
        if self.paid is not None and self.completed.at < self.paid.at:
            return self.paid.at
        return self.completed.at

    def completion_possible(self, completed: Moment) -> bool:
        """Goods are used after they were paid for: the latest moment the completion answer
        allows is not before the earliest the payment answer allows (buttons are ranges)."""
        return self.paid is None or completed.latest >= self.paid.earliest - CLOCK_SLACK

    # --- steps --------------------------------------------------------------------------

    @property
    def needs_completion(self) -> bool:
        return self.order_status in COMPLETION_STATUSES

    def applies(self, step: Step) -> bool:
        """Whether a step is asked for this draft."""
        if step is Step.COMPLETION_TIME:
            return self.needs_completion
        if step is Step.PAYMENT_TIME:
            return self.order_status is not OrderStatus.UNPAID
        return True

    def steps(self) -> list[Step]:
        return [step for step in Step if self.applies(step)]

    def answered(self, step: Step) -> bool:
        value: object = {
            Step.ORDER_NUMBER: self.order_number,
            Step.PLATFORM_TYPE: self.platform_type,
            Step.ORDER_STATUS: self.order_status,
            Step.CAUSE: self.cause,
            Step.PAYMENT_CHANNEL: self.payment_channel,
            Step.AMOUNT: self.amount,
            Step.PAYMENT_TIME: self.paid,
        }.get(step, True)
        if step is Step.COMPLETION_TIME:
            return self.completion_answered
        return value is not None

    def missing(self) -> list[Step]:
        """The answers still needed before the case can be submitted, in wizard order."""
        return [step for step in ANSWER_STEPS if self.applies(step) and not self.answered(step)]

    @property
    def complete(self) -> bool:
        return not self.missing()

    def next_step(self) -> Step:
        """The first missing answer; then the evidence; then the summary."""
        missing = self.missing()
        if missing:
            return missing[0]
        return Step.SUMMARY if self.evidence_done else Step.EVIDENCE

    def previous_step(self, step: Step) -> Step | None:
        order = [s for s in ANSWER_STEPS if self.applies(s)] + [Step.EVIDENCE, Step.SUMMARY]
        if step not in order:
            return None
        index = order.index(step)
        return order[index - 1] if index > 0 else None

    # --- answers ------------------------------------------------------------------------

    def fill(self, described: Described) -> list[Step]:
        """Take every answer a description contains (only where none was given yet);
        returns the steps filled."""
        filled: list[Step] = []
        values: list[tuple[Step, str, object]] = [
            (Step.ORDER_NUMBER, "order_number", described.order_number),
            (Step.PLATFORM_TYPE, "platform_type", described.platform_type),
            (Step.ORDER_STATUS, "order_status", described.order_status),
            (Step.CAUSE, "cause", described.cause),
            (Step.PAYMENT_CHANNEL, "payment_channel", described.payment_channel),
            (Step.AMOUNT, "amount", described.amount),
        ]
        for step, name, value in values:
            if value is not None and not self.answered(step):
                setattr(self, name, value)
                filled.append(step)
        if (
            described.paid_at is not None
            and self.paid is None
            and self.order_status is not OrderStatus.UNPAID
        ):
            self.paid = Moment.typed(described.paid_at)
            filled.append(Step.PAYMENT_TIME)
        return filled

    def set_status(self, status: OrderStatus) -> None:
        self.order_status = status
        if not self.needs_completion:
            self.completed, self.completion_answered = None, False
        if status is OrderStatus.UNPAID:
            self.paid = None

    def set_completion(self, completed: Moment | None) -> None:
        self.completed, self.completion_answered = completed, True

    # --- evidence -----------------------------------------------------------------------

    def add_file(self, file: dict[str, Any]) -> EvidenceItem:
        self.evidence_seq += 1
        item = EvidenceItem(seq=self.evidence_seq, **file)
        self.evidence = [*self.evidence, item]
        return item

    def find_file(self, seq: int) -> EvidenceItem | None:
        return next((item for item in self.evidence if item.seq == seq), None)

    def label_file(self, seq: int, kind: EvidenceKind | None) -> EvidenceItem | None:
        item = self.find_file(seq)
        if item is None:
            return None
        labelled = item.model_copy(update={"kind": kind, "labelled": True})
        self.evidence = [labelled if other.seq == seq else other for other in self.evidence]
        return labelled

    def remove_file(self, seq: int) -> bool:
        kept = [item for item in self.evidence if item.seq != seq]
        removed = len(kept) != len(self.evidence)
        self.evidence = kept
        return removed

    def evidence_kinds(self) -> list[EvidenceKind]:
        return sorted({item.kind for item in self.evidence if item.kind is not None})

    def has_file(self, file_unique_id: str) -> bool:
        return any(item.file_unique_id == file_unique_id for item in self.evidence)

    # --- the rules ----------------------------------------------------------------------

    def to_facts(self, now: datetime) -> Facts:
        """The facts the rules decide from; the draft must be complete."""
        missing = self.missing()
        if missing or self.order_status is None or self.cause is None or self.platform_type is None:
            raise IncompleteDraft(missing)
        if self.payment_channel is None or self.amount is None:
            raise IncompleteDraft(missing)
        unpaid = self.order_status is OrderStatus.UNPAID
        hours = None if unpaid or self.paid_at is None else hours_between(self.paid_at, now)
        completed_at = self.completed_at
        completion = (
            hours_between(completed_at, now)
            if completed_at is not None and self.needs_completion
            else None
        )
        if completion is not None and hours is not None:
            completion = min(completion, hours)
        return Facts(
            order_status=self.order_status,
            cause=self.cause,
            platform_type=self.platform_type,
            payment_channel=self.payment_channel,
            amount=self.amount,
            hours_since_payment=hours,
            hours_since_completion=completion,
            evidence=tuple(self.evidence_kinds()),
            fee_disclosed=self.fee_disclosed,
        )


class IncompleteDraft(ValueError):
    """The draft misses answers the facts need."""

    def __init__(self, missing: list[Step]) -> None:
        super().__init__("missing: " + ", ".join(step.value for step in missing))
        self.missing = missing


__all__ = [
    "ANSWER_STEPS",
    "COMPLETION_STATUSES",
    "Draft",
    "EvidenceItem",
    "IncompleteDraft",
    "Moment",
    "Step",
]
