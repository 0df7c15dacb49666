"""`refund-bot check` and `refund-bot policy validate`, through the real dispatcher."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.policy_files import DEFAULT_POLICY_PATH

REPO = DEFAULT_POLICY_PATH.parents[1]

GOOD = {
    "order_status": "delivered",
    "cause": "changed_mind",
    "platform_type": "aggregator",
    "payment_channel": "bank_card",
    "amount": 120.5,
    "hours_since_payment": 3,
}


def run_check(
    argv: list[str], stdin: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[dict[str, Any]], str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_one_object(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, lines, err = run_check([], json.dumps(GOOD, indent=2), capsys, monkeypatch)
    assert code == 0 and err == ""
    (decision,) = lines
    assert decision["rule_id"] == "delivered-buyer-side"
    assert decision["outcome"] == "partial_refund"
    assert decision["fee_percent"] == 10
    assert decision["refund_amount"] == 108.45
    assert decision["expected_arrival"] == {"min_days": 2, "max_days": 5, "working_days": True}
    assert decision["deadlines"]["merchant_response"] == {"amount": 24, "unit": "hours"}
    assert decision["policy_version"] == "default-1.0"


def test_mixed_jsonl_keeps_order_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "\n".join(
        [
            json.dumps(GOOD),
            json.dumps({**GOOD, "cause": "bogus", "amount": -1}),
            "",  # blank lines are skipped
            "{not json",
            json.dumps({**GOOD, "order_status": "unpaid", "hours_since_payment": None}),
            json.dumps({k: v for k, v in GOOD.items() if k != "hours_since_payment"}),
            json.dumps(
                {**GOOD, "amount": "ten", "fee_disclosed": "no", "extra": 1, "evidence": ["photo"]}
            ),
            "[1, 2]",
            json.dumps({**GOOD, "fee_disclosed": False}),
        ]
    )
    code, lines, _ = run_check(["-"], stdin, capsys, monkeypatch)
    assert code == 2
    assert len(lines) == 8
    assert lines[0]["rule_id"] == "delivered-buyer-side"
    assert lines[1]["line"] == 2 and set(lines[1]["fields"]) == {"cause", "amount"}
    assert lines[1]["error"] == "invalid facts"
    assert "unknown code 'bogus'" in lines[1]["fields"]["cause"]
    assert lines[2]["line"] == 4 and lines[2]["error"].startswith("invalid JSON")
    assert lines[3]["rule_id"] == "unpaid-cancel"
    assert lines[4] == {
        "error": "invalid facts",
        "fields": {"hours_since_payment": "required unless order_status is unpaid"},
        "line": 6,
    }
    assert set(lines[5]["fields"]) == {"amount", "fee_disclosed", "extra", "evidence[0]"}
    assert lines[6] == {"error": "expected a JSON object", "fields": {}, "line": 8}
    assert lines[7]["outcome"] == "full_refund" and lines[7]["refund_amount"] == 120.5


def test_all_valid_jsonl_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        json.dumps({**GOOD, "cause": c}) for c in ("invalid_product", "not_as_described", "other")
    ]
    code, lines, _ = run_check([], "\n".join(rows) + "\n", capsys, monkeypatch)
    assert code == 0
    assert [d["rule_id"] for d in lines] == [
        "delivered-faulty",
        "delivered-not-as-described",
        "other-cause",
    ]


def test_empty_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_check([], "\n\n", capsys, monkeypatch)[:2] == (0, [])


def test_file_argument_and_policy_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    data["version"] = "other-7"
    policy = tmp_path / "p.yaml"
    policy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    facts = tmp_path / "facts.jsonl"
    facts.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    code, lines, _ = run_check([str(facts), "--policy", str(policy)], "", capsys, monkeypatch)
    assert code == 0 and lines[0]["policy_version"] == "other-7"
    monkeypatch.setenv("POLICY_FILE", str(policy))
    code, lines, _ = run_check([str(facts)], "", capsys, monkeypatch)
    assert code == 0 and lines[0]["policy_version"] == "other-7"


def test_bad_policy_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\n", encoding="utf-8")
    code, lines, err = run_check(["--policy", str(bad)], json.dumps(GOOD), capsys, monkeypatch)
    assert code == 1 and lines == []
    assert "bad.yaml" in err


def test_missing_facts_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run_check([str(tmp_path / "none.jsonl")], "", capsys, monkeypatch)
    assert code == 1 and "cannot read" in err


def test_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--nope"]) == 2
    assert main(["policy"]) == 2
    capsys.readouterr()


def test_policy_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "validate", str(DEFAULT_POLICY_PATH)]) == 0
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1
    assert (
        out.startswith("OK ")
        and "version default-1.0" in out
        and "20 rules" in out
        and "fee cap 10%" in out
    )


def test_policy_validate_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    next(r for r in data["rules"] if r["id"] == "delivered-buyer-side")["fee_percent"] = 20
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["policy", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "rule 'delivered-buyer-side': fee_percent: must be <= fee cap 10" in err


def test_policy_validate_against_knowledge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.md").write_text("# Fees {#fees}\n", encoding="utf-8")
    assert main(["policy", "validate", str(DEFAULT_POLICY_PATH), "--knowledge", str(tmp_path)]) == 1
    assert "unknown knowledge-base section" in capsys.readouterr().err
    assert main(["policy", "validate", "--knowledge", str(tmp_path / "nowhere")]) == 1


def test_subprocess_entry_point() -> None:
    """The real process: `python -m bot check` reading JSON Lines on stdin."""
    stdin = json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "amount": 0}) + "\n"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["rule_id"] == "delivered-buyer-side"
    assert second == {
        "error": "invalid facts",
        "fields": {"amount": "must be greater than 0"},
        "line": 2,
    }


def test_policy_validate_warns_about_shadowed_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    shadowed = dict(data["rules"][-2], id="never-reached")  # a copy of used-faulty-late, after it
    data["rules"].insert(len(data["rules"]) - 1, shadowed)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["policy", "validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK ")
    assert "rule 'never-reached': never reached" in captured.err
    assert "used-faulty-late" not in captured.err


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"hours_since_payment": -1}, {"hours_since_payment": "must be >= 0"}),
        ({"amount": 0}, {"amount": "must be greater than 0"}),
        ({"amount": "abc"}, {"amount": "must be a number"}),
        ({"amount": True}, {"amount": "must be a number, not a boolean"}),
        ({"amount": float("nan")}, {"amount": "must be a finite number"}),
        ({"amount": 0.004}, {"amount": "must be at least 0.01"}),
        ({"amount": 1e12}, {"amount": "must be at most 1000000000"}),
        (
            {"hours_since_completion": 5},
            {"hours_since_completion": "cannot be more than hours_since_payment"},
        ),
        ({"evidence": "payment_record"}, {"evidence": "must be a list of evidence kinds"}),
        (
            {"order_status": None},
            {
                "order_status": "unknown code None; expected one of: unpaid, paid_undelivered, delivered, redeemed, completed"
            },
        ),
    ],
)
def test_parse_facts_reasons(changes: dict[str, Any], fields: dict[str, str]) -> None:
    from bot.domain.rules import FactsError, parse_facts

    with pytest.raises(FactsError) as info:
        parse_facts({**GOOD, **changes})
    assert info.value.fields == fields


def test_json_array(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = json.dumps(
        [GOOD, {**GOOD, "cause": "bogus"}, "text", {**GOOD, "order_status": "unpaid"}], indent=2
    )
    code, lines, err = run_check([], stdin, capsys, monkeypatch)
    assert code == 2 and err == ""
    assert [line.get("rule_id") for line in lines] == [
        "delivered-buyer-side",
        None,
        None,
        "unpaid-cancel",
    ]
    assert lines[1]["index"] == 1 and set(lines[1]["fields"]) == {"cause"}
    assert lines[2] == {"error": "expected a JSON object", "fields": {}, "index": 2}


def test_empty_json_array(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_check([], "[]", capsys, monkeypatch) == (0, [], "")


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(GOOD),  # one object
        json.dumps([GOOD, GOOD]),  # an array
        json.dumps(GOOD) + "\n" + json.dumps(GOOD),  # JSON Lines
    ],
    ids=["object", "array", "jsonl"],
)
def test_utf8_bom_is_ignored(
    body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "facts.json"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    decisions = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and err == ""
    assert decisions and all(d["rule_id"] == "delivered-buyer-side" for d in decisions)
    # the same bytes on standard input
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes()), encoding="utf-8")
    )
    assert main(["check"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == decisions


def test_bom_before_a_pretty_printed_array(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, lines, _ = run_check(
        [], "\ufeff" + json.dumps([GOOD, GOOD], indent=2), capsys, monkeypatch
    )
    assert code == 0 and [line["rule_id"] for line in lines] == ["delivered-buyer-side"] * 2


def test_bom_on_every_line_of_concatenated_jsonl(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = "\ufeff" + json.dumps(GOOD) + "\n\ufeff" + json.dumps(GOOD)
    code, lines, _ = run_check([], stdin, capsys, monkeypatch)
    assert code == 0 and len(lines) == 2


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.domain.rules import parse_facts
    from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PaymentChannel, PlatformType

    assert main(["check", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    props = schema["properties"]
    assert set(props) == {
        "order_status",
        "cause",
        "platform_type",
        "payment_channel",
        "amount",
        "hours_since_payment",
        "hours_since_completion",
        "fee_disclosed",
        "evidence",
    }
    assert set(schema["required"]) == {
        "order_status",
        "cause",
        "platform_type",
        "payment_channel",
        "amount",
    }
    assert schema["additionalProperties"] is False
    defs = schema["$defs"]
    for name, enum in (
        ("OrderStatus", OrderStatus),
        ("Cause", Cause),
        ("PlatformType", PlatformType),
        ("PaymentChannel", PaymentChannel),
        ("EvidenceKind", EvidenceKind),
    ):
        assert defs[name]["enum"] == [code.value for code in enum]
    assert props["amount"]["type"] == "number" and props["amount"]["exclusiveMinimum"] == 0
    assert all(p.get("description") for p in props.values())
    for example in schema["examples"]:
        parse_facts(example)


def test_schema_fields_are_documented() -> None:
    """docs/rules.md documents every facts field with its type and allowed values."""
    from bot.domain.rules import Facts
    from bot.domain.vocab import Cause

    doc = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Facts") :]
    for name in Facts.model_fields:
        assert f"| `{name}` |" in section, name
    for code in Cause:
        assert f"`{code.value}`" in section, code
