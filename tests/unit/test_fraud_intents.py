"""Social engineering without a link or a trigger word (issue 13): pay privately, pay a
fee to unlock, prove something with money, hand over the goods first, trust me. Each
technique is tested on the rules alone (the classifier off) with several phrasings, beside
hard negatives that use the same words harmlessly; then the learned layer's concepts."""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.model import TextModel, concepts, features
from bot.services.scam import build_detector, fraud_texts


@pytest.fixture(scope="module")
def rules() -> Detector:
    return Detector(texts=fraud_texts(), model=TextModel.off())


@pytest.fixture(scope="module")
def full() -> Detector:
    return build_detector()


def flagged(detector: Detector, text: str) -> bool:
    return detector.scan_text(text).risk.rank >= Risk.MEDIUM.rank


PAY_PRIVATELY = [
    "直接转我个人微信，我这边马上发卡",
    "先别付款，加我私聊，我给你便宜点",
    "你相信我就行，我是这个群的管理员，转我200，下周给你翻倍",
    "Don't pay through the app, send it to my personal account and I'll ship today",
    "just pay me directly, it's quicker",
]
PAY_PRIVATELY_HARMLESS = [
    "平台提醒：请勿私下交易，所有付款都在平台内完成",
    "我们只在平台内收款，不会让您转到私人账户",
    "Never pay a seller directly, always use the checkout",
    "退款已原路退回您的支付宝，请查收",
    "退款转我200就行，我用的支付宝",
    "我已经转你200了，请查收",
]


@pytest.mark.parametrize("text", PAY_PRIVATELY)
def test_paying_privately_is_flagged(rules: Detector, text: str) -> None:
    verdict = rules.scan_text(text)
    assert verdict.risk.rank >= Risk.MEDIUM.rank, text
    assert any(f.check.startswith("text.") for f in verdict.findings)


@pytest.mark.parametrize("text", PAY_PRIVATELY_HARMLESS)
def test_paying_on_the_platform_or_warning_about_it_is_not(rules: Detector, text: str) -> None:
    assert not flagged(rules, text), text


FEE_OR_PROOF = [
    "补交50元手续费就能马上提现",
    "交20块恢复费就能找回装备",
    "Pay the 15 dollar release fee to unlock your refund",
    "Send 30 and get 300 in credits tonight",
    "为了证明账户是您本人的，请先转入一元",
    "Make a small test payment to verify you own the card",
]
FEE_OR_PROOF_HARMLESS = [
    "手续费是平台收的还是商家收的？",
    "交了会员费以后能打折吗",
    "充值100送10元，活动到月底",
    "请上传付款截图证明您已付款",
    "How long does identity verification take?",
    "先付款还是先发货？",  # a question between two options asks, it does not request
]


@pytest.mark.parametrize("text", FEE_OR_PROOF)
def test_money_to_unlock_or_to_prove_something_is_flagged(rules: Detector, text: str) -> None:
    assert flagged(rules, text), text


@pytest.mark.parametrize("text", FEE_OR_PROOF_HARMLESS)
def test_fees_promotions_and_proof_screenshots_are_not(rules: Detector, text: str) -> None:
    assert not flagged(rules, text), text


GOODS_FIRST = [
    "激活码先发我，我确认能用马上付钱",
    "把刚收到的兑换码发回给我，系统发错了",
    "Send me the gift card codes you got and I'll pay after checking",
]
GOODS_HARMLESS = [
    "你好，卡密发我一下我帮你查是否被使用，如果没用过可以退款",
    "Can you send me the new code? The first one didn't work",
    "卡密已经发到您的订单里了，请在订单详情查看",
]


@pytest.mark.parametrize("text", GOODS_FIRST)
def test_handing_over_the_goods_first_is_flagged(rules: Detector, text: str) -> None:
    verdict = rules.scan_text(text)
    assert verdict.risk.rank >= Risk.MEDIUM.rank, text
    assert "goods" in str([f.explain for f in verdict.findings]) or any(
        "goods" in f.detail for f in verdict.findings
    )


@pytest.mark.parametrize("text", GOODS_HARMLESS)
def test_asking_for_a_code_to_check_it_is_not(rules: Detector, text: str) -> None:
    assert not flagged(rules, text), text


