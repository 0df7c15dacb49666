"""Text checks of the fraud detector: scam scripts, spellings, negation, normalisation."""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.model import TextModel
from bot.domain.fraud.normalize import compact, normalize, to_simplified, url_ready
from bot.services.scam import fraud_texts


@pytest.fixture(scope="module")
def detector() -> Detector:
    # the rules on their own: the classifier's contribution is tested in test_fraud_model.py
    return Detector(texts=fraud_texts(), model=TextModel.off())


# ----------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full-width forms
        ("验\u200b证\u200d码", "验证码"),  # zero-width characters
        ("a\u202eb\x07c", "abc"),  # bidi override and a control character
        ("驗證碼", "验证码"),  # traditional -> simplified
        ("銀行卡號", "银行卡号"),
        ("帳戶凍結", "账户冻结"),
        ("Hello", "hello"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("验 证 码", "验证码"),
        ("验-证-码", "验证码"),
        ("验*证*码", "验证码"),
        ("加 v 信", "加v信"),
        ("不要告诉别人，把验证码发给我", "不要告诉别人,把验证码发给我"),  # clause commas stay
        ("hello world", "hello world"),
    ],
)
def test_compact(raw: str, expected: str) -> None:
    assert compact(normalize(raw)) == expected


def test_url_ready_and_simplified() -> None:
    assert url_ready("alipay。com") == "alipay.com"
    assert url_ready("alipay dot com") == "alipay.com"
    assert to_simplified("雙倍賠償") == "双倍赔偿"


# ----------------------------------------------------------------- scam scripts


@pytest.mark.parametrize(
    ("text", "risk", "check"),
    [
        # claim + sensitive request: high
        (
            "您好，我是淘宝客服，您的商品有质量问题，给您双倍赔偿，请提供验证码",
            "high",
            "text.scam_script",
        ),
        ("退款需要您把银行卡号和验证码发给我", "high", "text.scam_script"),
        ("您的会员每月自动扣费，取消请开启屏幕共享", "high", "text.scam_script"),
        ("账户异常已冻结，请先缴纳解冻费", "high", "text.scam_script"),
        ("客服：退款前需要先交保证金500元", "high", "text.scam_script"),
        ("理赔专员：请在借呗借出额度转到安全账户", "high", "text.scam_script"),
        ("退款失败，需要你提供支付密码重新提交", "high", "text.scam_script"),
        (
            "This is Alipay customer service, your account is frozen, send us the verification code.",
            "high",
            "text.scam_script",
        ),
        ("To get your refund, share your screen on Zoom.", "high", "text.scam_script"),
        (
            "Refund team: please provide your bank card number and the OTP.",
            "high",
            "text.scam_script",
        ),
        # traditional Chinese and spaced-out or mixed-script spellings
        ("您好，我是淘寶客服，請提供驗證碼辦理退款", "high", "text.scam_script"),
        ("退款需要验 证 码，请发给我", "high", "text.scam_script"),
        ("客服提醒：把 yan zheng ma 告诉我才能退款", "high", "text.scam_script"),
        ("退款流程：你把yzm发我一下", "high", "text.scam_script"),
        ("退\u200b款请提供验\u200b证\u200b码", "high", "text.scam_script"),
        # claim + soft request (move elsewhere): medium
        ("理赔请加 v 信 refund8899", "medium", "text.scam_script"),
        ("退款加威信：tk5566 办理", "medium", "text.scam_script"),
        ("退款请加Q Q 88996677", "medium", "text.scam_script"),
        ("质量问题赔偿，加扣扣 2345678901 找客服", "medium", "text.scam_script"),
        ("退款请下载我们指定的APP", "medium", "text.scam_script"),
        ("退款专员：请扫描下面的二维码", "medium", "text.scam_script"),
        # impersonation + scam line, no request yet: medium
        ("您好，我是京东客服，您的商品有质量问题，可以给您双倍赔偿", "medium", "text.scam_script"),
        ("抖音官方通知：您的百万保障即将扣费", "medium", "text.scam_script"),
        # requests without a pretext
        ("把验证码发给我", "medium", "text.sensitive_request"),
        ("请开启屏幕共享", "medium", "text.sensitive_request"),
        ("请提供身份证照片", "low", "text.sensitive_request"),
        # a scam line alone
        ("您的会员误开通了，每月自动扣费", "low", "text.scam_claim"),
    ],
)
def test_scam_scripts(detector: Detector, text: str, risk: str, check: str) -> None:
    verdict = detector.scan_text(text)
    assert verdict.risk == Risk(risk), verdict.findings
    assert check in verdict.checks


