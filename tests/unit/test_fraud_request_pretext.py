"""A request with any pretext, bill splits, and the platform put aside (issue 13).

- `text.request_pretext` (scripts.yaml `request_pretext`): what the reader is asked to do (a
  request of the rules, or money moved to the writer: `TextSignals.payee`) together with any
  reason of the classifier's wide vocabulary (charity, an authority, a gain, a threat,
  secrecy, money released, proof; a refund for anything but money to the writer) reaches
  medium, so a technique in words no rule names still warns when it asks something;
- a bill split among friends (`TextSignals.bill_split`) is no request, and the classifier's
  finding on it stays low;
- putting the platform aside ("别在平台拍了，直接转我") is an off-platform request, while the
  risk of a private deal told as a warning ("私下转账出了问题平台不管") is not.

Every text here is a new instance written for these tests, none an evaluation batch's
sentence. Scams are checked with the classifier off (the rules alone must reach medium);
harmless texts with and without it.
"""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.model import TextModel


def _checks(detector: Detector, text: str) -> dict[str, Risk]:
    return {f.check: f.severity for f in detector.scan_text(text).findings}


# a request no scam line of the rules names, with a pretext of the wide vocabulary
REQUEST_PRETEXT_SCAMS = [
    # charity to a person
    "邻居家孩子查出白血病，手术费差八万，大家直接转到孩子爸爸的微信，能帮一点是一点",
    "寺里修大殿缺钱，功德款扫我的收款码就行，随喜",
    "food bank volunteers here, our van broke down, please send what you can to my cashapp",
    "my niece needs surgery, every dollar helps, chip in through my venmo tonight",
    # an authority asking for an install or a new chat
    "我是片区民警，你的银行卡涉案，马上下载我发的这个办案软件配合核查",
    "this is the tax office, install the secure assistant app we send so we can close your case",
    "我是你们楼的物业经理，维修基金要重新登记，加我企业微信，搜这个号加我",
    # a gain or money released in exchange for a code, an install, a chat
    "佣金已经到了你账上，提现要先装一下我们的结算助手",
    "your bonus is ready to withdraw, talk to our payout desk on telegram to release it",
    # secrecy with money for the writer
    "这事悄悄办，先转2000到我给你的卡上，别让你家里知道",
]

# a buyer asks for their own refund: a refund is no pretext for money to the writer (the
# classifier alone still reads some of these as medium: a known limit, so the rules only)
OWN_REFUND = [
    "退款转我300就行，我付款用的微信",
    "Can you refund me the $12 to the card I paid with? Thanks",
]

REQUEST_PRETEXT_HARMLESS = [
    # the official channel named
    "退款请在官方App的订单页面申请，客服会原路退回",
    "Update the official app to claim the reward, it's under Settings > Rewards",
    # a warning
    "骗子会冒充民警让你下载办案软件，千万别装",
    # everyday money talk, no pretext
    "这周末搬家，帮我叫个车，钱我转你",
    "I'll be late, the meeting moved to four",
    "店门口那个收款码是老板的，扫那个付就行",
]


@pytest.mark.parametrize("text", REQUEST_PRETEXT_SCAMS)
def test_a_request_with_any_pretext_reaches_medium(rules: Detector, text: str) -> None:
    verdict = rules.scan_text(text)
    assert verdict.at_least(Risk.MEDIUM), (text, verdict.findings)


def test_the_request_pretext_finding_is_what_catches_them(rules: Detector) -> None:
    """Most of the scams above are caught by this finding and nothing else of the rules."""
    only = [
        t
        for t in REQUEST_PRETEXT_SCAMS
        if {c for c, s in _checks(rules, t).items() if s.rank >= Risk.MEDIUM.rank}
        == {"text.request_pretext"}
    ]
    assert len(only) >= 6, only


@pytest.mark.parametrize("text", REQUEST_PRETEXT_HARMLESS)
def test_a_request_without_a_pretext_or_with_the_channel_is_quiet(
    rules: Detector, detector: Detector, text: str
) -> None:
    assert "text.request_pretext" not in _checks(rules, text), text
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text
    assert not detector.scan_text(text).at_least(Risk.MEDIUM), text


@pytest.mark.parametrize("text", OWN_REFUND)
def test_a_refund_is_no_pretext_for_money_to_the_writer(rules: Detector, text: str) -> None:
    assert "text.request_pretext" not in _checks(rules, text), text
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text


# a request with a pretext that names the official channel: what a real notice asks (the
# classifier alone reads some of them as medium, so the rules only)
CHANNEL = [
    "To claim the cashback, send us your receipt through the official app",
    "To claim the cashback, send us your receipt in the app",
]


@pytest.mark.parametrize("text", CHANNEL)
def test_a_request_through_the_official_channel_is_no_request_with_a_pretext(
    rules: Detector, text: str
) -> None:
    assert "text.request_pretext" not in _checks(rules, text), text


