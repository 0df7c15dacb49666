"""The policy loader: valid files load, broken ones fail with file, rule and field named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.rules import (
    Facts,
    Policy,
    PolicyError,
    decide,
)
from bot.policy_files import DEFAULT_POLICY_PATH, bot_texts, load_policy

DEFAULT_DATA: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.fixture
def data() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_DATA)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "knowledge").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, data: Any, name: str = "knowledge/policy.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def errors_of(folder: Path, data: Any) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(write(folder, data))
    return info.value.errors


def test_default_policy_loads() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert policy.unreachable_rules() == []
    assert policy.version == "default-1.0"
    assert policy.rules[-1].id == "catch-all"
    assert policy.rules[-1].when.is_empty()
    assert (
        DEFAULT_POLICY_PATH.name == "policy.yaml" and DEFAULT_POLICY_PATH.parent.name == "knowledge"
    )


def test_fee_above_cap_is_rejected(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "delivered-buyer-side")["fee_percent"] = 15
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: must be <= fee cap 10"
    ]


def test_cap_itself_cannot_exceed_ten_percent(in_tmp: Path, data: dict[str, Any]) -> None:
    data["fee_cap_percent"] = 20
    rule(data, "delivered-buyer-side")["fee_percent"] = 20
    errors = errors_of(in_tmp, data)
    assert "knowledge/policy.yaml: fee_cap_percent: must be <= 10 (the legal maximum)" in errors


def test_lower_cap_binds_rules(in_tmp: Path, data: dict[str, Any]) -> None:
    data["fee_cap_percent"] = 5
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: must be <= fee cap 5"
    ]


def test_the_cap_binds_decisions_even_past_validation() -> None:
    """A policy changed in code after loading (model_copy skips the file checks) still never
    charges more than its cap: the engine caps the fee itself."""
    from decimal import Decimal

    capped = load_policy(DEFAULT_POLICY_PATH).model_copy(update={"fee_cap_percent": Decimal(4)})
    facts = Facts(
        order_status="delivered",
        cause="changed_mind",
        platform_type="aggregator",
        payment_channel="alipay",
        amount=50,
        hours_since_payment=2,
    )
    decision = decide(capped, facts)
    assert (decision.rule_id, decision.fee_percent, str(decision.refund_amount)) == (
        "delivered-buyer-side",
        4,
        "48.00",
    )
    assert "4%" in decision.explanation.en and "2.00 CNY" in decision.explanation.en


def test_negative_fee(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "delivered-buyer-side")["fee_percent"] = -1
    (error,) = errors_of(in_tmp, data)
    assert error.startswith("knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: ")


def test_fee_only_on_partial_refunds(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "delivered-faulty")["fee_percent"] = 5
    del rule(data, "delivered-buyer-side")["fee_percent"]
    del rule(data, "delivered-buyer-side")["explanation_fee_waived"]
    errors = errors_of(in_tmp, data)
    assert any(
        e.startswith("knowledge/policy.yaml: rule 'delivered-faulty': fee_percent: only a partial")
        for e in errors
    )
    assert any(
        e.startswith(
            "knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: a partial_refund"
        )
        for e in errors
    )


def test_unknown_codes_name_rule_and_field(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "system-fault")["outcome"] = "maybe"
    rule(data, "undelivered-timeout")["when"]["cause"] = ["late"]
    rule(data, "personal-agent")["required_evidence"] = ["selfie"]
    errors = errors_of(in_tmp, data)
    assert len(errors) == 3
    assert errors[0].startswith(
        "knowledge/policy.yaml: rule 'personal-agent': required_evidence[0]: "
    )
    assert errors[1].startswith(
        "knowledge/policy.yaml: rule 'system-fault': outcome: Input should be"
    )
    assert errors[2].startswith(
        "knowledge/policy.yaml: rule 'undelivered-timeout': when.cause[0]: "
    )


def test_rule_without_id_is_named_by_position(in_tmp: Path, data: dict[str, Any]) -> None:
    del data["rules"][2]["id"]
    assert errors_of(in_tmp, data) == ["knowledge/policy.yaml: rule #3: id: Field required"]


def test_bad_and_duplicate_ids(in_tmp: Path, data: dict[str, Any]) -> None:
    data["rules"][3]["id"] = data["rules"][2]["id"]
    data["rules"][4]["id"] = "Not An Id"
    errors = errors_of(in_tmp, data)
    assert (
        f"knowledge/policy.yaml: rule '{data['rules'][2]['id']}': id: duplicate rule id" in errors
    )
    assert any(
        e.startswith("knowledge/policy.yaml: rule 'Not An Id': id: String should match")
        for e in errors
    )


def test_unknown_field_in_rule(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "catch-all")["fee"] = 3
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'catch-all': fee: Extra inputs are not permitted"
    ]


def test_unknown_window_and_deadline(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "undelivered-buyer-late")["when"]["hours_since_payment"] = {"gt": "cancel_window"}
    rule(data, "undelivered-buyer-late")["deadlines"] = ["merchant_reply"]
    errors = errors_of(in_tmp, data)
    assert errors[0].startswith(
        "knowledge/policy.yaml: rule 'undelivered-buyer-late': deadlines[0]: unknown deadline 'merchant_reply'"
    )
    assert errors[1].startswith(
        "knowledge/policy.yaml: rule 'undelivered-buyer-late': when.hours_since_payment.gt: unknown window 'cancel_window'"
    )


def test_empty_hours_condition(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "undelivered-buyer-late")["when"]["hours_since_payment"] = {}
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'undelivered-buyer-late': when.hours_since_payment: "
        "give bounds (lt, lte, gt, gte) or known: true/false"
    ]


def test_policy_refs_must_be_ids(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "fees" if False else "delivered-buyer-side")["policy_refs"] = [
        "fees",
        "Arrival Times",
    ]
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'delivered-buyer-side': policy_refs[1]: "
        "'Arrival Times' is not a section id (lowercase words joined by '-')"
    ]


def test_known_refs(in_tmp: Path, data: dict[str, Any]) -> None:
    path = write(in_tmp, data)
    known = {ref for r in data["rules"] for ref in r["policy_refs"]}
    assert load_policy(path, known_refs=known).version == "default-1.0"
    with pytest.raises(PolicyError) as info:
        load_policy(path, known_refs=known - {"fees"})
    assert info.value.errors == [
        "knowledge/policy.yaml: rule 'delivered-buyer-side': policy_refs[2]: unknown knowledge-base section 'fees'"
    ]


def test_last_rule_must_be_catch_all(in_tmp: Path, data: dict[str, Any]) -> None:
    data["rules"].pop()
    (error,) = errors_of(in_tmp, data)
    assert error.startswith(
        "knowledge/policy.yaml: rule 'used-faulty-late': when: the last rule must be a catch-all"
    )


def test_explanation_placeholders(in_tmp: Path, data: dict[str, Any]) -> None:
    data["texts"] = {
        "zh": {"acme.fault": "退 {amount:.2f"},
        "en": {"acme.fault": "You get {refund} back"},
    }
    rule(data, "system-fault")["explanation"] = "acme.fault"
    errors = errors_of(in_tmp, data)
    assert errors[0].startswith(
        "knowledge/policy.yaml: rule 'system-fault': explanation: text 'acme.fault' (zh): bad template"
    )
    assert errors[1].startswith(
        "knowledge/policy.yaml: rule 'system-fault': explanation: text 'acme.fault' (en): unknown placeholder {refund}"
    )


def test_missing_explanation_language(in_tmp: Path, data: dict[str, Any]) -> None:
    data["texts"] = {"en": {"acme.fault": "The platform refunds {amount} CNY."}}
    rule(data, "system-fault")["explanation"] = "acme.fault"
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: rule 'system-fault': explanation: text 'acme.fault' is missing in language 'zh'"
    ]


def test_top_level_fields(in_tmp: Path, data: dict[str, Any]) -> None:
    del data["version"]
    del data["arrival"]["bank_card"]
    data["arrival"]["alipay"] = {"min_days": 3, "max_days": 1}
    errors = errors_of(in_tmp, data)
    assert "knowledge/policy.yaml: version: Field required" in errors
    assert "knowledge/policy.yaml: arrival.alipay: max_days must be >= min_days" in errors


def test_missing_channel_in_arrival(in_tmp: Path, data: dict[str, Any]) -> None:
    del data["arrival"]["bank_card"]
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: arrival: missing payment channels: bank_card"
    ]


def test_appeal_deadline_matches_window(in_tmp: Path, data: dict[str, Any]) -> None:
    data["windows"]["appeal_days"] = 10
    assert errors_of(in_tmp, data) == [
        "knowledge/policy.yaml: deadlines.appeal: must be 10 days (windows.appeal_days)"
    ]


def test_window_names(in_tmp: Path, data: dict[str, Any]) -> None:
    data["windows"]["grace"] = 3
    data["windows"]["grace_hours"] = -3
    errors = errors_of(in_tmp, data)
    assert (
        "knowledge/policy.yaml: windows.grace: a window name must end in _hours or _days" in errors
    )
    assert "knowledge/policy.yaml: windows.grace_hours: must be a number > 0" in errors


def test_every_problem_is_reported_at_once(in_tmp: Path, data: dict[str, Any]) -> None:
    rule(data, "delivered-buyer-side")["fee_percent"] = 11
    rule(data, "system-fault")["route"] = "fax"
    data["rules"][0]["policy_refs"] = []
    assert len(errors_of(in_tmp, data)) == 3


def test_not_a_mapping(in_tmp: Path) -> None:
    assert errors_of(in_tmp, ["a", "list"]) == [
        "knowledge/policy.yaml: the policy must be a mapping (version, rules, ...)"
    ]


def test_invalid_yaml_names_the_line(in_tmp: Path) -> None:
    path = in_tmp / "knowledge" / "policy.yaml"
    path.write_text("version: '1'\nrules:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    (error,) = info.value.errors
    assert error.startswith("knowledge/policy.yaml: line ") and "not valid YAML" in error


def test_missing_file(in_tmp: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(in_tmp / "knowledge" / "nope.yaml")
    assert info.value.errors[0].startswith("knowledge/nope.yaml: cannot read")


def test_outside_working_directory_shows_the_path(tmp_path: Path, data: dict[str, Any]) -> None:
    rule(data, "delivered-buyer-side")["fee_percent"] = 12
    path = write(tmp_path, data, "custom.yaml")
    with pytest.raises(PolicyError, match="custom.yaml: rule 'delivered-buyer-side': fee_percent"):
        load_policy(path)


def test_numeric_version_is_kept_as_text(in_tmp: Path, data: dict[str, Any]) -> None:
    data["version"] = 2.5
    assert load_policy(write(in_tmp, data)).version == "2.5"


def test_a_platform_can_replace_the_policy(in_tmp: Path, data: dict[str, Any]) -> None:
    """Another platform: 48 h to cancel, a 5 % fee, its own version; no code changes."""
    data["version"] = "acme-3"
    data["windows"]["cancel_hours"] = 48
    data["fee_cap_percent"] = 5
    rule(data, "delivered-buyer-side")["fee_percent"] = 5
    policy = load_policy(write(in_tmp, data))
    base = {"platform_type": "aggregator", "payment_channel": "wechat", "amount": 200}
    late = decide(
        policy,
        Facts(
            order_status="paid_undelivered", cause="changed_mind", hours_since_payment=30, **base
        ),
    )
    assert (late.rule_id, late.outcome, late.policy_version) == (
        "undelivered-buyer-in-window",
        "full_refund",
        "acme-3",
    )
    assert "48" in late.explanation.en
    fee = decide(
        policy,
        Facts(order_status="delivered", cause="changed_mind", hours_since_payment=30, **base),
    )
    assert (fee.fee_percent, str(fee.refund_amount)) == (5, "190.00")


def test_conditions_on_amount_and_fee_disclosure(data: dict[str, Any]) -> None:
    big = copy.deepcopy(rule(data, "catch-all"))
    big.update(id="big-orders", when={"amount": {"gt": 5000}, "fee_disclosed": True})
    data["rules"].insert(0, big)
    policy = Policy.from_data(data, source="inline", catalog=bot_texts())
    base = {
        "order_status": "paid_undelivered",
        "cause": "out_of_stock",
        "platform_type": "official",
        "payment_channel": "alipay",
        "hours_since_payment": 1,
    }
    assert decide(policy, Facts(amount=5000.01, **base)).rule_id == "big-orders"
    assert decide(policy, Facts(amount=5000, **base)).rule_id == "undelivered-merchant"
    assert (
        decide(policy, Facts(amount=6000, fee_disclosed=False, **base)).rule_id
        == "undelivered-merchant"
    )


def test_from_data_names_its_source(data: dict[str, Any]) -> None:
    rule(data, "delivered-buyer-side")["fee_percent"] = 50
    with pytest.raises(
        PolicyError,
        match=r"^platform-x: rule 'delivered-buyer-side': fee_percent: must be <= fee cap 10$",
    ):
        Policy.from_data(data, source="platform-x", catalog=bot_texts())


def test_bad_extra_window_does_not_crash_the_rule_checks(
    in_tmp: Path, data: dict[str, Any]
) -> None:
    data["windows"]["grace_hours"] = "soon"
    rule(data, "undelivered-buyer-late")["when"]["hours_since_payment"] = {"gt": "grace_hours"}
    errors = errors_of(in_tmp, data)
    assert "knowledge/policy.yaml: windows.grace_hours: must be a number > 0" in errors


def test_model_copy_recompiles(data: dict[str, Any]) -> None:
    policy = Policy.from_data(data, catalog=bot_texts())
    other = policy.model_copy(update={"version": "copied"})
    facts = Facts(
        order_status="unpaid",
        cause="changed_mind",
        platform_type="official",
        payment_channel="alipay",
        amount=1,
    )
    assert decide(other, facts).policy_version == "copied"
    assert decide(policy, facts).policy_version == "default-1.0"


def test_the_domain_package_imports_no_io_layer() -> None:
    """bot.domain.rules imports pydantic and PyYAML only: no aiogram, database or HTTP."""
    import subprocess
    import sys

    code = (
        "import sys, bot.domain.rules, bot.commands.check, bot.commands.policy; "
        "layers = ('aiogram', 'sqlmodel', 'sqlalchemy', 'aiohttp', 'redis', 'asyncpg', 'httpx', "
        "'bot.storage', 'bot.telegram', 'bot.llm', 'bot.services'); "
        "print(sorted(m for m in sys.modules if m.startswith(layers)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_domain_package_reads_no_files() -> None:
    """File loading left the domain: bot.domain.rules imports no YAML reader, no catalogs,
    no project paths; bot.policy_files does the reading."""
    import subprocess
    import sys

    code = (
        "import sys, bot.domain.rules; "
        "banned = ('yaml', 'bot.i18n', 'bot.paths', 'bot.policy_files', 'bot.knowledge', 'bot.config'); "
        "print(sorted(m for m in sys.modules if m.startswith(banned)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
    rules_dir = Path(__file__).resolve().parents[2] / "bot" / "domain" / "rules"
    for path in rules_dir.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "open(" not in text and "read_text" not in text and "read_bytes" not in text, (
            path.name
        )


def test_a_policy_file_with_a_bom_loads(in_tmp: Path, data: dict[str, Any]) -> None:
    path = write(in_tmp, data)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_policy(path).version == "default-1.0"


def test_a_policy_file_that_is_not_utf8(in_tmp: Path) -> None:
    path = in_tmp / "knowledge" / "policy.yaml"
    path.write_bytes("version: 政策".encode("gb18030"))
    with pytest.raises(PolicyError, match=r"^knowledge/policy.yaml: not UTF-8 text"):
        load_policy(path)
