"""The techniques behind the misses and false alarms of blind batch 10, each with new
instances (never the batch's own texts) and the hard negatives that look like them."""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.services.scam import fraud_texts


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(texts=fraud_texts())


def check(detector: Detector, scams: list[str], harmless: list[str]) -> None:
    missed = [s for s in scams if not detector.scan_text(s).at_least(Risk.MEDIUM)]
    wrong = [h for h in harmless if detector.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not wrong, {"missed": missed, "false alarms": wrong}


def rules_name(detector: Detector, word: str, texts: list[str]) -> list[str]:
    """The texts in which no rule (the classifier aside) names `word` (a request kind or a
    scam line)."""
    return [
        t
        for t in texts
        if not any(
            f.check.startswith("text.") and word in f.detail for f in detector.scan_text(t).findings
        )
    ]


def test_a_threat_to_expose_the_reader_in_groups_unless_paid(detector: Detector) -> None:
    check(
        detector,
        [
            "货有问题 今晚之前退我三千 不然我把你挂到所有买家群 让大家都看看",
            "三天内把钱打过来，否则挂你到各大交易群，你店也别想开了",
        ],
        [
            "这家店发错货了，我准备挂到群里提醒大家注意",
            "已经退款了 谢谢 不然我还打算去群里问问",
        ],
    )


def test_a_backend_fix_offered_in_private_by_platform_staff(detector: Detector) -> None:
    check(
        detector,
        [
            "没到账的朋友私信我 我是平台运营部的 后台可以直接给你们补充值 不用等审核",
            "我这边是官方客服 后台能帮你插队加急 私聊我发订单号就行",
            "I'm from the platform support team, DM me and I can fix your order from the backend,"
            " no need to wait in line",
        ],
        [
            "您好，已经在后台帮您补单了，请在订单页查收",
            "充值没到账可以在App里提交工单，客服会在后台核实后补单",
            "Support fixed my order from the backend after I opened a ticket in the app",
        ],
    )
    # no one claims to be staff here: the private backend fix is the scam line itself
    private_fix = [
        "充值没到账的私聊我 后台可以直接帮你补单 不用排队",
        "DM me, I can fix your order from the backend and skip the queue",
    ]
    assert not rules_name(detector, "claim", private_fix)


def test_a_phone_number_or_chat_account_borrowed_for_someone(detector: Detector) -> None:
    check(
        detector,
        [
            "姐 借一下你的手机号码 收个验证码 我注册个号用一下",
            "同学 能借你电话号码认证一下吗 我的号被占用了 请你吃饭",
            "Hey can I borrow your phone number to receive a verification text? mine is blocked",
            "兼职 把你的qq号租给我们挂机 一天给你80 日结",
            "Easy cash: rent us your WhatsApp account, we pay $30 a day, you do nothing",
        ],
        [
            "你可以用你的手机号注册一个账号，验证码会发到你手机上",
            "我手机没电了，借你手机打个电话给我妈可以吗",
            "You can register with your phone number, the code is sent to you",
            "我的微信号借给我妈用了，她不会用智能手机",
        ],
    )


def test_the_escrow_refused_and_payment_first(detector: Detector) -> None:
    check(
        detector,
        [
            "I'm a trusted trader, no middleman needed, pay first and I send the keys",
            "Don't use escrow with me, 5 years selling, payment first then I deliver",
            "本人老卖家 不走担保 先付款后发货 爱买不买",
            "先转钱再给号 不接受中介 信誉保证",
        ],
        [
            "We always trade through escrow, never pay first outside it",
            "No escrow fees on our marketplace, the money is held until you confirm delivery",
            "有担保就走担保 别先付款",
            "这个平台有中介担保，付款后钱先在平台，收货确认才给卖家",
        ],
    )
    refused = [
        "I'm a trusted trader, no middleman needed, pay first and I send the keys",
        "本人老卖家 不走担保 先付款后发货 爱买不买",
    ]
    assert not rules_name(detector, "off_platform", refused)


def test_a_warning_against_trading_outside_the_platform(detector: Detector) -> None:
    check(
        detector,
        [
            "别在平台拍了，加我微信直接转我，便宜二十",
            "平台外交易更快 私下转账给我就行",
        ],
        [
            "千万别在平台外交易 私下转钱被骗了没人管",
            "不要在平台以外付款，出了问题平台没法保障",
        ],
    )
    warnings = [
        "千万别在平台外交易 私下转钱被骗了没人管",
        "不要在闲鱼之外交易 私下转账被骗没人帮你",
    ]
    assert rules_name(detector, "off_platform", warnings) == warnings


def test_a_friends_loan_on_paper_or_face_to_face(detector: Detector) -> None:
    check(
        detector,
        [
            "借我3000 急用 当面给你写借条 今天必须到账",
            "lend me $500 right now, it's an emergency, I'll sign an IOU later",
        ],
        [
            "能借我1500吗 下个月房租不够 明天当面给你 我写个欠条",
            "Could you lend me $200 for the car repair? I'll sign an IOU and pay you back in person",
        ],
    )


def test_a_reassurance_or_a_waived_chore_is_no_prohibition(detector: Detector) -> None:
    check(
        detector,
        [
            "别担心 把收到的验证码发我 我帮你解冻",
            "Don't worry, just send me the code you got and I'll unlock it",
            "不用去银行 只需要把验证码告诉我 马上退款",
            "别急 私聊我 我是官方客服",
            "Don't panic, DM me, I'm from the official support team",
        ],
        [
            "别把验证码告诉任何人，客服不会要",
            "不用担心，我们不会要你的验证码，退款原路返回",
            "Don't share the code with anyone, we never ask for it",
            "别急 退款会在官方App内处理 不要私聊任何人",
            "Don't worry, support will never DM you first",
        ],
    )
