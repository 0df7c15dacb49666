"""Table tests: every rule of the default policy, its boundaries, fees and money."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain.rules import Decision, Facts, decide
from bot.domain.vocab import Cause, CauseGroup, EvidenceKind, OrderStatus, PaymentChannel
from bot.policy_files import DEFAULT_POLICY_PATH, load_policy

POLICY = load_policy(DEFAULT_POLICY_PATH)

BASE: dict[str, Any] = {
    "order_status": "paid_undelivered",
    "cause": "out_of_stock",
    "platform_type": "aggregator",
    "payment_channel": "alipay",
    "amount": "100",
    "hours_since_payment": 1,
}


def run(**changes: Any) -> Decision:
    return decide(POLICY, Facts.model_validate(BASE | changes))


def group(name: str) -> list[str]:
    return [c.value for c in Cause if c.group == CauseGroup(name)]


# (facts changes, rule_id, outcome, liable, route, fee_percent, refund_amount, required evidence)
TABLE: list[tuple[dict[str, Any], str, str, str, str, int, Decimal | None, list[str]]] = [
    # 1. unpaid
    (
        {"order_status": "unpaid", "cause": "changed_mind", "hours_since_payment": None},
        "unpaid-cancel",
        "nothing_to_refund",
        "buyer",
        "self_service",
        0,
        Decimal(0),
        [],
    ),
    (
        {"order_status": "unpaid", "cause": "out_of_stock", "hours_since_payment": None},
        "unpaid-cancel",
        "nothing_to_refund",
        "merchant",
        "self_service",
        0,
        Decimal(0),
        [],
    ),
    (
        {"order_status": "unpaid", "cause": "charged_no_order", "hours_since_payment": 0.1},
        "unpaid-charged",
        "needs_review",
        "payment",
        "platform_review",
        0,
        None,
        ["payment_record"],
    ),
    # 2. personal agent, whatever the cause
    (
        {
            "platform_type": "personal_agent",
            "cause": "invalid_product",
            "order_status": "delivered",
        },
        "personal-agent",
        "needs_review",
        "unknown",
        "human_agent",
        0,
        None,
        ["chat_record", "payment_record"],
    ),
    (
        {"platform_type": "personal_agent", "cause": "duplicate_charge"},
        "personal-agent",
        "needs_review",
        "unknown",
        "human_agent",
        0,
        None,
        ["chat_record", "payment_record"],
    ),
    # 3. payment errors
    (
        {"cause": "duplicate_charge", "hours_since_payment": 2},
        "payment-error-in-window",
        "full_refund",
        "payment",
        "platform_review",
        0,
        Decimal(100),
        ["payment_record"],
    ),
    (
        {"cause": "charged_no_order", "order_status": "completed", "hours_since_payment": 30},
        "payment-error-late",
        "needs_review",
        "payment",
        "platform_review",
        0,
        None,
        ["payment_record"],
    ),
    # 4. platform side, any status but unpaid
    (
        {"cause": "platform_delisting", "order_status": "delivered"},
        "platform-delisting",
        "full_refund",
        "platform",
        "self_service",
        0,
        Decimal(100),
        [],
    ),
    (
        {"cause": "system_fault", "order_status": "redeemed", "hours_since_payment": 500},
        "system-fault",
        "full_refund",
        "platform",
        "self_service",
        0,
        Decimal(100),
        [],
    ),
    # other cause: a person
    (
        {"cause": "other", "order_status": "delivered"},
        "other-cause",
        "needs_review",
        "unknown",
        "human_agent",
        0,
        None,
        [],
    ),
    # 5. paid, undelivered
    (
        {"cause": "delivery_timeout", "hours_since_payment": 100},
        "undelivered-timeout",
        "full_refund",
        "merchant",
        "merchant_review",
        0,
        Decimal(100),
        ["order_screenshot"],
    ),
    (
        {"cause": "out_of_stock"},
        "undelivered-merchant",
        "full_refund",
        "merchant",
        "merchant_review",
        0,
        Decimal(100),
        [],
    ),
    (
        {"cause": "merchant_violation", "hours_since_payment": 1000},
        "undelivered-merchant",
        "full_refund",
        "merchant",
        "merchant_review",
        0,
        Decimal(100),
        [],
    ),
    (
        {"cause": "wrong_account", "hours_since_payment": 5},
        "undelivered-buyer-in-window",
        "full_refund",
        "buyer",
        "self_service",
        0,
        Decimal(100),
        [],
    ),
    (
        {"cause": "changed_mind", "hours_since_payment": 48},
        "undelivered-buyer-late",
        "needs_review",
        "buyer",
        "merchant_review",
        0,
        None,
        [],
    ),
    # 6. delivered, not redeemed
    (
        {"order_status": "delivered", "cause": "invalid_product"},
        "delivered-faulty",
        "full_refund",
        "merchant",
        "platform_review",
        0,
        Decimal(100),
        ["error_screenshot"],
    ),
    (
        {"order_status": "delivered", "cause": "merchant_error"},
        "delivered-faulty",
        "full_refund",
        "merchant",
        "platform_review",
        0,
        Decimal(100),
        ["error_screenshot"],
    ),
    (
        {"order_status": "delivered", "cause": "not_as_described"},
        "delivered-not-as-described",
        "full_refund",
        "merchant",
        "platform_review",
        0,
        Decimal(100),
        ["listing_screenshot"],
    ),
    (
        {"order_status": "delivered", "cause": "wrong_product"},
        "delivered-buyer-side",
        "partial_refund",
        "buyer",
        "merchant_review",
        10,
        Decimal(90),
        [],
    ),
    # 7. redeemed / completed
    (
        {"order_status": "redeemed", "cause": "changed_mind", "hours_since_completion": 1},
        "used-buyer-side",
        "no_refund",
        "buyer",
        "negotiation",
        0,
        Decimal(0),
        [],
    ),
    (
        {
            "order_status": "completed",
            "cause": "wrong_account",
        },  # completion time unknown: irrelevant
        "used-buyer-side",
        "no_refund",
        "buyer",
        "negotiation",
        0,
        Decimal(0),
        [],
    ),
    (
        {
            "order_status": "completed",
            "cause": "invalid_product",
            "hours_since_payment": 50,
            "hours_since_completion": 40,
        },
        "used-faulty-in-window",
        "needs_review",
        "merchant",
        "platform_review",
        0,
        None,
        ["error_screenshot", "official_proof"],
    ),
    (
        {"order_status": "redeemed", "cause": "not_as_described", "hours_since_payment": 50},
        "used-faulty-unknown-time",
        "needs_review",
        "merchant",
        "platform_review",
        0,
        None,
        ["error_screenshot", "official_proof"],
    ),
    (
        {
            "order_status": "redeemed",
            "cause": "merchant_error",
            "hours_since_payment": 400,
            "hours_since_completion": 300,
        },
        "used-faulty-late",
        "no_refund",
        "unknown",
        "negotiation",
        0,
        Decimal(0),
        [],
    ),
    # catch-all: combinations no rule names
    (
        {"order_status": "delivered", "cause": "out_of_stock"},
        "catch-all",
        "needs_review",
        "unknown",
        "human_agent",
        0,
        None,
        [],
    ),
    (
        {"order_status": "completed", "cause": "delivery_timeout", "hours_since_completion": 1},
        "catch-all",
        "needs_review",
        "unknown",
        "human_agent",
        0,
        None,
        [],
    ),
]


@pytest.mark.parametrize(
    ("changes", "rule_id", "outcome", "liable", "route", "fee", "refund", "evidence"),
    TABLE,
    ids=[f"{row[1]}:{i}" for i, row in enumerate(TABLE)],
)
def test_rule_table(
    changes: dict[str, Any],
    rule_id: str,
    outcome: str,
    liable: str,
    route: str,
    fee: int,
    refund: Decimal | None,
    evidence: list[str],
) -> None:
    d = run(**changes)
    assert d.rule_id == rule_id
    assert (d.outcome, d.liable, d.route) == (outcome, liable, route)
    assert d.fee_percent == fee
    assert d.refund_amount == refund
    assert d.required_evidence == evidence
    assert d.missing_evidence == evidence
    assert d.policy_version == POLICY.version
    assert d.policy_refs
    assert d.explanation.zh and d.explanation.en


def test_table_covers_every_rule() -> None:
    assert {row[1] for row in TABLE} == {rule.id for rule in POLICY.rules}


# ---------------------------------------------------------------- windows and boundaries


@pytest.mark.parametrize(
    ("hours", "rule_id"),
    [
        (0, "undelivered-buyer-in-window"),
        (23.99, "undelivered-buyer-in-window"),
        (24, "undelivered-buyer-in-window"),
        (24.01, "undelivered-buyer-late"),
    ],
)
@pytest.mark.parametrize("cause", group("buyer"))
def test_cancel_window_24h(hours: float, rule_id: str, cause: str) -> None:
    assert run(cause=cause, hours_since_payment=hours).rule_id == rule_id


@pytest.mark.parametrize(
    ("hours", "rule_id", "outcome"),
    [
        (0, "payment-error-in-window", "full_refund"),
        (23.99, "payment-error-in-window", "full_refund"),
        (24, "payment-error-in-window", "full_refund"),
        (24.01, "payment-error-late", "needs_review"),
    ],
)
@pytest.mark.parametrize("cause", ["duplicate_charge", "charged_no_order"])
@pytest.mark.parametrize("status", ["paid_undelivered", "delivered", "redeemed", "completed"])
def test_payment_report_window_24h(
    hours: float, rule_id: str, outcome: str, cause: str, status: str
) -> None:
    d = run(cause=cause, order_status=status, hours_since_payment=hours)
    assert (d.rule_id, d.outcome) == (rule_id, outcome)


@pytest.mark.parametrize(
    ("hours", "rule_id", "outcome"),
    [
        (0, "used-faulty-in-window", "needs_review"),
        (7 * 24 - 0.01, "used-faulty-in-window", "needs_review"),
        (7 * 24, "used-faulty-in-window", "needs_review"),
        (7 * 24 + 0.01, "used-faulty-late", "no_refund"),
        (None, "used-faulty-unknown-time", "needs_review"),
    ],
)
@pytest.mark.parametrize("cause", ["invalid_product", "not_as_described", "merchant_error"])
@pytest.mark.parametrize("status", ["redeemed", "completed"])
def test_quality_claim_window_7_days(
    hours: float | None, rule_id: str, outcome: str, cause: str, status: str
) -> None:
    d = run(
        order_status=status, cause=cause, hours_since_payment=1000, hours_since_completion=hours
    )
    assert (d.rule_id, d.outcome) == (rule_id, outcome)


@pytest.mark.parametrize("status", ["redeemed", "completed"])
@pytest.mark.parametrize("cause", group("buyer"))
def test_no_seven_day_return_for_used_virtual_goods(status: str, cause: str) -> None:
    for hours in (None, 0, 1, 24, 7 * 24 - 1):
        d = run(
            order_status=status, cause=cause, hours_since_payment=500, hours_since_completion=hours
        )
        assert d.outcome == "no_refund"
        assert d.refund_amount == 0
        assert "no-seven-day-return" in d.policy_refs


@pytest.mark.parametrize("cause", [c.value for c in Cause])
@pytest.mark.parametrize("channel", [c.value for c in PaymentChannel])
def test_unpaid_needs_no_hours(cause: str, channel: str) -> None:
    d = run(order_status="unpaid", cause=cause, payment_channel=channel, hours_since_payment=None)
    assert d.rule_id in {"unpaid-cancel", "unpaid-charged"}
    assert d.expected_arrival is None or d.outcome == "needs_review"


@pytest.mark.parametrize("status", [s.value for s in OrderStatus if s != OrderStatus.UNPAID])
@pytest.mark.parametrize("cause", [c.value for c in Cause])
def test_personal_agent_always_needs_a_person(status: str, cause: str) -> None:
    d = run(platform_type="personal_agent", order_status=status, cause=cause)
    assert (d.rule_id, d.outcome, d.route) == ("personal-agent", "needs_review", "human_agent")


@pytest.mark.parametrize("status", [s.value for s in OrderStatus if s != OrderStatus.UNPAID])
def test_other_cause_goes_to_a_person(status: str) -> None:
    d = run(cause="other", order_status=status, hours_since_completion=0)
    assert (d.outcome, d.route) == ("needs_review", "human_agent")


# ---------------------------------------------------------------- fees and money


def test_undisclosed_fee_is_not_charged() -> None:
    d = run(order_status="delivered", cause="changed_mind", fee_disclosed=False, amount="59.90")
    assert d.rule_id == "delivered-buyer-side"
    assert d.fee_percent == 0
    assert d.outcome == "full_refund"
    assert d.refund_amount == Decimal("59.90")
    assert "59.90" in d.explanation.zh and "59.90" in d.explanation.en
    assert "not disclosed" in d.explanation.en


def test_disclosed_fee_is_ten_percent_and_explained() -> None:
    d = run(order_status="delivered", cause="changed_mind", amount="59.90")
    assert (d.outcome, d.fee_percent, d.refund_amount) == ("partial_refund", 10, Decimal("53.91"))
    assert "10%" in d.explanation.en and "5.99" in d.explanation.en and "53.91" in d.explanation.en
    assert "10%" in d.explanation.zh and "53.91" in d.explanation.zh


@pytest.mark.parametrize(
    ("amount", "refund"),
    [
        ("0.01", "0.01"),  # 0.009 rounds half up to 0.01
        ("0.05", "0.05"),  # 0.045 -> 0.05
        ("0.15", "0.14"),  # 0.135 -> 0.14
        ("1", "0.90"),
        ("33.33", "30.00"),  # 29.997 -> 30.00
        ("99.99", "89.99"),  # 89.991 -> 89.99
        ("12.345", "11.12"),  # the amount rounds to 12.35 first; 11.115 -> 11.12
        ("1000000", "900000"),
    ],
)
def test_partial_refund_rounding(amount: str, refund: str) -> None:
    d = run(order_status="delivered", cause="changed_mind", amount=amount)
    assert d.refund_amount == Decimal(refund)
    assert (
        d.refund_amount is not None
        and d.refund_amount <= Facts.model_validate(BASE | {"amount": amount}).amount
    )


def test_amount_is_kept_exactly() -> None:
    # 0.1 + 0.2 style float noise never reaches the money
    d = run(cause="out_of_stock", amount=0.1 + 0.2)
    assert d.refund_amount == Decimal("0.30")


@pytest.mark.parametrize(
    ("channel", "arrival"),
    [
        ("balance", (0, 0, False)),
        ("alipay", (0, 1, False)),
        ("wechat", (0, 1, False)),
        ("bank_card", (2, 5, True)),
    ],
)
def test_expected_arrival_per_channel(channel: str, arrival: tuple[int, int, bool]) -> None:
    d = run(payment_channel=channel)
    assert d.expected_arrival is not None
    assert (
        d.expected_arrival.min_days,
        d.expected_arrival.max_days,
        d.expected_arrival.working_days,
    ) == arrival


def test_no_arrival_when_no_money_moves() -> None:
    assert (
        run(order_status="unpaid", hours_since_payment=None, cause="changed_mind").expected_arrival
        is None
    )
    assert run(order_status="redeemed", cause="changed_mind").expected_arrival is None


def test_deadlines_where_they_apply() -> None:
    merchant = run(cause="delivery_timeout")
    assert merchant.deadlines["merchant_response"].model_dump() == {"amount": 24, "unit": "hours"}
    assert merchant.deadlines["platform_response"].model_dump() == {"amount": 48, "unit": "hours"}
    assert merchant.deadlines["evidence_supplement"].unit == "days"
    assert merchant.deadlines["appeal"].model_dump() == {
        "amount": POLICY.windows.appeal_days,
        "unit": "days",
    }
    platform = run(order_status="delivered", cause="invalid_product")
    assert "merchant_response" not in platform.deadlines
    assert platform.deadlines["platform_complex"].unit == "working_days"
    assert run(cause="platform_delisting").deadlines == {}


def test_missing_evidence_subtracts_what_was_given() -> None:
    facts = {"order_status": "completed", "cause": "invalid_product", "hours_since_completion": 1}
    d = run(**facts, evidence=["official_proof", "chat_record"])
    assert d.required_evidence == [EvidenceKind.ERROR_SCREENSHOT, EvidenceKind.OFFICIAL_PROOF]
    assert d.missing_evidence == [EvidenceKind.ERROR_SCREENSHOT]
    d = run(**facts, evidence=["error_screenshot", "official_proof", "error_screenshot"])
    assert d.missing_evidence == []


def test_same_facts_same_decision() -> None:
    facts = Facts.model_validate(BASE | {"order_status": "delivered", "cause": "wrong_account"})
    assert decide(POLICY, facts) == decide(POLICY, facts)
    assert decide(POLICY, facts).model_dump(mode="json") == decide(POLICY, facts).model_dump(
        mode="json"
    )


def test_decision_json_shape() -> None:
    data = run(order_status="delivered", cause="changed_mind", amount="99.50").model_dump(
        mode="json"
    )
    assert set(data) >= {
        "outcome",
        "liable",
        "route",
        "fee_percent",
        "refund_amount",
        "required_evidence",
        "missing_evidence",
        "deadlines",
        "expected_arrival",
        "rule_id",
        "policy_version",
        "policy_refs",
        "explanation",
    }
    assert data["fee_percent"] == 10 and data["refund_amount"] == 89.55
    assert set(data["explanation"]) == {"zh", "en"}
    assert data["expected_arrival"] == {"min_days": 0, "max_days": 1, "working_days": False}


# ---------------------------------------------------------------- the evidence checklist


def test_evidence_for_checklist() -> None:
    assert (
        POLICY.evidence_for(
            Cause.CHANGED_MIND, OrderStatus.PAID_UNDELIVERED, platform_type="aggregator"
        )
        == []
    )
    assert POLICY.evidence_for(
        "delivery_timeout", "paid_undelivered", platform_type="official"
    ) == [EvidenceKind.ORDER_SCREENSHOT]
    assert POLICY.evidence_for("invalid_product", "completed", platform_type="aggregator") == [
        EvidenceKind.ERROR_SCREENSHOT,
        EvidenceKind.OFFICIAL_PROOF,
    ]
    assert POLICY.evidence_for(
        "duplicate_charge", "paid_undelivered", platform_type="aggregator"
    ) == [EvidenceKind.PAYMENT_RECORD]
    # platform type unknown: the personal-agent checklist is included
    assert EvidenceKind.CHAT_RECORD in POLICY.evidence_for("not_as_described", "delivered")


def test_policy_attributes_for_the_bot() -> None:
    assert POLICY.version == "default-1.0"
    assert POLICY.windows.appeal_days == 7
    assert POLICY.fee_cap_percent == 10
