"""Each trick scammers use, caught as the technique it is: several instances of it, and
the hard negatives that look like it (the real domains, a buyer quoting a scam to warn
others, a merchant confirming a refund to the original account)."""

from __future__ import annotations

import base64

import pytest

from bot.domain.fraud import Detector, LinkRef, MessageInput, Risk
from bot.domain.fraud.detector import prose_of
from bot.services.scam import fraud_texts


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(texts=fraud_texts())


def flagged(detector: Detector, text: str) -> bool:
    return detector.scan_text(text).at_least(Risk.MEDIUM)


def check(detector: Detector, scams: list[str], harmless: list[str]) -> None:
    missed = [s for s in scams if not flagged(detector, s)]
    wrong = [h for h in harmless if flagged(detector, h)]
    assert not missed and not wrong, {"missed": missed, "false alarms": wrong}


def rules_ask(detector: Detector, kind: str, texts: list[str]) -> None:
    """The rules themselves (not only the classifier) read a request of this kind in each."""
    missed = [
        t
        for t in texts
        if not any(
            f.check.startswith("text.") and kind in f.detail for f in detector.scan_text(t).findings
        )
    ]
    assert not missed, {kind: missed}


def test_carrier_lookalikes_one_digit_or_letter_off(detector: Detector) -> None:
    check(
        detector,
        [
            "中国移动积分兑换话费：http://10087.cn/jf",  # a digit changed
            "话费返还请登录 www.100086.cn",  # a digit added
            "联通积分即将清零 10O10.cn 立即兑换",  # a letter for a digit
            "积分兑换 https://1oo86.cn/duihuan",
            "您的话费积分可兑换现金：10068.cn",  # two digits swapped
            "联通用户请登录 http://10011.cn/wt 领取补贴",
            "电信积分兑换请访问 https://chinatelecom-jf.top",
        ],
        [
            "中国移动官网 https://www.10086.cn/ 可以查话费",
            "联通网上营业厅 www.10010.com",
            "电信的网站是 189.cn",
            "积分兑换在 https://jf.10086.cn 官方页面",
            "12306.cn 买火车票",
            "投诉请上 12315.cn",
            "139.com 是移动的邮箱",
        ],
    )


def test_refund_offered_through_an_unknown_domain(detector: Detector) -> None:
    check(
        detector,
        [
            "退款入口：https://kmrefund-center.net/r/8812",
            "refund here: https://order-help-desk.com/claim",
            "您的赔偿已到账，领取地址 👉 https://pay-back-now.cc",
            "理赔通道：www.qk-service.com/lp",
        ],
        [
            "我在 https://example-shop.net 买的点卡，怎么申请退款",
            "退款已退回原账户，有问题请在订单里留言",
            "the refund went back to my card, receipt is on https://imgur.com/a/xyz",
            "退款进度可以在 https://buyertrade.taobao.com 查看",
        ],
    )


def test_subscription_trial_or_vip_agent_with_a_number_to_call(detector: Detector) -> None:
    check(
        detector,
        [
            "您的百万保障试用期明天到期，每月扣费 299 元，如需取消请拨打 400-812-3366",
            "您的账户被误设为VIP代理，每月扣费600元并影响征信，请致电 17623451234 关闭",
            "Your trial membership expires today and you will be charged monthly; to cancel call 400-820-5566",
            "会员即将自动续费，非本人操作请回电 0755-86231234",
        ],
        [
            "支付宝自动续费可以在设置里关，或者打官方电话 95188 问",
            "会员自动续费的事情，可以拨打京东官方客服 400-606-5500 咨询",  # an official hotline
            "退款已退回原账户，有问题请致电 13812345678",  # a merchant's own number, no scam line
            "骗子会说你误开通了会员要扣费，让你打一个电话，千万别打",
            "我打 10086 问了，说是自动续费的流量包，已经退订",
        ],
    )


def test_refund_slang_and_off_platform_settlement(detector: Detector) -> None:
    check(
        detector,
        [
            "tk加qq 2845123367",
            "需要tk的加vx：refund888",
            "tk找我 kou kou 3367281",
            "您先确认收货，我这边微信给您退差价",
            "Please confirm receipt on the platform first, then I'll transfer you on WeChat",
            "平台退款太慢，你先好评确认，我私下转你",
        ],
        [
            "tk已经到账了，谢谢客服",
            "我已经确认收货了，卡密没问题",
            "凡是让你先确认收货再私下退款的都是骗子",
            "I confirmed receipt, the code works, thanks",
        ],
    )


def test_off_platform_settlement_is_named_as_such(detector: Detector) -> None:
    for text in (
        "您先确认收货，我这边微信给您退差价",
        "Please confirm receipt on the platform first, then I'll transfer you on WeChat",
        "平台退款太慢，你先好评确认，我私下转你",
    ):
        verdict = detector.scan_text(text)
        assert verdict.at_least(Risk.MEDIUM) and any(
            "off_platform" in f.detail for f in verdict.findings
        ), text


