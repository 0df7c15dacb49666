"""The learned layer: the shipped classifier, its features, and its contribution to a
verdict, shown as a finding like any other check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.detector import LOW_AT, MEDIUM_AT, prose_of
from bot.domain.fraud.model import FEATURE_VERSION, MIN_CHARS, TextModel, features
from bot.domain.fraud.resources import read_text
from bot.services.scam import fraud_texts

ROOT = Path(__file__).resolve().parents[2]
# social engineering without a link or a trigger word the rules know (from the training data)
NO_TRIGGER_SCAMS = [
    "老板说了，今天之内不交钱订单就作废，你自己看着办",
    "I'm the head of risk control here, trust me, just follow my steps and you'll get your money back",
    "我可以给你看我的工牌，我就是客服部的，你还不信我吗",
]


@pytest.fixture(scope="module")
def model() -> TextModel:
    return TextModel.load()


def test_the_shipped_model_matches_this_code(model: TextModel) -> None:
    data = json.loads(read_text("text_model.json"))
    assert data["feature_version"] == FEATURE_VERSION
    assert len(model.weights) > 1000
    for name in data["trained_on"]:
        assert (ROOT / name).is_file(), name  # retraining needs the data it was trained on


def test_features_are_deterministic_and_fold_numbers() -> None:
    a = features(prose_of("加我 QQ 2845123367 退款"))
    b = features(prose_of("加我 QQ 9911223344 退款"))
    assert sorted(a) == sorted(b)  # any long number is "#"
    assert "w:qq" in a and "退款" in a
    assert features("") == []


def test_short_texts_are_not_judged(model: TextModel) -> None:
    for text in ("hello", "ok", "好的谢谢", "tk已到账"):
        assert len(text) < MIN_CHARS
        assert model.score(prose_of(text)).probability == 0.0


def test_scores_order_scams_above_ordinary_chat(model: TextModel) -> None:
    scam = model.score(
        prose_of(
            "您好，我是淘宝客服，您购买的商品有质量问题，我们将为您办理双倍赔偿，请把收到的验证码告诉我"
        )
    )
    chat = model.score(prose_of("我上周买的点卡一直没发货，在平台申请了退款，今天到账了，谢谢大家"))
    assert scam.probability >= MEDIUM_AT > LOW_AT > chat.probability


def test_the_model_contribution_is_a_finding() -> None:
    with_model = Detector(texts=fraud_texts())
    rules_only = Detector(texts=fraud_texts(), model=TextModel.off())
    for text in NO_TRIGGER_SCAMS:
        assert rules_only.scan_text(text).risk is Risk.NONE, text  # the rules see nothing
        verdict = with_model.scan_text(text)
        finding = next(f for f in verdict.findings if f.check == "model.text")
        assert finding.severity.rank >= Risk.LOW.rank
        assert "scam probability" in finding.detail
        assert finding.explain["zh"] and finding.explain["en"]


def test_a_model_low_and_a_rule_low_make_medium() -> None:
    """Layers add up: the classifier's "low" next to a rule's "low" is a warning."""
    detector = Detector(texts=fraud_texts())
    text = "您好，您在平台开通的会员明天到期会自动续费，我这边帮您处理一下，您先别急"
    verdict = detector.scan_text(text)
    lows = {f.check for f in verdict.findings if f.severity is Risk.LOW}
    if {"model.text", "text.scam_claim"} <= lows:
        assert verdict.risk is Risk.MEDIUM
    assert verdict.at_least(Risk.MEDIUM), verdict.findings


def test_retraining_with_a_different_feature_version_is_refused() -> None:
    with pytest.raises(ValueError, match="retrain"):
        TextModel({}, 0.0, version=FEATURE_VERSION + 1)
