"""The policy's buyer texts go through the bot's text catalogs, and read well.

A rule names its explanation by key; the texts live in bot/locales/<lang>/policy.toml (or in
the policy's own `texts:` table) and are checked on load: every key in zh and en, the same
placeholders, no internal ids shown to a buyer.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from bot.domain.rules import Policy, PolicyError, decide, sample_facts
from bot.domain.rules.texts import placeholders
from bot.i18n import catalog
from bot.policy_files import DEFAULT_POLICY_PATH, bot_texts, knowledge_ids, load_policy

POLICY = load_policy(DEFAULT_POLICY_PATH)
DEFAULT_DATA: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
CJK = r"[\u4e00-\u9fff]"
HALF_WIDTH_NEXT_TO_CJK = re.compile(rf"{CJK}\s*[,:;?!()]|[,:;?!()]\s*{CJK}")


def data() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_DATA)


def rule(d: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in d["rules"] if r["id"] == rule_id)


def errors(d: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyError) as info:
        Policy.from_data(d, source="p.yaml", catalog=bot_texts())
    return info.value.errors


def test_every_key_of_the_shipped_policy_is_in_both_catalogs() -> None:
    keys = (
        {r.explanation for r in POLICY.rules}
        | {r.explanation_fee_waived for r in POLICY.rules if r.explanation_fee_waived}
        | set(POLICY.arrival_notes.values())
        | {POLICY.notes.fee_waived}
    )
    assert set(POLICY.texts) == keys
    for key in keys:
        zh, en = catalog("zh")[key], catalog("en")[key]
        assert placeholders(zh) == placeholders(en), key
        assert POLICY.texts[key].zh == zh and POLICY.texts[key].en == en


def test_inline_texts_in_the_policy_are_refused() -> None:
    d = data()
    rule(d, "system-fault")["explanation"] = {"zh": "平台退款。", "en": "The platform refunds."}
    assert errors(d) == ["p.yaml: rule 'system-fault': explanation: Input should be a valid string"]


def test_a_missing_key_names_file_rule_field_and_language() -> None:
    d = data()
    rule(d, "system-fault")["explanation"] = "policy.rule.no-such-rule.explanation"
    assert errors(d) == [
        "p.yaml: rule 'system-fault': explanation: text 'policy.rule.no-such-rule.explanation' is missing in language 'zh'",
        "p.yaml: rule 'system-fault': explanation: text 'policy.rule.no-such-rule.explanation' is missing in language 'en'",
    ]


def test_a_policy_can_ship_its_own_texts() -> None:
    d = data()
    d["texts"] = {
        "zh": {
            "acme": {"fault": "平台故障，{amount} 元将全额退回。"}
        },  # nested tables are flattened
        "en": {"acme.fault": "A platform fault: the full {amount} CNY comes back."},
    }
    rule(d, "system-fault")["explanation"] = "acme.fault"
    policy = Policy.from_data(d, source="p.yaml", catalog=bot_texts())
    facts = next(f for f in sample_facts(policy, cause="system_fault", order_status="delivered"))
    decision = decide(policy, facts)
    assert decision.explanation.zh.startswith("平台故障，100.00 元将全额退回。")
    assert decision.explanation.en.startswith("A platform fault: the full 100.00 CNY comes back.")


@pytest.mark.parametrize(
    ("texts", "problem"),
    [
        (
            {"zh": {"acme.fault": "退 {amount} 元。"}, "en": {"acme.fault": "Refunded."}},
            "explanation: text 'acme.fault': the languages use different placeholders (zh: amount; en: none)",
        ),
        (
            {
                "zh": {"acme.fault": "退款。"},
                "en": {"acme.fault": "Refunded."},
                "fr": {"acme.fault": "Remboursé."},
            },
            "texts.fr: unknown language (use zh, en)",
        ),
        (
            {
                "zh": {"acme.fault": "退款。", "route.self_service": "x"},
                "en": {"acme.fault": "Refunded."},
            },
            "texts.zh: keys already in the bot's catalog: route.self_service",
        ),
        (
            {
                "zh": {"acme.fault": "详见（#arrival-times）。"},
                "en": {"acme.fault": "See the rules."},
            },
            "explanation: text 'acme.fault' (zh): shows the internal id '#arrival-times'",
        ),
        (
            {"zh": {"acme.fault": "退款。"}, "en": {"acme.fault": "Rule used-buyer-side applies."}},
            "explanation: text 'acme.fault' (en): shows the internal id 'used-buyer-side'",
        ),
        (
            {"zh": {"acme.fault": "退款。"}, "en": {"acme.fault": "See section unpaid-cancel."}},
            "explanation: text 'acme.fault' (en): shows the internal id 'unpaid-cancel'",
        ),
        (
            {"zh": {"acme.fault": "退款 {amount!r}。"}, "en": {"acme.fault": "Refunded {amount}."}},
            "explanation: text 'acme.fault' (zh): bad template",
        ),
    ],
)
def test_own_text_problems(texts: dict[str, Any], problem: str) -> None:
    d = data()
    d["texts"] = texts
    rule(d, "system-fault")["explanation"] = "acme.fault"
    found = errors(d)
    assert any(problem in e for e in found), found
    assert all(e.startswith("p.yaml: ") for e in found)


def test_buyer_texts_show_no_internal_ids_and_read_well() -> None:
    """Every explanation the shipped policy can produce, in both languages."""
    ids = {r.id for r in POLICY.rules} | {
        i for i in knowledge_ids(DEFAULT_POLICY_PATH.parent) if "-" in i
    }
    seen = set()
    for facts in sample_facts(POLICY):
        d = decide(POLICY, facts)
        key = (d.rule_id, d.explanation.zh)
        if key in seen:
            continue
        seen.add(key)
        for text in (d.explanation.zh, d.explanation.en):
            assert "#" not in text and "{" not in text, text
            assert not any(re.search(rf"\b{re.escape(i)}\b", text) for i in ids), text
        assert not HALF_WIDTH_NEXT_TO_CJK.search(d.explanation.zh), d.explanation.zh
        assert "你" not in d.explanation.zh
        assert "seller" not in d.explanation.en.lower() and "(s)" not in d.explanation.en
    assert len({rule_id for rule_id, _ in seen}) == len(POLICY.rules)
