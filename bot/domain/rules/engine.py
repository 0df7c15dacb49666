"""facts + policy -> decision. Pure: no I/O, same facts and policy, same decision."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.domain.rules.consistency import REFUND_OUTCOMES
from bot.domain.rules.models import Decision, Facts, Text, to_cents
from bot.domain.rules.policy import Policy
from bot.domain.vocab import Cause, OrderStatus, Outcome, PaymentChannel, PlatformType

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_NO_MONEY_MOVES = frozenset({Outcome.NO_REFUND, Outcome.NOTHING_TO_REFUND})


def decide(policy: Policy, facts: Facts) -> Decision:
    """Decide one order's refund: the first rule of the policy that matches the facts.

    - fee: the rule's fee, 0 when the fee was not disclosed at ordering, never above the cap;
      a partial refund whose fee is waived becomes a full refund.
    - refund_amount: amount x (1 - fee) rounded half up to 0.01 CNY for refunds, 0 for
      no_refund / nothing_to_refund, None for needs_review (a person decides).
    - missing_evidence: the required kinds not in `facts.evidence`, in the rule's order.
    """
    engine = policy.compiled
    matched = engine.match(facts)
    rule = matched.rule
    amount = facts.amount
    outcome = rule.outcome
    waived = matched.charges_fee and not facts.fee_disclosed
    fee = _ZERO if waived else matched.fee
    if outcome is Outcome.PARTIAL_REFUND and fee == 0:
        outcome = Outcome.FULL_REFUND
    refund: Decimal | None
    if outcome in REFUND_OUTCOMES:
        refund = min(to_cents(amount * (_HUNDRED - fee) / _HUNDRED), amount)
    elif outcome is Outcome.NEEDS_REVIEW:
        refund = None
    else:
        refund = _ZERO
    required = list(rule.required_evidence)
    provided = facts.evidence
    missing = [kind for kind in required if kind not in provided] if provided else list(required)
    arrival = engine.arrival[facts.payment_channel]

    # the explanation: the rule's text, the fee note when the fee is waived, the arrival note
    if waived and matched.explanation_fee_waived is not None:
        parts = [matched.explanation_fee_waived]
    elif waived:
        parts = [matched.explanation, engine.fee_waived_note]
    else:
        parts = [matched.explanation]
    if outcome in REFUND_OUTCOMES and facts.payment_channel in engine.arrival_notes:
        parts.append(engine.arrival_notes[facts.payment_channel])
    # amounts are whole cents (Facts rounds the amount, to_cents the refund): str() is exact
    values = engine.text_values[facts.payment_channel] | {
        "amount": str(amount),
        "refund_amount": "-" if refund is None else str(refund),
        "fee_percent": "0" if waived else matched.fee_text,
        "fee_amount": "0.00" if refund is None else str(amount - refund),
    }
    explanation = _construct(
        Text,
        {
            "zh": "".join(p.zh.format_map(values) for p in parts),
            "en": " ".join(p.en.format_map(values) for p in parts),
        },
    )

    return _construct(
        Decision,
        {
            "outcome": outcome,
            "liable": matched.liable_by_cause[facts.cause],
            "route": rule.route,
            "fee_percent": fee,
            "refund_amount": refund,
            "required_evidence": required,
            "missing_evidence": missing,
            "deadlines": dict(matched.deadlines),
            "expected_arrival": None if outcome in _NO_MONEY_MOVES else arrival,
            "rule_id": rule.id,
            "policy_version": engine.version,
            "policy_refs": list(rule.policy_refs),
            "explanation": explanation,
        },
    )


_M = TypeVar("_M", bound=BaseModel)


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """`cls.model_construct(**values)` for values already complete and valid, minus its
    per-field bookkeeping (the decision is built from validated parts; this is the hot path).
    Equality with model_construct/model_validate is covered by the tests."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_set = object.__setattr__


def sample_facts(
    policy: Policy,
    *,
    order_status: OrderStatus | None = None,
    cause: Cause | None = None,
    platform_type: PlatformType | None = None,
    payment_channel: PaymentChannel | None = None,
    amounts: tuple[Decimal, ...] = (Decimal("100.00"),),
) -> Iterator[Facts]:
    """Validated facts that reach every rule the policy can reach (see `Policy.probes`)."""
    for probe in policy.probes(
        order_status=order_status,
        cause=cause,
        platform_type=platform_type,
        payment_channel=payment_channel,
        amounts=amounts,
    ):
        yield Facts(
            order_status=probe.order_status,
            cause=probe.cause,
            platform_type=probe.platform_type,
            payment_channel=probe.payment_channel,
            amount=probe.amount,
            hours_since_payment=probe.hours_since_payment,
            hours_since_completion=probe.hours_since_completion,
            fee_disclosed=probe.fee_disclosed,
        )
