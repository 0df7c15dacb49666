"""A validated policy compiled for matching: `decide` only does set look-ups and comparisons.

One candidate list per combination of the enumerated facts (status, cause, platform, channel);
at decision time only the numeric conditions (`conditions.py`) are left to check. The rules'
text keys are resolved into texts here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import product
from typing import TYPE_CHECKING, Protocol

from bot.domain.rules.conditions import AmountBound, HoursBound, compile_amount, compile_hours
from bot.domain.rules.consistency import LIABLE_BY_GROUP
from bot.domain.rules.models import Arrival, Duration, Text, format_number
from bot.domain.rules.schema import BY_CAUSE, Rule
from bot.domain.vocab import (
    CAUSE_GROUPS,
    Cause,
    EvidenceKind,
    Liable,
    OrderStatus,
    PaymentChannel,
    PlatformType,
)

if TYPE_CHECKING:
    from bot.domain.rules.policy import Policy


class MatchFacts(Protocol):
    """What matching reads: `Facts`, or a `Probe` when exploring a policy."""

    @property
    def order_status(self) -> OrderStatus: ...
    @property
    def cause(self) -> Cause: ...
    @property
    def platform_type(self) -> PlatformType: ...
    @property
    def payment_channel(self) -> PaymentChannel: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def hours_since_payment(self) -> float | None: ...
    @property
    def hours_since_completion(self) -> float | None: ...
    @property
    def fee_disclosed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    rule: Rule
    hours_payment: HoursBound | None
    hours_completion: HoursBound | None
    amount: AmountBound | None
    fee_disclosed: bool | None
    liable_by_cause: dict[Cause, Liable]
    deadlines: dict[str, Duration]
    fee: Decimal  # the rule's fee, never above the cap
    fee_text: str
    charges_fee: bool
    explanation: Text
    explanation_fee_waived: Text | None


IndexKey = tuple[OrderStatus, Cause, PlatformType, PaymentChannel]


class CompiledPolicy:
    """A policy's rules compiled for matching (a plain object: fast attribute access)."""

    __slots__ = (
        "arrival",
        "arrival_notes",
        "evidence_cache",
        "fee_cap",
        "fee_waived_note",
        "index",
        "rules",
        "text_values",
        "version",
    )

    def __init__(self, policy: Policy) -> None:
        hours = policy.windows.as_hours()
        texts = policy.texts
        self.evidence_cache: dict[tuple[object, ...], tuple[EvidenceKind, ...]] = {}
        self.version = policy.version
        self.fee_cap = policy.fee_cap_percent
        self.arrival: dict[PaymentChannel, Arrival] = dict(policy.arrival)
        self.arrival_notes: dict[PaymentChannel, Text] = {
            channel: texts[key] for channel, key in policy.arrival_notes.items()
        }
        self.fee_waived_note: Text = texts[policy.notes.fee_waived]
        common = {name: str(d.amount) for name, d in policy.deadlines.items()} | {
            name: format_number(value) for name, value in policy.windows.model_dump().items()
        }
        # per payment channel: the common values plus that channel's arrival days
        self.text_values: dict[PaymentChannel, dict[str, str]] = {
            channel: common
            | {
                "arrival_min_days": str(arrival.min_days),
                "arrival_max_days": str(arrival.max_days),
            }
            for channel, arrival in policy.arrival.items()
        }
        self.rules: list[CompiledRule] = []
        for index, rule in enumerate(policy.rules):
            when = rule.when
            liable = (
                {c: LIABLE_BY_GROUP[CAUSE_GROUPS[c]] for c in Cause}
                if rule.liable == BY_CAUSE
                else {c: Liable(rule.liable) for c in Cause}
            )
            fee = min(rule.fee_percent, self.fee_cap)
            waived_key = rule.explanation_fee_waived
            self.rules.append(
                CompiledRule(
                    index=index,
                    rule=rule,
                    hours_payment=compile_hours(when.hours_since_payment, hours),
                    hours_completion=compile_hours(when.hours_since_completion, hours),
                    amount=compile_amount(when.amount),
                    fee_disclosed=when.fee_disclosed,
                    liable_by_cause=liable,
                    deadlines={name: policy.deadlines[name] for name in rule.deadlines},
                    fee=fee,
                    fee_text=format_number(fee),
                    charges_fee=rule.fee_percent > 0,
                    explanation=texts[rule.explanation],
                    explanation_fee_waived=None if waived_key is None else texts[waived_key],
                )
            )
        self.index: dict[IndexKey, tuple[CompiledRule, ...]] = {}
        for status, cause, platform, channel in product(
            OrderStatus, Cause, PlatformType, PaymentChannel
        ):
            self.index[(status, cause, platform, channel)] = tuple(
                c
                for c in self.rules
                if (c.rule.when.order_status is None or status in c.rule.when.order_status)
                and (c.rule.when.cause is None or cause in c.rule.when.cause)
                and (
                    c.rule.when.cause_group is None
                    or CAUSE_GROUPS[cause] in c.rule.when.cause_group
                )
                and (c.rule.when.platform_type is None or platform in c.rule.when.platform_type)
                and (c.rule.when.payment_channel is None or channel in c.rule.when.payment_channel)
            )

    def match(self, facts: MatchFacts) -> CompiledRule:
        """The first rule whose conditions hold for the facts."""
        hp = facts.hours_since_payment
        hc = facts.hours_since_completion
        for c in self.index[
            (facts.order_status, facts.cause, facts.platform_type, facts.payment_channel)
        ]:
            if c.hours_payment is not None and not c.hours_payment.holds(hp):
                continue
            if c.hours_completion is not None and not c.hours_completion.holds(hc):
                continue
            if c.fee_disclosed is not None and facts.fee_disclosed is not c.fee_disclosed:
                continue
            if c.amount is not None and not c.amount.holds(facts.amount):
                continue
            return c
        # unreachable: validation makes the last rule a catch-all
        raise LookupError("no rule matched")  # pragma: no cover
