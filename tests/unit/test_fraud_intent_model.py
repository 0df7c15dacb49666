"""The classifier reads intent, not only phrases: intent slots built from the concepts, the
rule signals of the text checks, intent features not diluted by a text's length, and
thresholds calibrated in training that ship with the weights. Also the rules that keep
hard negatives of the new training styles quiet (stories, talk about scams, paying to the
platform), tested with the classifier off."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.detector import prose_of
from bot.domain.fraud.model import LOW_AT, MEDIUM_AT, TextModel, features
from bot.domain.fraud.resources import read_text
from bot.domain.fraud.reveal import expand_slang
from bot.services.scam import fraud_texts

ROOT = Path(__file__).resolve().parents[2]


def _train() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(
        "train_fraud_model", ROOT / "bench" / "train_fraud_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_fraud_model"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rules() -> Detector:
    return Detector(texts=fraud_texts(), model=TextModel.off())


def _slots(text: str) -> set[str]:
    return {f for f in features(prose_of(text)) if f.startswith("s:")}


def test_intent_slots_combine_what_a_message_asks() -> None:
    slots = _slots("你先把钱转给我，这事别告诉别人")
    assert {"s:money", "s:first", "s:secret", "s:money+first", "s:money+secret+first"} <= slots
    en = _slots("Please pay first and keep this between us, I'm the manager here")
    assert {"s:money", "s:first", "s:secret", "s:authority"} <= en
    # ordinary chat asks nothing: no request slot
    assert not {"s:money", "s:code", "s:install", "s:offsite"} & _slots(
        "今天天气不错，晚上一起吃饭吧"
    )


def test_rule_signals_are_features_and_the_detector_passes_them() -> None:
    assert "r:req_code" in features("x" * 20, ["req_code"])
    assert "r:req_code+scam_claim" in features("x" * 20, ["scam_claim", "req_code"])
    # a model that knows only the rule signal of a transfer request
    model = TextModel({"r:req_transfer": 40.0}, -3.0)
    detector = Detector(texts=fraud_texts(), model=model)
    text = "你把余额全部转到这个安全账户，我们核查完再还给你"
    _, signals = detector.model_input(text)
    assert "req_transfer" in signals
    finding = next(f for f in detector.scan_text(text).findings if f.check == "model.text")
    assert "req transfer" in finding.detail or "r:req" in finding.detail
    assert model.score(prose_of(text)).probability < 0.1  # without the signals it sees nothing


def test_intent_features_weigh_the_same_in_short_and_long_texts() -> None:
    model = TextModel({"c:pay": 10.0}, -1.0)
    short = model.score(prose_of("你先付款给我吧朋友谢谢你了哈")).probability
    long = model.score(
        prose_of("你先付款给我吧朋友谢谢，" + "我们这家店开了很多年了，老顾客都知道的，" * 6)
    ).probability
    assert short > 0.5
    assert abs(short - long) < 1e-9


def test_the_calibrated_thresholds_ship_with_the_model() -> None:
    data = json.loads(read_text("text_model.json"))
    th = data["thresholds"]
    assert 0.0 < th["low"] <= th["medium"] < 1.0
    model = TextModel.load()
    assert (model.low_at, model.medium_at) == (th["low"], th["medium"])
    bare = TextModel({}, 0.0)
    assert (bare.low_at, bare.medium_at) == (LOW_AT, MEDIUM_AT)
    with pytest.raises(ValueError, match="order"):
        TextModel({}, 0.0, low_at=0.9, medium_at=0.8)


def test_the_detector_uses_the_model_thresholds() -> None:
    text = "亲，你先付款给我，我马上给你发货"
    weights = {"c:pay": 1.0}
    p = TextModel(weights, 0.0).score(prose_of(text)).probability
    strict = Detector(
        texts=fraud_texts(), model=TextModel(weights, 0.0, low_at=0.4, medium_at=0.99)
    )
    loose = Detector(
        texts=fraud_texts(), model=TextModel(weights, 0.0, low_at=0.4, medium_at=p - 0.01)
    )

    def model_severity(d: Detector) -> Risk:
        return next(f.severity for f in d.scan_text(text).findings if f.check == "model.text")

    assert model_severity(strict) is Risk.LOW
    assert model_severity(loose) is Risk.MEDIUM


def test_thresholds_are_chosen_for_a_false_positive_rate() -> None:
    train = _train()
    rng = np.random.default_rng(1)
    probs = np.concatenate([rng.uniform(0, 0.8, 200), rng.uniform(0.5, 1.0, 200)])
    y = np.concatenate([np.zeros(200), np.ones(200)])
    for fpr in (0.01, 0.05):
        th = train.threshold_at(probs, y, fpr, 0.0)
        assert (probs[y == 0] >= th).mean() <= fpr
        assert (probs[y == 0] >= th - 0.02).mean() > 0  # not far above the negatives
    thresholds = train.calibrate(probs, y)
    assert thresholds["low"] <= thresholds["medium"]


def test_folds_group_a_technique_in_one_fold() -> None:
    train = _train()
    cases = [{"technique": t} for t in ("a", "b", "c", "a", "b", "c", "a")] + [{}] * 20
    folds = train.fold_of(cases, 3)
    for t in ("a", "b", "c"):
        assert (
            len({int(f) for f, c in zip(folds, cases, strict=True) if c.get("technique") == t}) == 1
        )


def test_a_warning_keeps_the_classifier_low_and_does_not_add_it_up() -> None:
    """A buyer quoting a scam to warn others: the rules keep their finding low, and the
    classifier (here one that calls everything a refund scam) neither reaches medium nor
    counts as a second low finding."""
    eager = Detector(texts=fraud_texts(), model=TextModel({"c:refund": 60.0}, 0.0))
    warning = "群里有人说退款要加他QQ领三倍赔偿，这种是骗子吧？大家别信"
    verdict = eager.scan_text(warning)
    assert verdict.risk is Risk.LOW, verdict.findings
    assert any(f.check == "model.text" for f in verdict.findings)
    # the same words without the warning are a scam
    assert eager.scan_text("退款要加我QQ领三倍赔偿，名额有限").at_least(Risk.MEDIUM)


def test_final_warning_is_a_scam_line_not_talk_about_scams(rules: Detector) -> None:
    sig = rules.text.check(prose_of("This is your final warning, pay the fee today or else"))
    assert not sig.discussion
    for threat in ("Last warning: send the verification code now",):
        assert not rules.text.check(prose_of(threat)).discussion, threat
        assert rules.scan_text(threat).at_least(Risk.MEDIUM), threat
    assert rules.text.check(
        prose_of("someone offered me a double refund if I add him, blocked and reported")
    ).discussion


def test_a_group_story_with_a_refusal_is_no_request(rules: Detector) -> None:
    assert not rules.scan_text("兼职群里让先垫付的，我都退群了").at_least(Risk.MEDIUM)
    assert rules.scan_text("群里让大家先垫付，返利更高").at_least(Risk.MEDIUM)


def test_saying_something_is_illegal_is_a_warning(rules: Detector) -> None:
    assert not rules.scan_text("出租、出借银行卡是违法的，会被列入惩戒名单").at_least(Risk.MEDIUM)
    assert rules.scan_text("出租银行卡不违法，一天给你200").at_least(Risk.MEDIUM)


def test_paying_to_the_platform_is_no_prepayment(rules: Detector) -> None:
    assert not rules.scan_text("老板说钱先打到平台，确认收到卡再放款，这样挺安全").at_least(
        Risk.MEDIUM
    )
    assert not rules.scan_text(
        "I need to pay first on the site, right? then the code is emailed"
    ).at_least(Risk.MEDIUM)
    assert rules.scan_text("先把钱打到我个人账户，平台太慢").at_least(Risk.MEDIUM)


def test_pinyin_after_its_own_characters_is_not_doubled() -> None:
    assert expand_slang("退款加我 jia wo kou kou 3367281").count("加我") == 1
    assert "加我" in expand_slang("退款 jia wo kou kou 3367281")


def test_an_invitation_to_a_meeting_app_group_asks_the_reader_nothing(rules: Detector) -> None:
    # 请 inside 邀请 or 申请 addresses no one
    assert not rules.scan_text("同学们，班级群换到新的钉钉群了，老师发了邀请").at_least(Risk.MEDIUM)
    for notice in (
        "部门的共享屏幕演示改到明天，领导已经发了会议邀请",
        "公司申请了远程协助软件，IT部门发了邀请",
    ):
        assert not rules.scan_text(notice).at_least(Risk.MEDIUM), notice
    assert rules.scan_text("退款请下载钉钉，我邀请您进会议共享屏幕").at_least(Risk.MEDIUM)
