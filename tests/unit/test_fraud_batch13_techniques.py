"""The techniques behind the misses and false alarms of batch 13, each with new instances
(never the batch's own texts) and the hard negatives that look like them.

Every scam is checked twice: the shipped detector flags it (medium or more) and the rules
alone name the technique, so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.normalize import compact, normalize
from bot.domain.fraud.text import TextSignals
from tests.unit.conftest import assert_flagged_and_named as check


def _signals(rules: Detector, text: str) -> TextSignals:
    return rules.text.check(compact(normalize(text)), context=False)


def test_an_account_s_password_and_login_code_asked_for(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "王者点券七折代充，走官方渠道，需要你的微信号和密码，再把登录验证码发我，充完你改密码就行",
            "原神月卡半价代充，官方渠道秒到，需要您的账号密码和登录时的验证码，充完马上退出，不会乱动",
            "Cheap Robux top-up, 40% off through an official reseller. I just need your Roblox"
            " password and the login code you get, I log in, add it and log out.",
            "I can level your account fast, just need your Steam password and the Steam Guard"
            " code when it pops up",
        ],
        [
            "官方渠道充值请在App内完成，我们不需要你的密码和验证码",
            "我忘了我的QQ密码，验证码也收不到，怎么办",
            "有人说能半价代充点券，要我的QQ密码和验证码，这种肯定是骗子，大家别信",
            "Someone in chat offered cheap V-Bucks if I gave him my Epic password and the 2FA"
            " code. Obvious scam, reported him.",
            "Reminder: logging in needs your password and the code we text you; enter them only"
            " in the official app, never share them.",
        ],
    )


def test_the_platform_s_refund_steered_away_from(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "我是这家店的售后经理，听我的，千万别在平台申请退款，申请了会被判恶意退款封号，我私下给你处理",
            "亲，不要在淘宝上点退货退款，一点就影响你的信誉，加我微信我这边单独给你退",
            "你把平台上的退款申请撤销一下，我这边私下转你，比平台快多了",
            "I'm the store manager. Don't open a dispute on PayPal, it gets your account"
            " suspended. I'll refund you myself, just trust me.",
            "Please don't file a refund request with the platform, it takes weeks. Cancel it and"
            " I'll send the money via Zelle today.",
        ],
        [
            # the merchant asks for the platform's own refund button
            "请在平台订单页点“申请退款”，我们会在24小时内处理",
            "亲，直接在拼多多订单里申请退款就行，我们同意后原路退回",
            'Please use the "Request refund" button on your order page and we\'ll approve it'
            " within a day.",
            # no refund needed: the goods were sent again
            "不用申请退款了，已经给您补发了，单号稍后发您",
            "Don't open a dispute yet, we've already reshipped it and it arrives tomorrow.",
            # a buyer warning others
            "有人冒充客服让我别在平台申请退款，说会扣信誉分，让我加他微信，肯定是骗子",
            'Heads up: a "manager" DMed me saying not to open a dispute or I\'d get banned, and'
            " to deal with him directly. That's a scam, always use the platform.",
        ],
    )


def test_an_escrow_or_middleman_of_the_writer_s_own(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "We don't need the site's middleman, I run a trusted escrow on Discord. Send the $300"
            " to it and I'll hand over the account.",
            "ok let's use a middleman, my buddy Kevin is trusted here, give him the login first"
            " and I pay him",
            "咱们别走闲鱼的担保了，手续费太高，走我朋友的“诚信担保”平台，你把钱先打到那边",
            "账号我要了，我朋友做担保，你把账号密码先给他，我付款给他，他确认了再给你",
            "用这个交易担保网吧，比5173便宜，钱先存进去，我看到了就发货，链接我发你",
        ],
        [
            # the platform's own guarantee wording
            "平台担保交易，买家付款后钱在平台，确认收货后才打给卖家",
            "闲鱼有官方担保，大家交易都走平台，别走私下",
            "Our site's escrow holds the buyer's payment until the account is transferred; fees"
            " are 5%.",
            # a buyer warning others
            "Always use the site's escrow. If someone says they run their own middleman service,"
            " it's a scam.",
            "有人让我走他说的担保平台，说比闲鱼手续费低，我没理，直接拉黑了",
        ],
    )


def test_each_new_line_is_named_by_itself(rules: Detector) -> None:
    # the requests above, each alone: a text may be caught by its other words
    credentials = ["需要你的QQ号密码", "需要您的账号密码和登录验证码"]
    steered = [
        "千万别在平台点申请退款，点了会扣你信誉分",
        "把退款申请撤销了，我私下转你",
        "don't open a dispute, it gets your account banned",
        "cancel the refund request and I'll pay you via Venmo",
    ]
    escrows = [
        "I run a middleman service at safe-trade.co",
        "my own escrow service holds it",
        "let's not use the site escrow, use my friend's",
        "走“安心担保”那个平台",
        "我朋友做担保",
    ]
    for text in credentials:
        assert any(r.kind == "password" and r.giving for r in _signals(rules, text).requests), text
    for text in steered + escrows:
        assert any(r.kind == "off_platform" for r in _signals(rules, text).requests), text
    for text in ("走平台担保交易", "我们平台有担保交易", "请在平台申请退款", "需要你的帮助"):
        assert not _signals(rules, text).requests, text
    # a need stated next to the official app is what a login asks, typed in there
    need = _signals(rules, "登录需要你的密码，只在官方App里输入")
    assert not any(r.giving for r in need.requests)


def test_the_classifier_alone_on_a_known_site_stays_low(
    rules: Detector, detector: Detector
) -> None:
    # a text that sends the reader only to a known site and asks nothing the rules know: the
    # classifier reads "log in at <link>" as phishing, but the way it points to is official
    for text in (
        "Check your Steam wallet balance at store.steampowered.com/account, just log in as usual",
        "You can see your Apple gift card balance at apple.com/shop/gift-cards, sign in with"
        " your Apple ID",
        "Go to paypal.com > Activity to see the refund, it shows there within a day",
        "Gift card balance check: log in at amazon.com and open Your Account > Gift cards",
    ):
        verdict = detector.scan_text(text)
        assert verdict.risk is Risk.LOW, (text, verdict.findings)
        assert [f.check for f in verdict.findings] == ["model.text"], text
    # a known site with something asked (a new chat), or an unknown site, still warns
    for text in (
        "Log in at amazon.com, buy a $200 gift card and send me the code on the back",
        "Check your gift card balance at giftbalance-check.com, just log in as usual",
        "Check your gift card balance at amazon.com, then add me on WhatsApp",
    ):
        assert detector.scan_text(text).at_least(Risk.MEDIUM), text