BILL_SPLITS = [
    "昨天火锅一共360，你转我120就行",
    "AA吧，每人转我58，我把收款码发群里",
    "上周的电费我先垫了，你们各转我65",
    "send me your share of the groceries when you get a sec, $23",
    "venmo me $18 for the pizza last night",
    "we're splitting the cab, just zelle me 14",
]

NOT_BILL_SPLITS = [
    # a pretext, secrecy or urgency keeps it a request
    "每人转我100押金，不交的踢出群",
    "吃饭的钱先不说了，我急用，马上转我3000",
    "split the fee with me: send $50 to my cashapp to unlock the prize",
    "每人转我100，给山区的孩子买冬衣",
    "split the donation for the shelter, each of us sends $20 to my venmo",
    # more than money asked
    "昨晚吃饭一共200，你转我100，顺便把你收到的验证码发我",
]


@pytest.mark.parametrize("text", BILL_SPLITS)
def test_a_bill_split_is_no_request(rules: Detector, detector: Detector, text: str) -> None:
    sig = rules.text.check(rules.model_input(text)[0])
    assert sig.bill_split, text
    assert not sig.requests and sig.payee is None, text
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text
    assert not detector.scan_text(text).at_least(Risk.MEDIUM), text


@pytest.mark.parametrize("text", NOT_BILL_SPLITS)
def test_a_split_with_a_pretext_or_another_request_still_warns(rules: Detector, text: str) -> None:
    assert not rules.text.check(rules.model_input(text)[0]).bill_split, text
    assert rules.scan_text(text).at_least(Risk.MEDIUM), text


def test_the_classifier_stays_low_on_a_bill_split() -> None:
    """A classifier that reads every "pay me" as a scam is kept at low by the split."""
    eager = Detector(model=TextModel({"c:pay": 40.0, "c:to_me": 40.0, "c:money": 40.0}, 0.0))
    text = "Can you venmo me $30 for dinner last night? you can pay me later"
    verdict = eager.scan_text(text)
    assert any(f.check == "model.text" for f in verdict.findings), verdict.findings
    assert not verdict.at_least(Risk.MEDIUM), verdict.findings


PLATFORM_ASIDE = [
    "别在店里下单了，加我微信直接转我，便宜十块",
    "不用走平台了，钱打我支付宝，我手动给你发货",
    "平台手续费太贵，咱们直接私下转，我给你打九折",
    "let's skip the marketplace, pay me on paypal instead and I'll ship today",
    "honestly it's cheaper than going through the app, just do the deal directly",
]

PRIVATE_DEAL_WARNINGS = [
    "请在平台内付款，私下转账出了问题平台不管",
    "私下交易不受平台保护，出了事后果自负",
    "paying outside the app is at your own risk, we are not responsible",
]


@pytest.mark.parametrize("text", PLATFORM_ASIDE)
def test_putting_the_platform_aside_is_an_off_platform_request(rules: Detector, text: str) -> None:
    sig = rules.text.check(rules.model_input(text)[0])
    assert "off_platform" in {r.kind for r in sig.requests}, text
    assert rules.scan_text(text).at_least(Risk.MEDIUM), text


@pytest.mark.parametrize("text", PRIVATE_DEAL_WARNINGS)
def test_the_risk_of_a_private_deal_told_is_a_warning(
    rules: Detector, detector: Detector, text: str
) -> None:
    sig = rules.text.check(rules.model_input(text)[0])
    assert "off_platform" not in {r.kind for r in sig.requests}, text
    assert not detector.scan_text(text).at_least(Risk.MEDIUM), text


@pytest.mark.parametrize(
    "text",
    [
        "我扫了商家的收款码付款，现在想退款怎么办",
        "我用支付宝扫码付的，商家说退不了",
        "话费没到账可以打10086问问，或者登录网上营业厅查",
    ],
)
def test_the_writers_own_payment_or_a_hotline_is_no_payee(rules: Detector, text: str) -> None:
    assert rules.text.check(rules.model_input(text)[0]).payee is None, text


@pytest.mark.parametrize(
    "text",
    [
        "转到孩子妈妈的微信",
        "扫我的收款码",
        "打500到这张卡",
        "send it to my cashapp",
        "via my zelle",
    ],
)
def test_money_to_a_person_is_a_payee(rules: Detector, text: str) -> None:
    assert rules.text.check(rules.model_input(text)[0]).payee is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "刷单都是骗局，先给你返几十块佣金，后面让你垫大单就跑了，我表哥被骗了两万",
        "those 'like videos for cash' jobs are a scam, my cousin lost 800 dollars to one",
    ],
)
def test_a_warning_only_the_classifier_flags_stays_low(text: str) -> None:
    """Talk about scams is looked for even when no rule fires: the classifier's finding on a
    warning stays low."""
    eager = Detector(
        model=TextModel({"c:gain": 40.0, "c:pay": 40.0, "c:money": 40.0, "c:warn": 40.0}, 0.0)
    )
    assert not eager.text.check(eager.model_input(text)[0]).suspect, text
    verdict = eager.scan_text(text)
    assert any(f.check == "model.text" for f in verdict.findings), verdict.findings
    assert not verdict.at_least(Risk.MEDIUM), verdict.findings
