"""facts + policy -> decision. Pure: no I/O, same facts and policy, same decision."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import product

from bot.domain.rules.models import Decision, Facts, Text, format_number, to_cents
from bot.domain.rules.policy import REFUND_OUTCOMES, Policy
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
    compiled = policy.match_compiled(facts)
    rule = compiled.rule
    amount = facts.amount
    outcome = rule.outcome
    waived = rule.fee_percent > 0 and not facts.fee_disclosed
    fee = _ZERO if waived else min(rule.fee_percent, policy.fee_cap_percent)
    if outcome is Outcome.PARTIAL_REFUND and fee == 0:
        outcome = Outcome.FULL_REFUND
    refund: Decimal | None
    if outcome in REFUND_OUTCOMES:
        refund = min(to_cents(amount * (_HUNDRED - fee) / _HUNDRED), amount)
    elif outcome is Outcome.NEEDS_REVIEW:
        refund = None
    else:
        refund = _ZERO
    provided = facts.evidence
    required = list(rule.required_evidence)
    missing = [kind for kind in required if kind not in provided]

    values = {
        "amount": f"{amount:.2f}",
        "refund_amount": "-" if refund is None else f"{refund:.2f}",
        "fee_percent": format_number(fee),
        "fee_amount": f"{(amount - refund) if refund is not None else _ZERO:.2f}",
    }
    arrival = policy.arrival[facts.payment_channel]
    values["arrival_min_days"] = str(arrival.min_days)
    values["arrival_max_days"] = str(arrival.max_days)
    values.update(policy.text_values)
    if waived and rule.explanation_fee_waived is not None:
        parts = [rule.explanation_fee_waived]
    else:
        parts = [rule.explanation, policy.notes.fee_waived] if waived else [rule.explanation]
    if outcome in REFUND_OUTCOMES and facts.payment_channel in policy.arrival_notes:
        parts.append(policy.arrival_notes[facts.payment_channel])
    explanation = Text(
        zh="".join(p.zh.format(**values) for p in parts),
        en=" ".join(p.en.format(**values) for p in parts),
    )

    return Decision.model_construct(
        outcome=outcome,
        liable=compiled.liable_by_cause[facts.cause],
        route=rule.route,
        fee_percent=fee,
        refund_amount=refund,
        required_evidence=required,
        missing_evidence=missing,
        deadlines=dict(compiled.deadlines),
        expected_arrival=None if outcome in _NO_MONEY_MOVES else arrival,
        rule_id=rule.id,
        policy_version=policy.version,
        policy_refs=list(rule.policy_refs),
        explanation=explanation,
    )


def sample_facts(
    policy: Policy,
    *,
    order_status: OrderStatus | None = None,
    cause: Cause | None = None,
    platform_type: PlatformType | None = None,
    payment_channel: PaymentChannel | None = None,
    amounts: tuple[Decimal, ...] = (Decimal("100.00"),),
) -> Iterator[Facts]:
    """Facts that reach every rule the policy can reach, for the given known values.

    Hours are sampled at 0, at every threshold the policy uses and 0.01 h either side, and
    far beyond; hours_since_completion also as unknown. Unknown enum values run over all codes.
    """
    pay_marks, done_marks = policy.thresholds()

    def around(marks: list[float]) -> list[float]:
        points = {0.0, 10_000.0}
        for m in marks:
            points.update(v for v in (m - 0.01, m, m + 0.01) if v >= 0)
        return sorted(points)

    pay_points = around(pay_marks)
    done_points: list[float | None] = [None, *around(done_marks)]
    statuses = list(OrderStatus) if order_status is None else [order_status]
    causes = list(Cause) if cause is None else [cause]
    platforms = list(PlatformType) if platform_type is None else [platform_type]
    channels = list(PaymentChannel) if payment_channel is None else [payment_channel]
    for status, cause_, platform, channel, amount, disclosed in product(
        statuses, causes, platforms, channels, amounts, (True, False)
    ):
        pays: list[float | None] = (
            [*pay_points] if status is not OrderStatus.UNPAID else [None, *pay_points]
        )
        for pay in pays:
            for done in done_points:
                if done is not None and (pay is None or done > pay):
                    continue
                yield Facts(
                    order_status=status,
                    cause=cause_,
                    platform_type=platform,
                    payment_channel=channel,
                    amount=amount,
                    hours_since_payment=pay,
                    hours_since_completion=done,
                    fee_disclosed=disclosed,
                )
