"""Real notices and warnings the rules took for scams (issue 13, the wide files' false alarms),
fixed by what makes a message harmless rather than by its phrases:

- a scam's words in quotes, while the text outside the quotes asks nothing of the reader, are
  named, not said (Chinese quotes, and ASCII quotes in a Chinese text, which the text checks
  now keep; the classifier still reads the text it was trained on);
- renting out an account or trading off the platform, followed by what the law or the
  platform does about it, is news or a warning;
- a request someone else made, told with the writer's reaction: more reactions ("删了",
  "挂了", "退了", "screenshotted") and requesters ("wants me to");
- a notice that sends the reader to the official app or channel and forbids the other way,
  with no link and no channel of the writer's, stays below medium.

Every text is a new instance written for these tests, none a data file's sentence. Harmless
texts are checked with the classifier off and with it; the scams beside them (the same words
said to the reader, a fake notice that sends a code or a fee to the writer's channel) must stay
caught on the rules alone.
"""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.detector import prose_of
from bot.domain.fraud.normalize import quotes_kept

from .conftest import assert_caught

QUOTED = (
    "朋友圈那个“先交保证金就能当代理”的广告，我看了一眼就屏蔽了",
    '表姐收到"缴纳解冻费后退款"的短信，问了银行才知道是假的',
    'She got a text about moving her savings to a "protected account", we laughed about it',
    "家长群里转的“交200元押金领平板”的通知，学校说不是他们发的",
)
QUOTED_SAID = (
    "请把您的钱转入“安全账户”，核查完毕后原路退回",
    '您的订单异常，请先交"保证金"500元才能办理退款',
    'To get your refund, please move your savings to a "safe account" today',
)
LEGAL = (
    "派出所通报：某公司员工出租对公账户被刑事拘留",
    "出借收款码给陌生人走流水，多人已被警方处罚",
    "学校广播：出售手机卡属于违法行为，已有同学被查处",
)
LEGAL_SAID = (
    "出租银行卡一天赚300，不会被查，放心",
    "收购闲置银行卡，不违法，日结",
)
REPORTED = (
    "有人私信我让先付押金再发货，我一听就知道有问题，删了",
    "Some guy wants me to pay first for concert tickets, screenshotted it for the group",
    "陌生号码说让我提供验证码，我直接挂了",
)
OFFICIAL = (
    "店铺保证金请通过官方后台缴纳，请勿向任何个人转账",
    "Check your gift card balance by scanning the QR with the official app; no need to type any PIN",
    "物业通知：物业费请在官方App内缴纳，工作人员不会上门收取现金",
    "退款已按原路退回到您的原支付方式，请勿相信任何要求您转账的来电",
    "Use the official app to link your card; staff will never ask you to read a code aloud",
)
OFFICIAL_FAKE = (
    "官方通知：您的退款已受理，请勿相信陌生来电，请添加客服微信号：kf20261130 发送验证码",
    "Official notice: never share your PIN with strangers. Send the verification code to @refund_desk_bot to get your refund",
    "官方App内退款通道维护中，请勿在App内操作，请加客服微信号：kf889900，把验证码发给客服办理退款",
    "您的退款将原路退回，请勿相信陌生来电，请把验证码发给专员 @refund_helper_bot 核对",
)


@pytest.mark.parametrize("text", QUOTED + LEGAL + REPORTED)
def test_named_in_quotes_told_with_the_law_or_a_reaction_is_no_request(
    rules: Detector, text: str
) -> None:
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text


def test_quoted_scam_lines_said_to_the_reader_stay_caught(
    rules: Detector, detector: Detector
) -> None:
    assert_caught(rules, detector, QUOTED_SAID, QUOTED, at=Risk.MEDIUM)


def test_ascii_quotes_kept_for_the_checks_not_for_the_classifier() -> None:
    kept = quotes_kept('那个"交保证金"的群')
    assert kept == "那个“交保证金”的群"
    assert quotes_kept('a "safe account"') == 'a "safe account"'  # not Chinese: kept as is
    assert "“" not in prose_of('那个"交保证金"的群')  # the classifier's text is unchanged


def test_account_rental_offered_stays_caught_even_if_it_denies_the_law(
    rules: Detector, detector: Detector
) -> None:
    assert_caught(rules, detector, LEGAL_SAID, LEGAL, at=Risk.MEDIUM)


@pytest.mark.parametrize("text", OFFICIAL)
def test_a_notice_pointing_to_the_official_way_stays_below_medium(
    rules: Detector, detector: Detector, text: str
) -> None:
    assert not rules.scan_text(text).at_least(Risk.MEDIUM), text
    assert not detector.scan_text(text).at_least(Risk.MEDIUM), text


def test_a_fake_notice_sending_data_or_money_to_the_writer_stays_caught(
    rules: Detector, detector: Detector
) -> None:
    assert_caught(rules, detector, OFFICIAL_FAKE, OFFICIAL, at=Risk.MEDIUM)