@pytest.mark.parametrize(
    "text",
    [
        # lone mentions
        "我收到了验证码短信",
        "验证码一直收不到怎么办",
        "我的银行卡昨天收到退款了",
        "退款多久能到账？我用的是微信支付",
        "我用支付宝扫码付的款，现在想退款",
        "I got a verification code text but I didn't request it.",
        "My refund went back to the bank card I paid with.",
        # negation and advice phrasing
        "平台不会向你索要验证码",
        "不要把验证码告诉任何人，包括自称客服的人",
        "切勿点击陌生人发来的退款链接",
        "官方客服不会要求您提供验证码、密码或银行卡号，请勿泄露",
        "千万不要转账到所谓的安全账户",
        "Never share your verification code with anyone.",
        "Real support will never ask you to share your screen or transfer money.",
        "Don't give your password to anyone claiming to be support.",
        # questions the writer asks about themself
        "退款需要我提供身份证吗？",
        "申请退款时需要输入支付密码吗？",
        "Do I need to give my ID to get a refund?",
        # typing a code into the real app
        "在官方App里输入验证码登录后就能看到退款进度",
        # ordinary refund talk
        "商家缺货了，平台已经强制退款",
        "客服要我提供订单号和支付截图",
        "下载了官方APP，在里面申请了退款",
    ],
)
def test_benign_texts_stay_below_medium(detector: Detector, text: str) -> None:
    verdict = detector.scan_text(text)
    assert verdict.risk.rank < Risk.MEDIUM.rank, verdict.findings


@pytest.mark.parametrize(
    "text",
    [
        "Beware of scammers who pretend to be customer service and ask for your OTP.",
    ],
)
def test_talk_about_scams_is_capped_at_low(detector: Detector, text: str) -> None:
    verdict = detector.scan_text(text)
    assert verdict.risk is Risk.LOW
    assert all("talks about scams" in f.detail for f in verdict.findings)


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        # a new start after the comma ends the negation's scope
        ("不要告诉别人，把验证码发给我，退款马上到", "high"),
        ("客服说：别担心，请提供验证码，退款马上到", "high"),
        # an enumeration stays negated, in Chinese and English (the scam words alone: low)
        ("客服不会让你转账、贷款，也不会收解冻费", "low"),
        (
            'Support never asks you to transfer money, take a loan, or pay an "unfreezing fee".',
            "low",
        ),
        # a condition is not a prohibition
        ("您的会员即将续费，如不需要请添加专员企业微信办理取消", "medium"),
        ("如果不提供验证码，退款就无法到账", "high"),
    ],
)
def test_negation_scope(detector: Detector, text: str, risk: str) -> None:
    assert detector.scan_text(text).risk == Risk(risk)


@pytest.mark.parametrize(
    "text",
    [
        "订单号 123，点卡卡号和卡密都发给你了",  # a card code is goods, not a bank card
        "证据包括银行卡扣款记录截图",  # a bank card *record*
        "I keep my QQ chats in the platform instead.",  # "qq chats" is not a QQ id
    ],
)
def test_domain_words_that_are_not_requests(detector: Detector, text: str) -> None:
    assert detector.scan_text(text).risk.rank < Risk.MEDIUM.rank


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("您的订单退款失败，请点击 https://example-shop.net/a 重新申请", "medium"),
        ("退款请点这里 bit.ly/3Rfund", "high"),  # the link itself has a finding
        ("Compensation for your order: https://bit.ly/abc", "high"),
    ],
)
def test_refund_link(detector: Detector, text: str, severity: str) -> None:
    found = {f.check: f.severity.value for f in detector.scan_text(text).findings}
    assert found.get("text.refund_link") == severity


def test_refund_question_with_a_link_is_not_a_refund_link(detector: Detector) -> None:
    verdict = detector.scan_text("我在 https://example-shop.net 买的点卡，怎么申请退款")
    assert verdict.risk is Risk.NONE


def test_trigger_words_cover_the_patterns(detector: Detector) -> None:
    texts = [
        "防骗提醒：退款不需要交任何保证金或解冻费",
        "您好，我是淘宝客服，请提供验证码",
        "Your account is frozen, send the OTP",
        "加v信abc12345",
    ]
    for text in texts:
        c = compact(normalize(text))
        fast = detector.text.check(c, context=True)
        full = detector.text.check(c, context=True, exhaustive=True)
        assert (fast.requests, fast.scam_claims, fast.impersonation) == (
            full.requests,
            full.scam_claims,
            full.impersonation,
        )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("t h i s   i s   t a o b a o", "this is taobao"),
        ("h*i*,* *s*e*n*d* *t*h*e* *c*o*d*e", "hi, send the code"),
        ("【*淘*宝*】*您*好*，*退*款", "【淘宝】您好,退款"),
        ("a l i p a y . c o m", "alipay.com"),
        ("hello world, this is a normal sentence", "hello world, this is a normal sentence"),
    ],
)
def test_despace(raw: str, expected: str) -> None:
    from bot.domain.fraud.normalize import despace

    assert despace(normalize(raw)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "T h i s   i s   T a o b a o .   S e n d   u s   t h e   v e r i f i c a t i o n   c o d e",
        "退*款*请*提*供*验*证*码",
        "ｒｅｆｕｎｄ ｔｅａｍ： ｓｅｎｄ ｕｓ ｔｈｅ ＯＴＰ",
        "退款请添加专员企业威信办理",
    ],
)
def test_disguised_scripts(detector: Detector, text: str) -> None:
    assert detector.scan_text(text).risk.rank >= Risk.MEDIUM.rank


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        # weak claims (an order, an account, a membership) need data handed over to be high
        ("Please enter the code shown in the app to confirm your order", "low"),
        ("Please enter your account password to log in to the app", "low"),
        ("订单有问题，把验证码发给我", "high"),
        (
            "Your membership was activated by mistake. Reply with your card number to cancel.",
            "high",
        ),
        # a strong claim with data typed in is medium
        ("退款页面请输入支付密码", "medium"),
    ],
)
def test_weak_and_strong_claims(detector: Detector, text: str, risk: str) -> None:
    assert detector.scan_text(text).risk == Risk(risk)


