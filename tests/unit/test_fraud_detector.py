"""The detector's API: verdict shape, risk aggregation, advice and explanations."""

from __future__ import annotations

import json

import pytest

from bot.domain.fraud import Detector, Finding, FraudConfig, LinkRef, MessageInput, Risk, Verdict
from bot.domain.fraud.model import TextModel
from bot.domain.fraud.resources import load_yaml
from bot.i18n import catalog
from bot.services.scam import fraud_texts


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(
        FraudConfig(allow_domains=[], platform_domains=[], protected_brands=None),
        texts=fraud_texts(),
        model=TextModel.off(),
    )


def test_clean_message(detector: Detector) -> None:
    verdict = detector.scan_text("你好，我想问一下怎么申请退款")
    assert isinstance(verdict, Verdict)
    assert verdict.risk is Risk.NONE
    assert verdict.findings == []
    assert set(verdict.advice) == {"zh", "en"}


def test_verdict_explains_itself(detector: Detector) -> None:
    verdict = detector.scan_text("您的订单退款失败，请点击 a1ipay.com/r 重新申请")
    assert verdict.risk is Risk.HIGH
    lookalike = next(f for f in verdict.findings if f.check == "url.lookalike")
    assert isinstance(lookalike, Finding)
    assert lookalike.detail == "lookalike of alipay.com (homoglyph/confusable spelling)"
    assert lookalike.url == "a1ipay.com/r"
    assert "a1ipay.com" in lookalike.explain["zh"] and "alipay.com" in lookalike.explain["en"]
    # findings come most severe first; the advice covers what was found and a real refund
    assert [f.severity.rank for f in verdict.findings] == sorted(
        (f.severity.rank for f in verdict.findings), reverse=True
    )
    assert "原支付路径" in verdict.advice["zh"]
    assert "the way you paid" in verdict.advice["en"]
    assert lookalike.explain["zh"] in verdict.advice["zh"]


def test_model_dump_is_json(detector: Detector) -> None:
    verdict = detector.scan(
        MessageInput(
            text="查看退款",
            links=[LinkRef(url="https://evil.top/x", visible_text="www.alipay.com")],
        )
    )
    data = verdict.model_dump(mode="json")
    assert data["risk"] == "high"
    assert {"check", "severity", "detail", "url", "explain"} <= set(data["findings"][0])
    json.dumps(data, ensure_ascii=False)
    assert Verdict.model_validate(data) == verdict


def test_caption_is_scanned(detector: Detector) -> None:
    verdict = detector.scan(MessageInput(caption="退款请提供验证码"))
    assert verdict.risk is Risk.HIGH


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        ("bit.ly/abc", "low"),  # one weak finding
        ("http://45.77.12.8/x", "medium"),  # one medium finding
        ("my-shop.top/alipay", "medium"),  # two distinct low findings
        ("http://45.77.12.8/x 和 xn--80ak6aa92e.com", "high"),  # two distinct medium findings
    ],
)
def test_risk_aggregation(detector: Detector, text: str, risk: str) -> None:
    assert detector.scan_text(text).risk == Risk(risk)


def test_every_check_has_texts() -> None:
    """Every check and request kind the detector can report has a text in both languages."""
    checks = {
        "url.lookalike",
        "url.brand_in_domain",
        "url.brand_in_subdomain",
        "url.brand_in_path",
        "url.idn",
        "url.shortener",
        "url.ip_host",
        "url.userinfo",
        "url.suspicious_tld",
        "url.encoded",
        "link.text_mismatch",
        "contact.brand_handle",
        "text.scam_script",
        "text.sensitive_request",
        "text.scam_claim",
        "text.refund_link",
        "text.urgent_link",
        "text.pay_writer",
        "text.request_pretext",
        "model.text",
        "model.second_opinion",
    }
    scripts = load_yaml("scripts.yaml")
    for lang in ("zh", "en"):
        texts = catalog(lang)
        found = {
            k.removeprefix("fraud_advice.finding.")
            for k in texts
            if k.startswith("fraud_advice.finding.")
        }
        assert found == {c.replace(".", "_") for c in checks}
        for risk in Risk:
            assert texts[f"fraud_advice.risk.{risk.value}"]
        requests = {
            k.removeprefix("fraud_advice.request.")
            for k in texts
            if k.startswith("fraud_advice.request.")
        }
        assert requests == set(scripts["requests"]) | {"trust"}


def test_shortener_list_is_comprehensive() -> None:
    from bot.domain.fraud.resources import load_list

    shorteners = set(load_list("shorteners.txt"))
    assert len(shorteners) > 1000
    assert {"bit.ly", "t.cn", "url.cn", "tinyurl.com", "is.gd", "suo.im"} <= shorteners


def test_risk_helpers() -> None:
    assert Risk.HIGH.rank == 3 and Risk.from_rank(2) is Risk.MEDIUM
    v = Verdict(risk=Risk.MEDIUM)
    assert v.at_least("low") and v.at_least(Risk.MEDIUM) and not v.at_least("high")


def test_results_do_not_leak_between_scans(detector: Detector) -> None:
    first = detector.scan_text("hello")
    first.findings.append(Finding(check="x", severity=Risk.HIGH, detail="x"))
    assert detector.scan_text("hello").findings == []


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        ("退款验证码客服" * 580, "none"),  # many objects, no verb
        ("ab1." * 1000 + "com", "none"),  # a "host" longer than any DNS name
        ("https://alipay-tuikuan.com/" + "x" * 4000, "high"),
        ("好的," * 1300 + "验证码发给我", "medium"),
        ("a" * 4096, "none"),
    ],
)
def test_long_messages(detector: Detector, text: str, risk: str) -> None:
    assert detector.scan_text(text).risk == Risk(risk)
