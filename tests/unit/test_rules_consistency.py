"""Decisions make sense as a whole: outcome vs route vs liable party vs deadlines vs texts.

The model is in bot/domain/rules/consistency.py; the tables here state it independently,
row by row, so a change to the model turns a row red.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.domain.rules import Facts, Policy, PolicyError, Rule, decide, sample_facts
from bot.domain.rules.consistency import rule_contradictions
from bot.i18n import catalog
from bot.policy_files import DEFAULT_POLICY_PATH, bot_texts, load_policy

POLICY = load_policy(DEFAULT_POLICY_PATH)
DEFAULT_DATA: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
DEADLINES = {
    "merchant_response",
    "platform_response",
    "platform_complex",
    "evidence_supplement",
    "appeal",
}

BASE: dict[str, Any] = {
    "id": "r",
    "outcome": "full_refund",
    "liable": "merchant",
    "route": "platform_review",
    "deadlines": ["platform_response"],
    "policy_refs": ["x"],
    "explanation": "k",
}

# (name, rule changes, placeholders of the explanation, expected problem: (field, words) or None)
TABLE: list[tuple[str, dict[str, Any], set[str], tuple[str, str] | None]] = [
    # coherent rules
    ("refund-platform-review", {}, {"amount"}, None),
    (
        "refund-self-service",
        {"route": "self_service", "liable": "platform", "deadlines": []},
        set(),
        None,
    ),
    (
        "refund-merchant-review",
        {"route": "merchant_review", "deadlines": ["merchant_response", "appeal"]},
        {"merchant_response"},
        None,
    ),
    (
        "merchant-review-escalates",
        {
            "route": "merchant_review",
            "deadlines": ["merchant_response", "platform_response", "platform_complex"],
        },
        set(),
        None,
    ),
    (
        "partial-buyer",
        {
            "outcome": "partial_refund",
            "liable": "buyer",
            "route": "merchant_review",
            "deadlines": ["merchant_response"],
        },
        {"fee_percent", "fee_amount", "refund_amount"},
        None,
    ),
    (
        "review-by-agent",
        {"outcome": "needs_review", "liable": "unknown", "route": "human_agent", "deadlines": []},
        set(),
        None,
    ),
    (
        "review-buyer-consent",
        {
            "outcome": "needs_review",
            "liable": "buyer",
            "route": "merchant_review",
            "deadlines": ["merchant_response"],
        },
        {"arrival_max_days"},
        None,
    ),
    (
        "no-refund-negotiation",
        {"outcome": "no_refund", "liable": "buyer", "route": "negotiation", "deadlines": []},
        {"quality_claim_days"},
        None,
    ),
    (
        "no-refund-appeal",
        {
            "outcome": "no_refund",
            "liable": "buyer",
            "route": "negotiation",
            "deadlines": ["appeal"],
        },
        {"appeal"},
        None,
    ),
    (
        "no-refund-unknown",
        {"outcome": "no_refund", "liable": "unknown", "route": "negotiation", "deadlines": []},
        set(),
        None,
    ),
    (
        "nothing-by-cause",
        {
            "outcome": "nothing_to_refund",
            "liable": "by_cause",
            "route": "self_service",
            "deadlines": [],
        },
        set(),
        None,
    ),
    (
        "refund-agent-with-reason",
        {
            "route": "human_agent",
            "route_reason": "amounts above 5000 CNY are confirmed by a person",
            "deadlines": [],
        },
        set(),
        None,
    ),
    # outcome vs route
    (
        "no-refund-forced-review",
        {
            "outcome": "no_refund",
            "liable": "buyer",
            "route": "merchant_review",
            "deadlines": ["merchant_response"],
        },
        set(),
        ("route", "contradicts outcome no_refund"),
    ),
    (
        "no-refund-platform-review",
        {"outcome": "no_refund", "liable": "buyer", "route": "platform_review"},
        set(),
        ("route", "contradicts outcome no_refund"),
    ),
    (
        "no-refund-agent",
        {"outcome": "no_refund", "liable": "buyer", "route": "human_agent", "deadlines": []},
        set(),
        ("route", "contradicts outcome no_refund"),
    ),
    (
        "no-refund-self-service",
        {"outcome": "no_refund", "liable": "buyer", "route": "self_service", "deadlines": []},
        set(),
        ("route", "contradicts outcome no_refund"),
    ),
    (
        "nothing-merchant-review",
        {
            "outcome": "nothing_to_refund",
            "route": "merchant_review",
            "deadlines": ["merchant_response"],
        },
        set(),
        ("route", "contradicts outcome nothing_to_refund"),
    ),
    (
        "review-without-reviewer",
        {"outcome": "needs_review", "route": "self_service", "deadlines": []},
        set(),
        ("route", "contradicts outcome needs_review"),
    ),
    (
        "review-negotiation",
        {"outcome": "needs_review", "route": "negotiation", "deadlines": []},
        set(),
        ("route", "contradicts outcome needs_review"),
    ),
    (
        "refund-negotiation",
        {"route": "negotiation", "deadlines": []},
        set(),
        ("route", "contradicts outcome full_refund"),
    ),
    (
        "refund-agent-no-reason",
        {"route": "human_agent", "deadlines": []},
        set(),
        ("route", "needs a route_reason"),
    ),
    (
        "partial-agent-no-reason",
        {"outcome": "partial_refund", "liable": "buyer", "route": "human_agent", "deadlines": []},
        set(),
        ("route", "needs a route_reason"),
    ),
    (
        "reason-not-needed",
        {"route_reason": "why not"},
        set(),
        ("route_reason", "only for a full_refund routed to human_agent"),
    ),
    (
        "reason-on-review",
        {"outcome": "needs_review", "route_reason": "why not"},
        set(),
        ("route_reason", "needs_review takes no route_reason"),
    ),
    # outcome vs liable party
    (
        "partial-merchant",
        {"outcome": "partial_refund", "liable": "merchant"},
        set(),
        ("liable", "merchant contradicts outcome partial_refund"),
    ),
    (
        "refund-nobody-liable",
        {"liable": "unknown"},
        set(),
        ("liable", "unknown contradicts outcome full_refund"),
    ),
    (
        "no-refund-merchant-fault",
        {"outcome": "no_refund", "liable": "merchant", "route": "negotiation", "deadlines": []},
        set(),
        ("liable", "merchant contradicts outcome no_refund"),
    ),
    (
        "no-refund-platform-fault",
        {"outcome": "no_refund", "liable": "platform", "route": "negotiation", "deadlines": []},
        set(),
        ("liable", "platform contradicts outcome no_refund"),
    ),
    (
        "no-refund-by-cause",
        {
            "outcome": "no_refund",
            "liable": "by_cause",
            "route": "negotiation",
            "deadlines": [],
            "when": {"cause_group": "payment"},
        },
        set(),
        ("liable", "payment (by_cause) contradicts outcome no_refund"),
    ),
    (
        "no-refund-by-cause-buyer",
        {
            "outcome": "no_refund",
            "liable": "by_cause",
            "route": "negotiation",
            "deadlines": [],
            "when": {"cause_group": "buyer"},
        },
        set(),
        None,
    ),
    # route vs liable party
    (
        "merchant-reviews-platform-fault",
        {"liable": "platform", "route": "merchant_review", "deadlines": ["merchant_response"]},
        set(),
        ("liable", "platform cannot go to merchant_review"),
    ),
    (
        "merchant-reviews-payment-fault",
        {"liable": "payment", "route": "merchant_review", "deadlines": ["merchant_response"]},
        set(),
        ("liable", "payment cannot go to merchant_review"),
    ),
    # route vs deadlines
    (
        "merchant-review-no-answer-time",
        {"route": "merchant_review", "deadlines": ["appeal"]},
        set(),
        ("deadlines", "must cite the merchant_response"),
    ),
    (
        "platform-review-no-answer-time",
        {"deadlines": ["appeal"]},
        set(),
        ("deadlines", "must cite the platform_response"),
    ),
    (
        "platform-review-merchant-time",
        {"deadlines": ["platform_response", "merchant_response"]},
        set(),
        ("deadlines", "merchant_response does not fit route platform_review"),
    ),
    (
        "agent-merchant-time",
        {"outcome": "needs_review", "route": "human_agent", "deadlines": ["merchant_response"]},
        set(),
        ("deadlines", "merchant_response does not fit route human_agent"),
    ),
    (
        "self-service-appeal",
        {"route": "self_service", "liable": "platform", "deadlines": ["appeal"]},
        set(),
        ("deadlines", "appeal does not fit route self_service"),
    ),
    (
        "negotiation-evidence-time",
        {
            "outcome": "no_refund",
            "liable": "buyer",
            "route": "negotiation",
            "deadlines": ["evidence_supplement"],
        },
        set(),
        ("deadlines", "evidence_supplement does not fit route negotiation"),
    ),
    (
        "complex-without-answer",
        {"route": "merchant_review", "deadlines": ["merchant_response", "platform_complex"]},
        set(),
        ("deadlines", "platform_complex extends platform_response"),
    ),
    # route vs evidence
    (
        "self-service-evidence",
        {
            "route": "self_service",
            "liable": "platform",
            "deadlines": [],
            "required_evidence": ["payment_record"],
        },
        set(),
        ("required_evidence", "nobody reviews evidence on route self_service"),
    ),
    (
        "negotiation-evidence",
        {
            "outcome": "no_refund",
            "liable": "buyer",
            "route": "negotiation",
            "deadlines": [],
            "required_evidence": ["chat_record"],
        },
        set(),
        ("required_evidence", "nobody reviews evidence on route negotiation"),
    ),
    # texts vs outcome and deadlines
    (
        "review-promises-amount",
        {"outcome": "needs_review"},
        {"refund_amount"},
        ("explanation", "{refund_amount} means nothing for outcome needs_review"),
    ),
    (
        "refund-mentions-fee",
        {},
        {"fee_percent"},
        ("explanation", "{fee_percent} means nothing for outcome full_refund"),
    ),
    (
        "no-refund-arrival",
        {"outcome": "no_refund", "liable": "buyer", "route": "negotiation", "deadlines": []},
        {"arrival_min_days"},
        ("explanation", "{arrival_min_days} means nothing for outcome no_refund"),
    ),
    (
        "text-promises-deadline",
        {},
        {"merchant_response"},
        ("explanation", "promises the merchant_response deadline"),
    ),
]


@pytest.mark.parametrize(
    ("changes", "names", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_consistency_model(
    changes: dict[str, Any], names: set[str], expected: tuple[str, str] | None
) -> None:
    rule = Rule.model_validate({**BASE, **changes})
    problems = rule_contradictions(rule, {"explanation": names}, DEADLINES)
    if expected is None:
        assert problems == []
    else:
        field, words = expected
        assert any(f == field and words in p for f, p in problems), problems


def test_the_shipped_policy_is_consistent() -> None:
    """Every rule of the default policy passes, and no decision over the whole facts grid
    pairs an outcome with a route that contradicts it (an independent reading)."""
    routes = {
        "full_refund": {"self_service", "merchant_review", "platform_review"},
        "partial_refund": {"self_service", "merchant_review", "platform_review"},
        "needs_review": {"merchant_review", "platform_review", "human_agent"},
        "no_refund": {"negotiation"},
        "nothing_to_refund": {"self_service"},
    }
    seen = set()
    for facts in sample_facts(POLICY):
        d = decide(POLICY, facts)
        assert d.route in routes[d.outcome], (d.rule_id, d.outcome, d.route)
        if d.route == "merchant_review":
            assert "merchant_response" in d.deadlines and d.liable in ("merchant", "buyer"), (
                d.rule_id
            )
        seen.add((d.outcome, d.route))
    assert ("no_refund", "negotiation") in seen


@pytest.mark.parametrize("hours_after_completion", [96, 120, 167.99, 168])
def test_completed_changed_mind_days_later_is_no_refund_without_forced_review(
    hours_after_completion: float,
) -> None:
    """The reported contradiction: completed, "I don't want it", 4-7 days after completion."""
    facts = Facts(
        order_status="completed",
        cause="changed_mind",
        platform_type="aggregator",
        payment_channel="alipay",
        amount=98.5,
        hours_since_payment=hours_after_completion + 2,
        hours_since_completion=hours_after_completion,
    )
    d = decide(POLICY, facts)
    assert (d.outcome, d.route, d.rule_id) == ("no_refund", "negotiation", "used-buyer-side")
    assert list(d.deadlines) == ["appeal"] and d.refund_amount == 0 and d.expected_arrival is None
    for lang in ("zh", "en"):
        route_text = catalog(lang)[f"route.{d.route}"]
        assert "强制" not in route_text and "forced" not in route_text
    assert "强制退款" in d.explanation.zh  # the explanation says the platform will not force it


def test_check_never_routes_a_no_refund_to_merchant_review(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {
            "order_status": status,
            "cause": cause,
            "platform_type": "aggregator",
            "payment_channel": "wechat",
            "amount": 30,
            "hours_since_payment": 200,
            "hours_since_completion": hours,
        }
        for status in ("redeemed", "completed")
        for cause in ("changed_mind", "wrong_account", "invalid_product")
        for hours in (100, 190)
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(json.dumps(x) for x in lines)))
    assert main(["check"]) == 0
    decisions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    no_refunds = [d for d in decisions if d["outcome"] == "no_refund"]
    assert len(no_refunds) == 10  # buyer-side at any time, faults after the 7-day window
    assert {d["route"] for d in no_refunds} == {"negotiation"}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_validate_rejects_the_old_contradiction_naming_file_rule_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(DEFAULT_DATA)
    old = next(r for r in data["rules"] if r["id"] == "used-buyer-side")
    old["route"] = "merchant_review"
    old["deadlines"] = ["merchant_response"]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, data)
    assert main(["policy", "validate", "policy.yaml"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        "policy.yaml: rule 'used-buyer-side': route: merchant_review (the merchant reviews it, and "
        "a merchant who does not answer in time is forced to refund) contradicts outcome no_refund"
    )
    # loading at start rejects it the same way
    with pytest.raises(PolicyError, match="rule 'used-buyer-side': route: merchant_review"):
        load_policy(tmp_path / "policy.yaml")


def test_every_problem_of_a_rule_is_listed(tmp_path: Path) -> None:
    data = copy.deepcopy(DEFAULT_DATA)
    bad = next(r for r in data["rules"] if r["id"] == "used-faulty-late")
    bad.update(route="platform_review", liable="platform", required_evidence=["official_proof"])
    with pytest.raises(PolicyError) as info:
        Policy.from_data(data, source="p.yaml", catalog=bot_texts())
    fields = [e.split(": ")[2] for e in info.value.errors]
    assert all(e.startswith("p.yaml: rule 'used-faulty-late': ") for e in info.value.errors)
    assert fields == ["route", "liable", "deadlines"]


def test_the_bot_refuses_to_start_on_a_contradicting_policy(
    tmp_path: Path, make_settings: Any
) -> None:
    from bot.app import load_policy_setting
    from bot.config import ConfigError

    data = copy.deepcopy(DEFAULT_DATA)
    next(r for r in data["rules"] if r["id"] == "used-faulty-late")["route"] = "platform_review"
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match="rule 'used-faulty-late': route: platform_review"):
        load_policy_setting(make_settings(policy_file=path))
    assert (
        load_policy_setting(make_settings(policy_file=DEFAULT_POLICY_PATH)).version == "default-1.0"
    )