# ----------------------------------------------------------------- English and mixed wording


@pytest.mark.parametrize(
    "text",
    [
        "pls dm me ur verification code so i can cancel the auto renewal",
        "Customer Service: your account is suspended. Text us the 6 digit code we sent to unlock it.",
        "hi this is taobao refund dept, kindly provide ur bank card no. for the refund",
        "Your Apple ID is locked. To get your refund, buy two 500 yuan iTunes cards and send photos of the back.",
        "We're from Alipay customer care. Your refund is on hold; please install RustDesk so we can fix it.",
        "Hello, WeChat Pay security team. We detected unusual login. Share the code we just texted you.",
        "To receive your compensation, transfer 0.5 USDT to the verification wallet first.",
        "We are the Alibaba compensation team. You qualify for 2x refund. Send the verification codes to this number.",
        "Hi! Your JD Plus membership is being auto-renewed. Reply with the 4-digit code to stop the deduction.",
        "Support: we need to confirm you are the owner, just forward me the text you get in a minute.",
        "We from JD care: to refund the lost parcel we need to verify you: full name, ID number and the OTP.",
        "Your account was flagged for money laundering, move the funds into the supervision wallet we give you.",
        "客服: dear, your 会员 will be charged monthly, pls add my wechat to cancel it",
        "亲 你的订单有质量问题 给你退款加赔偿 你微信多少 我拉你进售后群",
        "亲爱的顾客，退款通道未激活，需要您扫我们的收款码付0.01元",
        "您的账号涉嫌洗钱，需要把名下所有资金转到清查账户",
        "Your order was refunded twice by system error. Please return the extra 200 yuan to the staff account.",
        "This is Steam support. Tell us the Steam Guard code you received so we can block them.",
    ],
)
def test_english_and_mixed_scripts(detector: Detector, text: str) -> None:
    assert detector.scan_text(text).risk.rank >= Risk.MEDIUM.rank, text


@pytest.mark.parametrize(
    "text",
    [
        "Can you send me the new code? The first one didn't work, I want a refund otherwise.",
        "I'll send you the replacement code in 5 minutes, sorry for the trouble, or we refund.",
        "If someone says they are from customer service and asks for the code, hang up.",
        "If anyone asks you to install AnyDesk to help with a refund, block them.",
        "Please send us a photo of the card's back with the scratched area so we can check the code.",
        "We will send you a verification code by SMS; enter it in the app to confirm the order.",
        "My card was charged twice, I contacted my bank and they refunded the duplicate charge.",
        "Real support will never ask you to move your money to a safe account.",
        "I'll transfer the money once the refund arrives, thanks.",
        "我扫了商家的收款码付款，没有订单记录，怎么退款",
        "你好，卡密发我一下我帮你查是否被使用，如果没用过可以退款",
    ],
)
def test_english_and_mixed_benign(detector: Detector, text: str) -> None:
    assert detector.scan_text(text).risk.rank < Risk.MEDIUM.rank, text


def test_a_pattern_the_yaml_read_as_a_mapping_is_refused() -> None:
    """An unquoted pattern ending in ':' is a YAML mapping, not a string: it would match
    nothing without a word, so loading refuses it."""
    import yaml

    from bot.domain.fraud import text as fraud_text

    (unquoted,) = yaml.safe_load("- (?:support|service)\\s*:\n")
    assert isinstance(unquoted, dict)
    with pytest.raises(ValueError, match="quote them"):
        fraud_text._compile(["ok", unquoted])
    assert fraud_text._compile(["(?:support|service)\\s*:"]).search("support: hi")


def test_every_pattern_list_of_the_scripts_holds_strings_only() -> None:
    """The data as shipped: no pattern list of scripts.yaml holds a YAML mapping."""
    from bot.domain.fraud.resources import load_yaml

    def lists(node: object) -> list[list[object]]:
        if isinstance(node, dict):
            return [found for value in node.values() for found in lists(value)]
        if isinstance(node, list):
            nested = [found for value in node for found in lists(value)]
            return nested + ([node] if any(isinstance(v, str) for v in node) else [])
        return []

    found = lists(load_yaml("scripts.yaml"))
    assert len(found) > 20
    assert [v for patterns in found for v in patterns if not isinstance(v, str)] == []