# ------------------------------------------------------------------ the learned layer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("别在店里拍了，直接转我个人支付宝", {"pay", "private"}),
        ("let's skip the fees, pay me privately", {"pay", "private"}),
        ("先交押金，货马上到", {"pay", "first"}),
        ("send the deposit up front and it's yours", {"pay", "first"}),
        ("我是店主，你放心", {"authority", "trust"}),
        ("i'm the manager here, trust me", {"authority", "trust"}),
        ("不要私下转账", {"negation", "private"}),
    ],
)
def test_concepts_name_the_intent_in_either_language(text: str, expected: set[str]) -> None:
    found = concepts(text)
    assert expected <= found, found
    pairs = {f for f in features(text) if f.startswith("c:") and "+" in f}
    a, b = sorted(expected)[:2]
    assert f"c:{a}+{b}" in pairs


def test_the_classifier_flags_a_trust_me_script_no_rule_names(
    rules: Detector, full: Detector
) -> None:
    """No rule fires on these; the learned layer (n-grams and concept pairs) does."""
    texts = [
        # ("send the entry fee to me" is named by a rule now: money to the writer for a fee)
        "I run this server, so you can trust me: send the entry fee over and you're in",
        "我在这行干了好多年了，你信我，先把钱给我，今晚一定到",
        "老哥放心，我做这个很久了，钱先过来，号马上给你",
    ]
    for text in texts:
        assert not flagged(rules, text), text
        verdict = full.scan_text(text)
        assert verdict.risk.rank >= Risk.MEDIUM.rank, text
        assert "model.text" in verdict.checks


URGENT_ACTION_LINKS = [
    "Unpaid parking fine. Pay today to avoid a penalty: city-fines-pay.co",
    "Your account balance will be frozen: verify within 12 hours at secure-wallet-check.net",
    "您的会员将于今天到期，请在24小时内登录 vip-renew-center.com 更新付款信息，以免扣费失败",
]
LINKS_HARMLESS = [
    "今天的活动在这里 https://some-shop-promo.com 点击查看",
    "Meeting notes from today: https://docs-example.org/notes",
    "明天前在 https://www.alipay.com 登录核对账户余额",
    "Please log in today at https://course-portal-demo.org to see the new lessons",
    "今晚八点前登录 https://game-guild-demo.net 报名参加公会战",
]


@pytest.mark.parametrize("text", URGENT_ACTION_LINKS)
def test_an_urgent_login_or_payment_on_an_unknown_site_is_flagged(
    rules: Detector, text: str
) -> None:
    assert flagged(rules, text), text


def test_the_urgent_link_check_stands_on_its_own(rules: Detector) -> None:
    verdict = rules.scan_text(URGENT_ACTION_LINKS[0])
    assert verdict.checks == ["text.urgent_link"]
    assert "city-fines-pay.co" in verdict.advice["en"]


@pytest.mark.parametrize("text", LINKS_HARMLESS)
def test_links_without_an_urgent_account_action_are_not(rules: Detector, text: str) -> None:
    assert not flagged(rules, text), text


MONEY_MOVES = [
    "加我私聊，退款马上给你办",  # the refund moved to a private chat
    "表哥，我手机丢了换了号，先借我500，回头还你",  # a relative's emergency
    "打开手机银行，点转账那里，我一步步教你填",  # a transfer guided step by step
    "Open your banking app, go to payments, and I'll tell you what to type in each field",
]
MONEY_MOVES_HARMLESS = [
    "退款进度可以在平台App里查看，有问题联系平台客服",
    "商家让我加他微信退款，这是不是骗子？",
    "你能借我的充电宝用一下吗",
    "我打开手机银行查了一下转账记录，钱还没到",
]


@pytest.mark.parametrize("text", MONEY_MOVES)
def test_refunds_in_private_chats_loans_and_guided_transfers_are_flagged(
    rules: Detector, text: str
) -> None:
    assert flagged(rules, text), text


@pytest.mark.parametrize("text", MONEY_MOVES_HARMLESS)
def test_the_same_words_in_a_buyers_own_account_are_not(rules: Detector, text: str) -> None:
    assert not flagged(rules, text), text
