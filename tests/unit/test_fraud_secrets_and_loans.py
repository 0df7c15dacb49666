"""Techniques of the fix round after fraud batch 8 (issue 13), as general families.

- card codes asked for under any pretext ("发给我们帮您冻结", "报给我核对", "send us the
  remaining codes so we can freeze them"): the codes are the goods, like a verification code;
- an authority moving the reader's money into a "safe" or "checking" account, the secrecy
  line before it ("请勿告知任何人") included;
- data phishing under a group notice (a payment account or a login phone number sent to a
  handle or a bot), and renting someone's payment QR code for a commission (跑分);
- support moving an order fix to a private chat ("加我v…手动补单"), an "employee price"
  that must be paid privately;
- what stays below medium: a news item about such a gang, and a plain loan between friends
  with a return day; a hacked friend's loan (urgent, a third account or a QR code, "don't
  call") stays caught.

Every text here is a new instance written for these tests, none an evaluation batch's
sentence. Scams are checked with the classifier off (the rules alone must reach medium);
harmless texts with and without it.
"""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.normalize import compact, normalize
from bot.domain.fraud.text import TextChecker


def _risk(detector: Detector, text: str) -> Risk:
    return detector.scan_text(text).risk


def _kinds(detector: Detector, text: str) -> set[str]:
    kinds: set[str] = set()
    for f in detector.scan_text(text).findings:
        detail = f.detail
        for kind in ("goods", "transfer", "bank_card", "mule", "off_platform", "contact"):
            if kind in detail:
                kinds.add(kind)
    return kinds


CARD_CODES = [
    "系统提示您这批礼品卡有被盗风险，请把没用的卡密全部发给我们，我们帮您冻结保护",
    "亲，您的激活码需要重新校验，麻烦把激活码截图发过来，核对完给您重新发一批",
    "兑换码批次出了问题，您手上剩下的兑换码都报给客服，我们统一作废后补发",
    "We noticed your gift cards were compromised. Send us the unused card codes and we will "
    "lock them for you.",
    "To verify your purchase, please forward all the remaining redemption codes to our team.",
]
CARD_CODES_HARMLESS = [
    "卡密已经放在您的订单详情里了，请在平台订单页面查看",
    "客服不会索要您的卡密，也请不要把卡密发给任何人",
    "我把兑换码发给我弟弟了，他自己去兑换",
    "卡密提示无效，我已经截图发给客服了，正在等回复",
    "Never send your gift card codes to anyone, not even to someone claiming to be support.",
    "I forwarded the activation codes to my sister so she can redeem them herself.",
]


