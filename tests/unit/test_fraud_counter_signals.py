"""Harmless talk the rules took for scams (issue 13, the wide files' false alarms), fixed by
what makes it harmless, each with scams beside it that must stay caught:

- a screen or a remote session among colleagues, a class or the family, with nothing at stake
  (no money, account, code, authority or urgency): a meeting or help;
- a scam named in a rhetorical question ("哪有…先交钱的") or judged by the writer in the same
  sentence ("…, it's fake"), not negated and not about someone else's offer;
- a scam word denied or waved away ("放心，这不是骗局", "别信那些说是骗子的") is the scam's
  reassurance, not talk about scams: it no longer caps the scam at low;
- a code sent to the reader's or the writer's own phone, with nobody to hand it to: how a code
  travels, not a request for it;
- the writer's own payment told with its paper trail (a receipt, an invoice, a contract, the
  company's or an escrow account), done or as a rule, with nothing asked of the reader.

Every text is a new instance written for these tests, none a data file's sentence.
"""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk

from .conftest import assert_caught

CIRCLE = (
    "周五部门例会改到腾讯会议，做汇报的同事提前试一下共享屏幕",
    "我妈手机不会设置字体，我晚上用ToDesk远程帮她调一下",
    "网课老师说下节课大家进会议室后轮流共享屏幕展示作业",
    "Grandpa, I set up AnyDesk on your PC so I can fix the printer from home on Saturday",
    "Team sync at 3pm on Zoom, please share your screen when you walk us through the slides",
)
CIRCLE_SCAMS = (
    "同事你好，我是公司财务，请下载腾讯会议共享屏幕核对你的工资账户",
    "妈，我换新号了，你装个向日葵，我远程帮你把钱转到安全账户",
    "我是你们部门领导，马上下载腾讯会议开启屏幕共享，有急事",
    "Hi grandma, please install AnyDesk so I can fix your bank app and move your money",
    "Teacher here: parents please join Zoom and share your screen to pay the class fee",
)
RHETORICAL = (
    "正规招聘哪有让先交培训费的，这种群我直接退了",
    "If a job makes you buy your own starter kit first, it's a scam.",
    "兼职要先交押金的，都是骗子",
)
RHETORICAL_SCAMS = (
    "恭喜中奖！请先交手续费300元领取，放心这不是骗局",
    "先交500保证金就安排工作，别信那些说是骗子的",
    "Pay the $50 release fee first to get your prize, this is not a scam",
    "请先交99元会员费，哪有比这更划算的，马上领取1000元",
)
# the rules no longer read a request here; the classifier alone still scores it medium
RHETORICAL_RULES = ("真的中奖谁会让你先付邮费啊",)
PAPER_TRAIL = (
    "装修公司要先付三成定金，签了合同也开了收据，明天进场",
    "年会场地需要交押金，活动结束退还，酒店给了正式发票",
    "Signed the lease today, first month's deposit paid into the agency's escrow account, receipt issued",
    "出差机票我先垫付了，回来走报销",
)
PAPER_TRAIL_SCAMS = (
    "保证金请转到我们公司对公账户，转账后给您开收据",
    "Send the deposit to the agent's company account today, the receipt will be issued after",
    "先交500元押金到对公账户，签合同后退还",
    "您的订单异常，合同已签订，请先付1000元保证金到监管账户",
)

OWN_PHONE = (
    "银行提醒：动账验证码将发送到您预留的手机号码，请勿泄露",
    "注册的时候验证码会发到你绑定的手机上，在页面输入就行",
    "Heads up: the school portal now sends login codes to your registered phone",
    "Our bank will send OTPs only to your registered mobile, so update it if you change numbers",
)
OWN_PHONE_SCAMS = (
    "验证码已发到您的手机，请告诉客服核对后办理退款",
    "验证码发到你手机上了，发我一下，我帮你解冻",
    "Support: we need the 6-digit code sent to your phone to stop the charge",
    "Your verification code was sent to your registered number, reply with it here to get the refund",
)


@pytest.mark.parametrize("text", CIRCLE + RHETORICAL + RHETORICAL_RULES + PAPER_TRAIL + OWN_PHONE)
def test_harmless_talk_stays_below_medium_on_the_rules(rules: Detector, text: str) -> None:
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text


@pytest.mark.parametrize(
    ("scams", "harmless"),
    [
        (CIRCLE_SCAMS, CIRCLE),  # remote sessions among colleagues and family
        (RHETORICAL_SCAMS, RHETORICAL),  # rhetorical questions and verdicts
        (PAPER_TRAIL_SCAMS, PAPER_TRAIL),  # payments told with their paper trail
        (OWN_PHONE_SCAMS, OWN_PHONE),  # a code sent to one's own phone
    ],
    ids=["circle", "rhetorical", "paper-trail", "own-phone"],
)
def test_the_scams_beside_each_counter_signal_stay_caught(
    rules: Detector, detector: Detector, scams: tuple[str, ...], harmless: tuple[str, ...]
) -> None:
    assert_caught(rules, detector, scams, harmless, at=Risk.MEDIUM)
