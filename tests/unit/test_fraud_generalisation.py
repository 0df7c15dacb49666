"""General causes of held-out errors (leave-one-technique-out, issue 13), fixed as families.

- a bare negation split from its modal by the request ("不|需要交押金", "不|会要你先转"), a
  refusal to charge (不收), and whoever-asks after the item ("验证码任何人索要都不要给") cancel
  the request;
- a request someone else made, told with the writer's reaction ("还好没交", "一看就是假的",
  "拒了", "大家注意", "套路"), is a story; more requesters are named (买家, 陌生人, an app,
  a website, a text message);
- the classifier's concepts name a payment claimed as done (`paid`), logging in somewhere new
  (`login`), app updates, mining and betting, viruses and hackers, a boss; `paid` and `login`
  are intent slots;
- training weighs a message of no technique at UNTAGGED_WEIGHT, a technique message at 1.

Every text is a new instance written for these tests, none an evaluation batch's sentence.
Harmless texts are checked with the classifier off (the rules alone) and with it; scams that
must stay caught with the classifier off.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.model import concepts, slot_features

ROOT = Path(__file__).resolve().parents[2]

NEGATED = [
    "正规的兼职从来都不需要交任何押金，工资按月发",
    "找正规中介租房，不需要你先付看房费",
    "正规招聘公司不收取任何培训费和押金",
    "领奖不需要你另外转账，税款直接从奖金里扣",
]
ASKED = [
    "卖家需要你先交200保证金才能发货",
    "你需要先交300押金，我马上发货",
    "现在需要你先转500手续费才能提现",
]
WHOEVER_ASKS = [
    "验证码就是密码，任何人索要都不要给",
    "支付密码任何人索要都别给",
]
CODE_ASKED = [
    "验证码发给我，我帮你核对一下",
    "你的验证码报给我，别告诉任何人",
]
STORIES = [
    "陌生人让我先交500保证金才能领奖，还好没交",
    "买家说要我先交验证费才能收款，一看就是假的",
    "短信让我先交解冻费才能提现，大家注意",
    # a warning that ends "大家小心" asks nothing at all (it was a low "talk about scams" before)
    "骗子会冒充客服说你的会员要自动扣费，让你共享屏幕，大家小心",
]
STILL_SCAMS = [
    "客服说你要先交500保证金才能解冻，今天必须处理",
    "先交300押金，放心，不是套路",
    "大家注意，先交200会员费就能进内部群",
]


# negated requests, whoever-asks advice and stories: below medium with the rules alone
QUIET = [*NEGATED, *WHOEVER_ASKS, *STORIES]
# the same requests asked for real: medium or more with the rules alone
CAUGHT = [*ASKED, *CODE_ASKED, *STILL_SCAMS]


@pytest.mark.parametrize("text", QUIET)
def test_negated_requests_advice_and_stories_are_below_medium(rules: Detector, text: str) -> None:
    assert rules.scan_text(text).risk.rank < Risk.MEDIUM.rank


@pytest.mark.parametrize("text", CAUGHT)
def test_the_same_requests_asked_for_real_stay_caught(rules: Detector, text: str) -> None:
    assert rules.scan_text(text).at_least(Risk.MEDIUM)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("我已经付款了，你看截图，快发货", "paid"),
        ("i've sent the payment, it's pending on my side", "paid"),
        ("老用户请到新站登录，账号密码不变", "login"),
        ("点链接登录一下就行", "login"),
        ("connect your wallet and approve to claim", "login"),
        ("银行app需要更新，请下载新版安装包", "install"),
        ("云挖矿，托管一台就行", "invest"),
        ("跟着我下注，彩票稳赚", "invest"),
        ("您的电脑中了病毒，账户被黑客入侵", "threat"),
        ("your pc is infected and your account was hacked", "threat"),
        ("我是公司财务总监，这事保密", "authority"),
        ("this is the ceo, wire it today", "authority"),
        ("我在开会不方便接电话", "secret"),
    ],
)
def test_the_wider_concepts(text: str, concept: str) -> None:
    assert concept in concepts(text)


@pytest.mark.parametrize(
    ("found", "slot", "present"),
    [
        ({"paid", "goods"}, "s:paid", True),
        ({"paid", "ask"}, "s:paid", True),
        ({"paid", "narrative"}, "s:paid", False),  # "我已付款，等发货": the writer's own order
        ({"login", "you"}, "s:login", True),
        ({"login", "asset"}, "s:login", True),
        ({"login"}, "s:login", False),  # "登录后可以查看订单"
    ],
)
def test_paid_and_login_are_intent_slots(found: set[str], slot: str, present: bool) -> None:
    assert (slot in slot_features(found)) is present


def _trainer():
    spec = importlib.util.spec_from_file_location(
        "train_fraud_model", ROOT / "bench" / "train_fraud_model.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_fraud_model"] = module
    spec.loader.exec_module(module)
    return module


def test_a_message_of_no_technique_weighs_less_in_training() -> None:
    train = _trainer()
    assert 0 < train.UNTAGGED_WEIGHT < 1
    weights = train.sample_weights(
        [
            {"technique": "pay_first"},
            {"category": "train_vip_agent_zh"},  # an older category the taxonomy maps
            {"category": "benign_chat_zh"},
            {},
        ]
    )
    assert weights.tolist() == [1.0, 1.0, train.UNTAGGED_WEIGHT, train.UNTAGGED_WEIGHT]


def test_the_weights_change_what_the_classifier_learns() -> None:
    train = _trainer()
    # one n-gram in a scam of a technique and in a harmless message of none: weighted,
    # the technique's message decides its sign
    rows = [["x", "a"], ["x", "b"], ["y", "a"], ["y", "b"]]
    y = np.array([1.0, 0.0, 0.0, 1.0])
    weights = np.array([1.0, train.UNTAGGED_WEIGHT, 1.0, train.UNTAGGED_WEIGHT])
    vocab, w, _ = train.fit(rows, y, weights)
    assert w[vocab["x"]] > 0 > w[vocab["y"]]
    vocab, w, _ = train.fit(rows, y)
    assert abs(w[vocab["x"]] - w[vocab["y"]]) < 1e-6


# "短信让我先交解冻费…，大家注意" stays medium with the classifier (a scam line and the
# classifier's low finding): "大家注意" opens scammers' group notices too, so it is no talk
# about scams
@pytest.mark.parametrize("text", [*NEGATED, *WHOEVER_ASKS, *STORIES[:2], *STORIES[3:]])
def test_advice_and_stories_stay_quiet_with_the_classifier(detector: Detector, text: str) -> None:
    assert detector.scan_text(text).risk.rank < Risk.MEDIUM.rank
