"""A case's facts as the wizard files them, for the tests that store cases directly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def decision(
    outcome: str = "full_refund", route: str = "platform_review", **more: Any
) -> dict[str, Any]:
    """The rules' decision as a case stores it."""
    return {
        "outcome": outcome,
        "route": route,
        "rule_id": "test-rule",
        "policy_version": "test",
        "policy_refs": ["x"],
        "required_evidence": [],
        **more,
    }


def case_facts(*, user_id: int, number: str, **more: Any) -> dict[str, Any]:
    """The facts `repo.create_case` and `repo.file_case` take: an out-of-stock order paid by
    Alipay (98.50, no payment time, no evidence, no decision yet) with the merchant;
    `more` overrides any of them."""
    return {
        "number": number,
        "draft_key": f"d-{number}",
        "user_id": user_id,
        "language": "zh",
        "order_number": "KM20261130000512",
        "platform_type": "aggregator",
        "order_status": "paid_undelivered",
        "cause": "out_of_stock",
        "cause_text": None,
        "payment_channel": "alipay",
        "amount": Decimal("98.50"),
        "paid_at": None,
        "status": "merchant_review",
        "evidence": [],
        "decided": False,
        **more,
    }