@pytest.mark.parametrize("text", CARD_CODES)
def test_card_codes_asked_for_any_pretext_reach_medium(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text
    assert "goods" in _kinds(rules, text), text


@pytest.mark.parametrize("text", CARD_CODES_HARMLESS)
def test_card_codes_named_not_asked_stay_below_medium(detector: Detector, text: str) -> None:
    assert _risk(detector, text).rank < Risk.MEDIUM.rank, text


SAFE_ACCOUNT = [
    "这里是区检察院，你的银行卡涉嫌一起洗钱案，请勿告知家人，按要求将名下存款转入核查账户，核查后原路退回",
    "我是公安局经侦支队的民警，你的账户资金异常，需要将资金移入清查账户配合调查，查清即退",
    "This is the fraud department of the police. Your savings are linked to an investigation: "
    "move them into the safe account we give you until the case is closed.",
]
SAFE_ACCOUNT_HARMLESS = [
    "反诈提醒：公检法不会让您把钱转入任何所谓的安全账户，接到这种电话请直接挂断",
    "新闻报道，民警上门劝阻了一起安全账户骗局，老人的十万块保住了",
]


@pytest.mark.parametrize("text", SAFE_ACCOUNT)
def test_money_into_a_safe_account_for_an_investigation(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text


@pytest.mark.parametrize("text", SAFE_ACCOUNT_HARMLESS)
def test_safe_account_warnings_stay_below_medium(detector: Detector, text: str) -> None:
    assert _risk(detector, text).rank < Risk.MEDIUM.rank, text


@pytest.mark.parametrize(
    "text",
    ["请勿告知任何人，我们在办案", "切勿告诉家人，这件事要保密", "不得透露给银行，否则影响调查"],
)
def test_forbidding_to_tell_anyone_is_secrecy(text: str) -> None:
    assert TextChecker().check(compact(normalize(text))).secrecy, text


def test_secrecy_about_the_code_itself_is_advice() -> None:
    assert not TextChecker().check(compact(normalize("验证码请勿告知任何人，包括客服"))).secrecy


@pytest.mark.parametrize(
    "text",
    [
        "请勿告知任何人，按要求将资金转入安全账户",
        "不要跟家里人说，按照指示将存款转入核查账户",
    ],
)
def test_forbidding_to_tell_anyone_leaves_the_request_real(text: str) -> None:
    kinds = {r.kind for r in TextChecker().check(compact(normalize(text))).requests}
    assert "transfer" in kinds, text


NEWS_REPORTS = [
    "新闻说又抓了一个跑分团伙，专门租用别人的银行卡走账",
    "据报道，警方打掉一个团伙，他们收购别人的微信号和收款码",
]


@pytest.mark.parametrize("text", NEWS_REPORTS)
def test_a_news_report_is_talk_about_scams(rules: Detector, text: str) -> None:
    findings = {f.check: f.severity for f in rules.scan_text(text).findings}
    assert findings.get("text.sensitive_request") is Risk.LOW, (text, findings)
    assert rules.scan_text(text).risk.rank < Risk.MEDIUM.rank, text


NOTICE_PHISHING = [
    "【群通知】为清理小号，全体成员今天内私聊 @qun_check_bot 发送您的支付宝账号和登录手机号，逾期移出",
    "【本群公告】近期有人冒充群主，请大家私信@member_verify 发送您的收款账号完成实名登记",
    "Group notice: every member must DM @member_check_bot with your payment account and "
    "login phone number by tonight.",
]
QR_RENTAL = [
    "你的微信收款码借我用一周，我这边收款被限额了，每收一笔给你两个点，钱到了转我就行",
    "想借一下你的支付宝收款码帮我收几笔货款，每单给你5块辛苦费",
    "Could I use your WeChat QR code to receive a few customer payments? You keep 2% of each.",
]
NOTICE_HARMLESS = [
    "【群公告】本群只讨论点卡使用问题，禁止发广告和链接，违者移出",
    "老板，你的收款码发我一下，我扫码把饭钱付了",
    "看新闻说警方又打掉了一个跑分团伙，专门借别人收款码走账，大家别把码借出去",
]


@pytest.mark.parametrize("text", NOTICE_PHISHING)
def test_a_notice_collecting_account_data_for_a_handle(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text
    assert "bank_card" in _kinds(rules, text), text


@pytest.mark.parametrize("text", QR_RENTAL)
def test_renting_a_payment_qr_code_is_a_mule_request(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text
    assert "mule" in _kinds(rules, text), text


@pytest.mark.parametrize("text", NOTICE_HARMLESS)
def test_notices_qr_payments_and_news_stay_below_medium(detector: Detector, text: str) -> None:
    assert _risk(detector, text).rank < Risk.MEDIUM.rank, text


PRIVATE_FIX = [
    "亲，您这单充值卡住了，后台处理不了，加我vx：shop_kf2231 我这边手动给您补发",
    "您的订单异常了哦，添加售后QQ 77334412，我人工给您补单",
    "Your top-up is stuck on our side. Add me on Telegram (@shop_fix_77) and I'll manually "
    "process it for you.",
    "我是游戏公司的员工，员工内购价的点卡有一批，这个不能通过平台买，得私下转我",
    "I work for the publisher and can get staff prices on gift cards, but it can't go through "
    "the platform, pay me privately.",
]
PRIVATE_FIX_HARMLESS = [
    "订单已人工补发，请在平台订单页面查看",
    "加我微信吧，周六一起去爬山",
    "我们公司的员工福利是每个月一张购物卡",
]


@pytest.mark.parametrize("text", PRIVATE_FIX)
def test_an_order_fix_or_a_deal_moved_off_the_platform(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text
    assert "off_platform" in _kinds(rules, text), text


@pytest.mark.parametrize("text", PRIVATE_FIX_HARMLESS)
def test_private_chat_and_staff_perks_alone_stay_below_medium(
    detector: Detector, text: str
) -> None:
    assert _risk(detector, text).rank < Risk.MEDIUM.rank, text


PLAIN_LOANS = [
    "哥们借我300，下周五发工资就还你",
    "能借我150吗 月底还你 这个月花超了",
    "姐借我500呗，15号还给你，刚交了学费",
    "can you lend me 40? I'll pay you back on friday, rent just went out",
]
HACKED_FRIEND_LOANS = [
    "借我1500急用，转到这个卡 6217000011112222 明天就还你",
    "借我800 扫一下这个收款码 下周还你 我现在不方便接电话",
    "急！借我2000 马上转 后天还你",
    "急 帮我垫一下 晚点给你",
    "借我600，转到这个支付宝 lihua_88@163.com，周五还你",
    "兄弟借我700 周日还你 我这会儿不方便接电话 微信说就行",
    "lend me 200 asap, I'll pay you back tomorrow, don't call me I can't talk",
]


@pytest.mark.parametrize("text", PLAIN_LOANS)
def test_a_plain_loan_with_a_return_day_stays_below_medium(detector: Detector, text: str) -> None:
    assert _risk(detector, text).rank < Risk.MEDIUM.rank, text


@pytest.mark.parametrize("text", HACKED_FRIEND_LOANS)
def test_a_hacked_friends_loan_stays_caught(rules: Detector, text: str) -> None:
    assert _risk(rules, text).rank >= Risk.MEDIUM.rank, text
