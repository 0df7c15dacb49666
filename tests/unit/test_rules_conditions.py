"""Boundaries of every policy condition operator, on both sides of each bound.

Making any of `gt`, `gte`, `lt`, `lte` inclusive or exclusive, dropping a bound, confusing a
window's days and hours, or widening a list condition turns a row here red.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import yaml

from bot.domain.rules import Facts, Policy, decide
from bot.domain.rules.conditions import AmountBound, HoursBound
from bot.policy_files import DEFAULT_POLICY_PATH, bot_texts

DEFAULT_DATA: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
CATALOG = bot_texts()
CATCH_ALL = next(r for r in DEFAULT_DATA["rules"] if r["id"] == "catch-all")
PROBE = {
    "id": "probe",
    "outcome": "needs_review",
    "liable": "unknown",
    "route": "human_agent",
    "policy_refs": ["process"],
    "explanation": CATCH_ALL["explanation"],
}
FACTS: dict[str, Any] = {
    "order_status": "completed",
    "cause": "changed_mind",
    "platform_type": "aggregator",
    "payment_channel": "alipay",
    "amount": 100,
    "hours_since_payment": 500,
}


def policy(when: dict[str, Any]) -> Policy:
    data = copy.deepcopy(DEFAULT_DATA)
    data["rules"] = [{**PROBE, "when": when}, copy.deepcopy(CATCH_ALL)]
    return Policy.from_data(data, source="conditions", catalog=CATALOG)


def matches(when: dict[str, Any], **facts: Any) -> bool:
    return decide(policy(when), Facts(**{**FACTS, **facts})).rule_id == "probe"


# (condition, value, matches?)
HOURS: list[tuple[dict[str, Any], float, bool]] = [
    ({"gt": 24}, 23.99, False),
    ({"gt": 24}, 24, False),
    ({"gt": 24}, 24.01, True),
    ({"gte": 24}, 23.99, False),
    ({"gte": 24}, 24, True),
    ({"gte": 24}, 24.01, True),
    ({"lt": 24}, 23.99, True),
    ({"lt": 24}, 24, False),
    ({"lt": 24}, 24.01, False),
    ({"lte": 24}, 23.99, True),
    ({"lte": 24}, 24, True),
    ({"lte": 24}, 24.01, False),
    ({"lt": 24}, 0, True),
    ({"gt": 0}, 0, False),
    ({"gte": 0}, 0, True),
    # window names: cancel_hours = 24 hours, quality_claim_days = 7 days = 168 hours
    ({"gt": "cancel_hours"}, 24, False),
    ({"gt": "cancel_hours"}, 24.01, True),
    ({"lte": "quality_claim_days"}, 168, True),
    ({"lte": "quality_claim_days"}, 168.01, False),
    ({"lt": "quality_claim_days"}, 167.99, True),
    ({"lt": "quality_claim_days"}, 168, False),
    ({"gte": "quality_claim_days"}, 167.99, False),
    ({"gte": "quality_claim_days"}, 168, True),
    # two bounds: an interval
    ({"gt": 24, "lte": 48}, 24, False),
    ({"gt": 24, "lte": 48}, 24.01, True),
    ({"gt": 24, "lte": 48}, 48, True),
    ({"gt": 24, "lte": 48}, 48.01, False),
    ({"gte": 24, "lt": 48}, 24, True),
    ({"gte": 24, "lt": 48}, 48, False),
    # two bounds on one side: the tighter one holds
    ({"gte": 24, "gt": 24}, 24, False),
    ({"gte": 30, "gt": 24}, 29.99, False),
    ({"gte": 30, "gt": 24}, 30, True),
    ({"gte": 20, "gt": 24}, 24, False),
    ({"lte": 48, "lt": 48}, 48, False),
    ({"lte": 40, "lt": 48}, 40, True),
    ({"lte": 40, "lt": 48}, 40.01, False),
    ({"lte": 50, "lt": 48}, 48, False),
    # known
    ({"known": True}, 0, True),
]


@pytest.mark.parametrize(("cond", "value", "expected"), HOURS)
def test_hours_since_payment(cond: dict[str, Any], value: float, expected: bool) -> None:
    facts = {"hours_since_payment": value, "hours_since_completion": None}
    assert matches({"hours_since_payment": cond}, **facts) is expected


@pytest.mark.parametrize(("cond", "value", "expected"), HOURS)
def test_hours_since_completion(cond: dict[str, Any], value: float, expected: bool) -> None:
    assert matches({"hours_since_completion": cond}, hours_since_completion=value) is expected


@pytest.mark.parametrize(
    ("cond", "value", "expected"),
    [
        ({"gt": 0}, None, False),  # a bound never matches a missing fact
        ({"lt": 1000}, None, False),
        ({"known": True}, None, False),
        ({"known": False}, None, True),
        ({"known": False}, 0, False),
        ({"known": False}, 5, False),
    ],
)
def test_missing_completion_time(cond: dict[str, Any], value: float | None, expected: bool) -> None:
    assert matches({"hours_since_completion": cond}, hours_since_completion=value) is expected


@pytest.mark.parametrize(
    ("cond", "value", "expected"),
    [
        ({"gt": 100}, "100", False),
        ({"gt": 100}, "100.01", True),
        ({"gte": 100}, "99.99", False),
        ({"gte": 100}, "100", True),
        ({"lt": 100}, "99.99", True),
        ({"lt": 100}, "100", False),
        ({"lte": 100}, "100", True),
        ({"lte": 100}, "100.01", False),
        ({"gt": "99.5", "lt": 100}, "99.5", False),
        ({"gt": "99.5", "lt": 100}, "99.51", True),
        ({"gte": 50, "lte": 50}, "50", True),
        ({"gte": 50, "lte": 50}, "50.01", False),
    ],
)
def test_amount(cond: dict[str, Any], value: str, expected: bool) -> None:
    assert matches({"amount": cond}, amount=Decimal(value)) is expected


@pytest.mark.parametrize(
    ("field", "listed", "inside", "outside"),
    [
        ("order_status", ["delivered", "redeemed"], "redeemed", "completed"),
        ("order_status", "completed", "completed", "redeemed"),  # a single code
        ("cause", ["wrong_account"], "wrong_account", "changed_mind"),
        ("cause_group", ["buyer"], "wrong_product", "out_of_stock"),
        ("platform_type", ["official"], "official", "aggregator"),
        ("payment_channel", ["bank_card", "balance"], "balance", "alipay"),
    ],
)
def test_list_conditions(field: str, listed: Any, inside: str, outside: str) -> None:
    key = "cause" if field == "cause_group" else field
    assert matches({field: listed}, **{key: inside}) is True
    assert matches({field: listed}, **{key: outside}) is False


@pytest.mark.parametrize(
    ("cond", "disclosed", "expected"),
    [(True, True, True), (True, False, False), (False, False, True), (False, True, False)],
)
def test_fee_disclosed(cond: bool, disclosed: bool, expected: bool) -> None:
    assert matches({"fee_disclosed": cond}, fee_disclosed=disclosed) is expected


def test_all_conditions_must_hold() -> None:
    when = {"cause_group": "buyer", "hours_since_completion": {"lte": 24}, "amount": {"gt": 50}}
    assert matches(when, hours_since_completion=24, amount=51) is True
    assert matches(when, hours_since_completion=24.01, amount=51) is False
    assert matches(when, hours_since_completion=24, amount=50) is False
    assert matches(when, hours_since_completion=24, amount=51, cause="out_of_stock") is False


def test_bounds_directly() -> None:
    """The compiled forms, without a policy around them."""
    closed = HoursBound(lo=1.0, lo_inclusive=True, hi=2.0, hi_inclusive=True, known=True)
    opened = HoursBound(lo=1.0, lo_inclusive=False, hi=2.0, hi_inclusive=False, known=True)
    assert [closed.holds(v) for v in (0.99, 1.0, 2.0, 2.01, None)] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert [opened.holds(v) for v in (1.0, 1.01, 1.99, 2.0)] == [False, True, True, False]
    unknown = HoursBound(lo=None, lo_inclusive=True, hi=None, hi_inclusive=True, known=False)
    assert (unknown.holds(None), unknown.holds(0.0)) == (True, False)
    amount = AmountBound(gt=Decimal(1), gte=None, lt=None, lte=Decimal(2))
    assert [amount.holds(Decimal(v)) for v in ("1", "1.01", "2", "2.01")] == [
        False,
        True,
        True,
        False,
    ]