def test_secrecy_and_staying_on_the_line_is_no_advice(detector: Detector) -> None:
    long_script = (
        "您好，我是抖音官方客服，您之前误开通了百万保障，现在需要帮您关闭，否则每月扣费。"
        "请您下载腾讯会议，输入会议号 886 221 901，打开共享屏幕，我一步一步指导您操作。"
        "全程不要挂断电话，也不要告诉任何人，以免影响您的征信。"
    )
    check(
        detector,
        [
            long_script,
            "This is a confidential case, don't tell your family and don't hang up, just join our Zoom meeting",
            "操作期间不要挂电话，不要告诉家人，按我说的把钱转到安全账户",
        ],
        [
            "骗子一般会让你不要挂电话、不要告诉家人，听到这些就要警惕",
            "如果有人让你共享屏幕，马上挂断电话，这是诈骗",
            "Scammers say 'don't hang up and don't tell anyone'; if you hear that, hang up",
        ],
    )
    assert detector.scan_text(long_script).risk is Risk.HIGH


def test_secrecy_quoted_in_a_warning_is_no_secrecy(detector: Detector) -> None:
    for text in (
        "骗子一般会让你不要挂电话、不要告诉家人，听到这些就要警惕",
        "如果有人让你不要告诉任何人，那一定是诈骗",
        "Scammers say don't hang up and don't tell anyone; if you hear that, hang up",
    ):
        assert detector.text.check(prose_of(text), exhaustive=True).secrecy is None, text
    assert detector.text.check(
        prose_of("全程不要挂电话，也不要告诉任何人"), exhaustive=True
    ).secrecy


def test_markdown_link_showing_a_real_domain(detector: Detector) -> None:
    check(
        detector,
        [
            "退款请点 [https://www.alipay.com](https://alipay-refund.top/x)",
            "Refund page: [www.taobao.com](http://tb-service.cc/login)",
            "[支付宝退款中心](https://zfb-center.xyz)",
        ],
        [
            "官网 [https://www.alipay.com](https://www.alipay.com)",
            "see [the docs](https://github.com/aiogram/aiogram)",
        ],
    )


def test_disguised_links(detector: Detector) -> None:
    encoded = base64.b64encode(b"https://taobao-refund.top/claim").decode()
    check(
        detector,
        [
            "退款链接 taobao-refund&#46;top 请尽快",  # an HTML entity for the dot
            "退款请访问 taobao-\nrefund\n.top",  # broken over lines
            "退款进群 t . me / taobao_refund_cs",  # spaced out
            f"复制这段打开：{encoded}",  # base64
            "退款点 ᴛᴀᴏʙᴀᴏ-refund.top",  # small capitals
            "退款网址：\u202epot.dnufer-oaboat",  # reversed behind a right-to-left override
        ],
        [
            "我的订单号是 KM20261130000512，金额 98.5",
            "用 base64 编码一下 aGVsbG8gd29ybGQ= 就是 hello world",
            "淘宝的网址是 taobao.com",
            "t . me 是 telegram 的短链接",
        ],
    )


def test_words_split_by_emoji_and_qq_in_pinyin(detector: Detector) -> None:
    check(
        detector,
        [
            "我是淘宝客服，退款需要您把验🔥证🔥码发给我",
            "客服这边给您退款，请把验✨证✨码告诉我",
            "退款加我 jia wo kou kou 3367281 客服处理",
            "售后退款 jia wo wei xin kf8899",
        ],
        [
            "验证码收到了🎉登录成功",
            "晚上打游戏吗 kou kou 上叫我",
        ],
    )
    # the rules read the word behind the emoji (the classifier alone would say medium)
    for text in (
        "我是淘宝客服，退款需要您把验🔥证🔥码发给我",
        "客服这边给您退款，请把验✨证✨码告诉我",
    ):
        verdict = detector.scan_text(text)
        assert "text.scam_script" in verdict.checks and verdict.risk is Risk.HIGH, text


def test_contact_handle_posing_as_brand_support(detector: Detector) -> None:
    check(
        detector,
        [
            "official support @taobao_refund_cs",
            "退款请联系官方客服 @alipay_kefu",
            "Contact our service desk @jd_support_help for your refund",
        ],
        [
            "follow @taobao for deals",
            "我的tg是 @xiaoming_1998",
            "问 @kamen_admin 群主",
        ],
    )


def test_text_link_showing_a_real_domain_is_still_caught(detector: Detector) -> None:
    msg = MessageInput(
        text="退款页面 https://www.alipay.com",
        links=[LinkRef(url="https://alipay-refund.top", visible_text="https://www.alipay.com")],
    )
    assert detector.scan(msg).at_least(Risk.MEDIUM)


def nothing_found(detector: Detector, texts: list[str]) -> None:
    """Not even a low finding in any of the texts."""
    found = {t: detector.scan_text(t).checks for t in texts}
    assert not any(found.values()), found


def test_allpay_and_paypay_are_real_sites(detector: Detector) -> None:
    nothing_found(
        detector,
        ["付款用 allpay.com.tw", "https://paypay.ne.jp/refund", "歐付寶 https://www.allpay.com.tw"],
    )


