"""Money asked for the writer with a pretext no platform needs (after blind batch 7).

One rule of two halves (scripts.yaml, `pay_writer`): the reader's money moved to the writer
or to a person, QR code, link or account the writer controls, together with a reason no
platform trade has (a deposit, a verification or membership fee, a fine, an unlock, a report
withdrawn, a prize draw, the difference of an overpayment, paying again). Every scam here is
a new instance, none an evaluation batch's sentence; each must raise the `text.pay_writer`
finding itself at medium, with the classifier off. The hard negatives (either half alone,
trade through the platform, warnings and the writer's own story) must stay below medium
with and without the classifier, and must not raise the finding."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk

SCAMS = (
    "老铁这批皮肤码三折出，不过新客要先转200保证金，拿货的时候抵扣，不转就不发",
    "本群即将升级为VIP内部群，想留下的每人扫码支付30元入群费，截止今晚",
    "你这单被系统判定违规，需要缴纳罚款，转到下面这个账户就给你解封",
    "恭喜您被抽中二等奖！只需扫码付9.9元运费即可领奖",
    "刚才手滑多转了你300，麻烦把多的转到我表妹的支付宝上，她急用",
    "亲，系统显示没收到您的款，麻烦点下面链接重新付一下，之前那笔会原路退回",
    "你的店我已经举报了，给我转1500我就去撤销举报，晚了就来不及",
    "你的帐号被冻结了，解冻需要先打300到我这边的卡上，马上就能用",
    "我给你发个收款码，你扫一下金额填800，钱会自动进你的账户，这样快",
    "兄dei 押金先打五百过来 我这边确认了再发卡密",
    "Congrats, you won our raffle! To release the prize just zelle $25 to my assistant",
    "hey the seller needs a $50 security deposit before he ships, venmo it to @mike-trades99",
    "Your account is locked. Pay the $40 unlock fee to this wallet and it is restored in 5 min",
    "I accidentally sent u $500 instead of $50 lol, can u send the rest to my brother's "
    "cashapp $dre_b21",
    "Membership check: each member sends a $10 verification fee to me by tonight",
    "ur order payment failed, system didnt receive the money. pay again: scan the qr and "
    "enter the amount 89",
    "Someone filed a complaint on your shop. Send me $200 and I will withdraw the report tonight",
)

HARMLESS = (
    "押金只在平台交，千万不要转给我或任何个人",
    "Never send a deposit to me or anyone directly, the platform holds it",
    "定金直接扫码支付到平台上，押金由平台代管",
    "刚收到短信说我账户被冻结要点链接认证，我直接登录支付宝App看了，一切正常",
    "这台相机租一天要押金500，押金在平台担保里冻结，还机后自动退",
    "付款后自动发货，卡密在订单详情里查看",
    "我转错了50给朋友，已经找他要回来了",
    "商家说退款会原路退回到我的支付宝，三个工作日内到账",
    "收到短信说我中奖了要先交手续费，我打开官方App查了，一切正常，那种短信千万别点",
    "有人冒充客服让我转500押金到他卡上，我直接拉黑了",
    "Steam充值卡多出一张，面值100，90出，走平台担保，不私下交易",
    "群主从来不会私聊让大家转验证费，看到这种直接举报",
    "我先转你200定金，剩下的平台确认收货后付清",
    "I paid for the gift card an hour ago, when will the code arrive?",
    "PSA: scammers ask people to cashapp a $20 verification fee to $helpdesk_pay. "
    "Real support never asks for that.",
    "We refunded the $15 difference to your original payment method; it shows in 3-5 days.",
    "The apartment deposit is paid through the booking site, I checked in the official app "
    "and everything is normal.",
    "押金是平台代收的，退租后系统自动原路退回，不用转给任何人",
    "Won a raffle at work, the prize was a $20 Steam card, I redeemed it in the official app",
    "领奖要在官方App里点领取，奖品直接发到账户，不用付任何钱",
    "Selling a spare $50 Steam wallet code for $45 through the platform escrow, no private deals.",
)


# one half alone: this rule stays quiet on them (a bill split among friends, an overpayment
# the writer sorts out themself); other checks may still speak of them
HALF_ONLY = (
    "账单我重新算了一下，你转我85就行",
    "Loved the dinner, let's do it again! venmo me $25 for your half",
    "这个月房租你转我1500，水电费下个月再算",
    "Can you get me the tickets? Just venmo me $40 for yours",
    "昨天聚餐一共360，你转我90就行",
    "Dinner was $120 total, just venmo me $30 when you can",
    "I accidentally sent my friend $50 instead of $5, I'll ask him to send it back",
    "押金退回来了吗？我看订单里写的是三天内原路退回",
)


def _pay_writer(verdict) -> bool:  # type: ignore[no-untyped-def]
    return any(
        f.check == "text.pay_writer" and f.severity.rank >= Risk.MEDIUM.rank
        for f in verdict.findings
    )


def test_money_to_the_writer_with_a_pretext_is_medium_by_itself(rules: Detector) -> None:
    missed = [s for s in SCAMS if not _pay_writer(rules.scan_text(s))]
    assert not missed, missed
    assert all(rules.scan_text(s).at_least(Risk.MEDIUM) for s in SCAMS)


def test_either_half_alone_trade_warnings_and_stories_stay_quiet(
    rules: Detector, detector: Detector
) -> None:
    wrong = [
        h
        for h in HARMLESS
        if any(f.check == "text.pay_writer" for f in rules.scan_text(h).findings)
    ]
    wrong += [h for h in HARMLESS if rules.scan_text(h).at_least(Risk.MEDIUM)]
    wrong += [h for h in HARMLESS if detector.scan_text(h).at_least(Risk.MEDIUM)]
    assert not wrong, wrong


def test_one_half_alone_never_makes_the_finding(rules: Detector) -> None:
    wrong = [
        h
        for h in HALF_ONLY
        if any(f.check == "text.pay_writer" for f in rules.scan_text(h).findings)
    ]
    assert not wrong, wrong


def test_the_counts_of_new_instances() -> None:
    assert len(SCAMS) >= 15 and len(HARMLESS) >= 15
    assert sum(1 for s in SCAMS if s.isascii()) >= 5
