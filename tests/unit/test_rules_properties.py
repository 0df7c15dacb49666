"""Property tests over the whole space of valid facts (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.rules import (
    Decision,
    Facts,
    FactsError,
    Rule,
    decide,
    parse_facts,
    sample_facts,
)
from bot.domain.rules.models import to_cents
from bot.domain.vocab import (
    Cause,
    EvidenceKind,
    OrderStatus,
    Outcome,
    PaymentChannel,
    PlatformType,
)
from bot.policy_files import DEFAULT_POLICY_PATH, load_policy

POLICY = load_policy(DEFAULT_POLICY_PATH)
RULE_IDS = [rule.id for rule in POLICY.rules]
FAST = settings(max_examples=150, deadline=None)
QUICK = settings(max_examples=60, deadline=None)
WINDOWS = POLICY.windows.as_hours()

# hours around every threshold of the default policy, and anywhere
BOUNDARY_HOURS = [0.0, 0.01, 23.99, 24.0, 24.01, 167.99, 168.0, 168.01, 10_000.0]
hours = st.one_of(
    st.sampled_from(BOUNDARY_HOURS),
    st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False),
)
amounts = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
    st.sampled_from(
        [Decimal("0.01"), Decimal("0.05"), Decimal("0.15"), Decimal("99.99"), Decimal("33.33")]
    ),
)


@st.composite
def valid_facts(draw: st.DrawFn) -> Facts:
    status = draw(st.sampled_from(list(OrderStatus)))
    paid = draw(hours)
    if status is OrderStatus.UNPAID and draw(st.booleans()):
        paid_or_none: float | None = None
    else:
        paid_or_none = paid
    done: float | None = None
    if paid_or_none is not None and draw(st.booleans()):
        done = draw(st.one_of(st.sampled_from([0.0, paid_or_none]), st.floats(0, paid_or_none)))
        done = min(done, paid_or_none)
    return Facts(
        order_status=status,
        cause=draw(st.sampled_from(list(Cause))),
        platform_type=draw(st.sampled_from(list(PlatformType))),
        payment_channel=draw(st.sampled_from(list(PaymentChannel))),
        amount=draw(amounts),
        hours_since_payment=paid_or_none,
        hours_since_completion=done,
        fee_disclosed=draw(st.booleans()),
        evidence=draw(st.lists(st.sampled_from(list(EvidenceKind)), max_size=4)),
    )


def _hours_ok(value: float | None, cond: Any) -> bool:
    """A plain reading of an hours condition, written apart from the compiled engine."""
    if cond is None:
        return True

    def bound(v: Any) -> float | None:
        return None if v is None else WINDOWS[v] if isinstance(v, str) else float(v)

    has_bounds = any(getattr(cond, k) is not None for k in ("lt", "lte", "gt", "gte"))
    if value is None:
        return cond.known is False and not has_bounds
    if cond.known is False:
        return False
    checks = [
        (bound(cond.lt), lambda b: value < b),
        (bound(cond.lte), lambda b: value <= b),
        (bound(cond.gt), lambda b: value > b),
        (bound(cond.gte), lambda b: value >= b),
    ]
    return all(b is None or ok(b) for b, ok in checks)


def matches(rule: Rule, facts: Facts) -> bool:
    w = rule.when
    return (
        (w.order_status is None or facts.order_status in w.order_status)
        and (w.cause is None or facts.cause in w.cause)
        and (w.cause_group is None or facts.cause.group in w.cause_group)
        and (w.platform_type is None or facts.platform_type in w.platform_type)
        and (w.payment_channel is None or facts.payment_channel in w.payment_channel)
        and (w.fee_disclosed is None or facts.fee_disclosed is w.fee_disclosed)
        and _hours_ok(facts.hours_since_payment, w.hours_since_payment)
        and _hours_ok(facts.hours_since_completion, w.hours_since_completion)
        and w.amount is None
    )


def check_invariants(facts: Facts, d: Decision) -> None:
    # exactly one rule decides: the first that matches, and some rule always matches
    matching = [rule.id for rule in POLICY.rules if matches(rule, facts)]
    assert matching, "the catch-all must match everything"
    assert matching[-1] == "catch-all"
    assert d.rule_id == matching[0]
    assert RULE_IDS.count(d.rule_id) == 1
    # fees
    assert 0 <= d.fee_percent <= POLICY.fee_cap_percent <= 10
    if not facts.fee_disclosed:
        assert d.fee_percent == 0
    # money
    if d.outcome in (Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND):
        assert d.refund_amount == to_cents(facts.amount * (100 - d.fee_percent) / 100)
        assert d.refund_amount is not None and 0 < d.refund_amount <= facts.amount
        assert (d.outcome is Outcome.FULL_REFUND) == (d.fee_percent == 0)
        assert d.expected_arrival is not None
    elif d.outcome in (Outcome.NO_REFUND, Outcome.NOTHING_TO_REFUND):
        assert d.refund_amount == 0
        assert d.expected_arrival is None
    else:  # needs_review: a person decides the amount
        assert d.outcome is Outcome.NEEDS_REVIEW
        assert d.refund_amount is None
        assert d.fee_percent == 0
    # evidence
    assert set(d.required_evidence) <= set(EvidenceKind)
    assert set(d.missing_evidence) <= set(d.required_evidence)
    assert not set(d.missing_evidence) & set(facts.evidence)
    assert set(d.required_evidence) - set(facts.evidence) == set(d.missing_evidence)
    # references, deadlines, words
    assert d.policy_refs and set(d.policy_refs) <= POLICY.policy_refs
    assert set(d.deadlines) <= set(POLICY.deadlines)
    assert d.policy_version == POLICY.version
    for text in (d.explanation.zh, d.explanation.en):
        assert text and "{" not in text and "}" not in text


@FAST
@given(valid_facts())
def test_decisions_hold_the_invariants(facts: Facts) -> None:
    d = decide(POLICY, facts)
    check_invariants(facts, d)
    # the fast-built decision is the same as a validated one, and the JSON reads back
    assert Decision.model_validate(d.model_dump()) == d
    assert d.model_fields_set == set(Decision.model_fields)
    assert Decision.model_validate(d.model_dump(mode="json")).model_dump(
        mode="json"
    ) == d.model_dump(mode="json")


@QUICK
@given(valid_facts())
def test_decide_is_deterministic(facts: Facts) -> None:
    assert decide(POLICY, facts) == decide(POLICY, facts.model_copy())


@QUICK
@given(valid_facts())
def test_evidence_checklist_covers_the_decision(facts: Facts) -> None:
    checklist = POLICY.evidence_for(
        facts.cause, facts.order_status, platform_type=facts.platform_type
    )
    assert set(decide(POLICY, facts).required_evidence) <= set(checklist)


def test_every_rule_is_reachable_and_invariants_hold_on_the_grid() -> None:
    """Exhaustive over the enumerated space: every code x hours at each threshold.
    (One payment channel: the default policy has no channel conditions; hypothesis varies it.)"""
    seen = set()
    count = 0
    for facts in sample_facts(POLICY, payment_channel=PaymentChannel.WECHAT):
        d = decide(POLICY, facts)
        check_invariants(facts, d)
        seen.add(d.rule_id)
        count += 1
    assert count > 5_000
    assert seen == set(RULE_IDS)


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = (
    scalars
    | st.lists(scalars, max_size=3)
    | st.dictionaries(st.text(max_size=4), scalars, max_size=2)
)
FIELDS = [
    "order_status",
    "cause",
    "platform_type",
    "payment_channel",
    "amount",
    "hours_since_payment",
    "hours_since_completion",
    "fee_disclosed",
    "evidence",
]


@FAST
@given(
    st.dictionaries(
        st.sampled_from([*FIELDS, "junk"]),
        st.one_of(
            json_values,
            st.sampled_from(
                ["unpaid", "delivered", "other", "alipay", "official", "payment_record"]
            ),
        ),
    )
)
def test_any_input_is_decided_or_rejected_with_fields(data: dict[str, Any]) -> None:
    try:
        facts = parse_facts(data)
    except FactsError as exc:
        assert exc.fields
        assert all(isinstance(v, str) and v for v in exc.fields.values())
        assert {name.split("[")[0] for name in exc.fields} <= {*FIELDS, "junk"}
        if "junk" in data:
            assert exc.fields["junk"] == "unknown field"
        for name in ("order_status", "cause", "platform_type", "payment_channel", "amount"):
            if name not in data:
                assert exc.fields[name] == "required"
    else:
        check_invariants(facts, decide(POLICY, facts))