def test_a_negated_payment_is_no_pay_again_script(detector: Detector) -> None:
    # a merchant confirming a reissue says no payment is needed; the scam asks for it
    check(
        detector,
        [
            "这张卡充值失败了，需要您重新付款一次才能补发新卡密",
            "系统显示卡密作废，您再充值一笔同样金额后就能补发",
            "Sorry, the code is dead. You have to pay again to get the replacement.",
            "Top up once more and we will reissue both codes to you.",
        ],
        [
            "已经查过了，确实是充值失败，新卡密已经放到订单里，不用您再付款",
            "核实过了，充值记录是失败的，已为您补发，无需再支付任何费用",
            "补发的卡密在订单详情里，不需要再付款，刷新一下就能看到",
            "No need to pay again, the reissued code is already in your order.",
            "We checked it: the top-up failed, so we sent a new code. You don't have to pay anything.",
            "Your replacement card is in the order page; you don't need to pay again.",
        ],
    )
    # not even as a scam line (low): the payment is negated before the "pay again"
    nothing_found(
        detector,
        [
            "No need to pay again, the reissued code is already in your order.",
            "You don't have to pay again, the replacement was added to your order.",
        ],
    )


def test_card_codes_asked_as_a_sample_or_a_test(detector: Detector) -> None:
    # a "buyer" wants a few codes handed over first, to test a channel or as a sample
    check(
        detector,
        [
            "老板，你先发5张兑换码给我，我测一下通道",
            "先给我三张礼品卡卡密试试水，没问题就全要",
            "发两张卡密给我验一下真假，验完马上付款",
            "Send me 3 codes first to test the channel, then I buy 200.",
            "Send me two keys first as a sample and I'll order fifty.",
        ],
        [
            "先发你5张兑换码测试，满意了再下单",
            "我买了10张卡密，测了一下都能用",
            "卡密已经发到您的订单里，请在订单页查看",
            "We bought 3 codes first to test the store, all worked.",
        ],
    )
    # the rules see the request, whatever the classifier makes of the wording
    rules_ask(
        detector,
        "goods",
        [
            "Send me 3 codes first to test the channel, then I buy 200.",
            "Could you give us a couple of keys first to verify the seller?",
        ],
    )


def test_card_secrets_replied_into_the_chat(detector: Detector) -> None:
    # a notice's voice asking for the card's number and code "in this chat"
    check(
        detector,
        [
            "【系统通知】您的礼品卡存在异常，请将卡号和卡密回复到本对话进行核验",
            "风控提醒：请把激活码发送至此会话，核验后恢复",
            "Security team: reply here with the card number and PIN to keep your gift card active.",
            "Please paste the redemption code in this chat so we can verify it.",
        ],
        [
            "请不要把卡密回复到本会话，官方不会索要",
            "Reply STOP to unsubscribe. Your gift card code is in the order page.",
            "Your card number and PIN are printed on the back of the card.",
            "卡号和卡密在订单详情里，请勿发给任何人",
        ],
    )
    rules_ask(
        detector,
        "goods",
        [
            "Security team: reply here with the card number and PIN to keep your gift card active.",
            "Respond to this message with the gift card codes for a manual review.",
            "Please paste the redemption code in this chat so we can verify it.",
        ],
    )


def test_a_report_by_accident_sending_to_support_on_a_chat_app(detector: Detector) -> None:
    # "I reported your account by mistake, it will be banned: write to support on Discord
    # or Telegram <handle>": real support is never a personal handle on a chat app
    check(
        detector,
        [
            "Bro I accidentally reported your account, it gets banned in 12h unless you"
            " message their support on Discord: ValveHelp_Tom#5521",
            "Sorry!! I mistakenly reported you instead of a cheater, they will ban you."
            " Contact the support team on Telegram @steam_appeal_desk fast",
            "不好意思我不小心把你的号举报了，官方说24小时内会封号，你赶紧联系客服的discord: kefu_zhang#8812 解封",
            "哥们我误举报了你，要被封了，快联系他们客服，电报 @steam_jiefeng_bot",
            "Sorry man, I accidentally reported your account and it will be banned tonight."
            " Reach their support on Discord before then.",
            "我不小心把你的账号举报了，马上要封号，申诉找客服，纸飞机: steam_kf_0913",
        ],
        [
            "Sorry, I reported your post by mistake, I already undid it.",
            "我不小心举报了你的评论，已经撤回了，抱歉",
            "Need help? Contact support through the official Steam website, never on Discord.",
            "我们的客服只在官方App内，不会通过discord联系你",
            "我的discord: mike_88#1234 晚上一起打游戏",
            "I accidentally reported your account, sorry! I appealed it already, nothing to do.",
        ],
    )
    rules_ask(
        detector,
        "contact",
        [
            "Sorry man, I accidentally reported your account and it will be banned tonight."
            " Reach their support on Discord before then.",
            "My bad, I mistakenly reported you, they will suspend you. Contact the appeal team via Discord.",
        ],
    )
