"""The techniques behind the misses and false alarms of blind batch 12, each with new
instances (never the batch's own texts) and the hard negatives that look like them.

Every scam is checked twice: the shipped detector flags it (medium or more) and the rules
alone name the technique, so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.normalize import compact, normalize
from bot.domain.fraud.text import TextSignals
from tests.unit.conftest import assert_flagged_and_named as check


def test_a_refund_qr_whose_payment_screen_is_explained_away(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "给你发了个理赔码，拿微信扫下，页面是付款不用担心，是正常的验证步骤，钱会退回来",
            "退款码在图里，用你的支付宝扫码，扫了提示转账没关系，那是系统流程，输完金额就到账",
            "打开手机银行扫一下这个码，会弹出支付页面，不要担心，是验证流程，完成后赔付自动到账",
            "Scan it with your Alipay to get the refund. It will say 'pay' but that's just the"
            " system verification, don't worry.",
        ],
        [
            "用支付宝扫一下店门口的码就能付款，付完截图给我看一下就行",
            "退款从来不用扫码，扫完显示付款的都是骗局，别付",
            "我用微信扫了一下，显示付款成功，订单已经完成了",
            "If a 'refund' QR code shows a payment screen, stop: scanning never sends you money.",
        ],
    )


def test_the_phone_install_warning_overruled(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "理赔要在我们的客户端里办，手机弹出有病毒提醒的话直接选仍然安装就行，我们是内部版本",
            "售后专用软件发你了，装的时候提示未知来源，点允许安装未知来源就可以，退款马上处理",
            "To get your refund processed, our support tool isn't on the Play Store; when the"
            " phone warns you, tap install anyway.",
            "Our refund assistant is a direct download, so allow installs from unknown sources"
            " and the compensation will be credited.",
        ],
        [
            "手机提示有风险的软件千万不要继续安装，正规APP都在应用市场下载",
            "如果安装时弹出风险提示，请停止安装并删除安装包",
            "Never allow installs from unknown sources; get apps only from the official store.",
            "My phone warned me the app was unsafe, so I didn't install it and asked for a refund"
            " in the shop instead.",
        ],
    )


def test_a_disguised_link_to_rebuild_by_hand(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "理赔页面：p a y - b a c k . t o p 复制以后把空格都删掉再用浏览器打开",
            "退款地址发你了，中间的汉字去掉后复制到浏览器访问就能领取赔付",
            "Refund form: r e f u n d - h u b . x y z  just remove the spaces and open it in"
            " your browser.",
            "Claim your compensation at claimdesk(dot)icu, replace (dot) with . and open it.",
        ],
        [
            "表格里的空格去掉之后再提交，不然系统识别不了订单号",
            "Remove the spaces from your order number before you paste it into the search box.",
            "退款在订单页面申请就行，不用打开任何链接",
        ],
    )


def test_the_off_store_app_and_the_atm_in_traditional_characters(
    rules: Detector, detector: Detector
) -> None:
    assert normalize("這邊將購買蝦皮") == "这边将购买虾皮"
    check(
        rules,
        detector,
        [
            "您好，這邊是客服中心，您的帳號被誤設為高級會員，每月將自動扣款，請依照專員指示前往ATM取消",
            "這裡是平台客服，您的訂單被錯誤設定為代理商，系統會自動扣款，請至ATM依照指示操作解除",
            "您好，我们是售后，您被误开通了批发商服务，每月自动扣款，请前往ATM按我们指引关闭",
        ],
        [
            "每月自動扣款的會員可以在App的設定裡自己取消，不用打電話",
            "提醒：凡是讓你去ATM操作「取消扣款」的都是詐騙，平台不會這樣做",
            "我去ATM取了點現金，順便把房租轉給房東了",
        ],
    )


def test_an_off_platform_settlement_after_the_order_is_closed(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "Can you set the trade as completed first? I'll Zelle you the refund tonight.",
            "Just mark it as delivered, the site won't release the money otherwise. Then I'll"
            " PayPal you the $30 back.",
            "Please confirm the order as received and I will send you the money via Cash App"
            " right away.",
        ],
        [
            "Please mark the order as received once the code works; if it doesn't, open a"
            " refund request in the app.",
            "I marked the order as delivered yesterday and left a review.",
            "Mark it as completed only when you've checked the item, the platform holds the"
            " payment until then.",
        ],
    )


def test_a_moderator_to_talk_to_in_private_messages(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "hey sorry i accidentally reported your account, you'll get banned unless you talk"
            " to this admin 'Trust Team' on dm",
            "I mistakenly reported your account for spam, speak to the moderator Jake in"
            " private messages before they suspend it",
            "不小心举报了你的账号，你去私聊这个管理员处理一下，不然会被封",
            "我不小心把你的号举报了，你私聊这位客服解封就行",
        ],
        [
            "If you have a problem, talk to a mod in the #support channel of the server.",
            "Mods will never ask you to talk to them on DM about your account.",
            "我举报了那个骗子的账号，管理员已经处理了",
        ],
    )


def test_fraud_named_as_the_reason_for_a_money_request(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "To stop scams, all refunds need a $3 test payment to @refund_keys on Venmo first;"
            " it is returned with the refund.",
            "为了防止诈骗，退款前需要先转1元验证到下面的支付宝，验证完连同退款一起退回",
        ],
        [
            "To prevent fraud, never send a verification payment to anyone for a refund.",
            "为了防止诈骗，退款只在平台订单页办理，不需要转任何钱",
        ],
    )


def test_lease_terms_and_a_shop_s_own_site(rules: Detector, detector: Detector) -> None:
    # a security deposit named as a lease term is no request; paying one to a stranger is
    check(
        rules,
        detector,
        [
            "Refund of the old booking is done, now send the $300 security deposit to my Zelle"
            " before the viewing.",
        ],
        [
            "The security deposit is refundable within 14 days of move-out, per the lease.",
            "Our security deposit policy: two months' rent, refunded after the final inspection.",
            "For a refund go to amazon.co.uk > Returns & Orders and choose the item.",
        ],
    )


def _signals(rules: Detector, text: str) -> TextSignals:
    return rules.text.check(compact(normalize(text)), context=True)


def test_each_new_line_is_named_by_itself(rules: Detector) -> None:
    # the scam lines and requests above, each alone: a text may be caught by its other words
    explained = [
        "扫完会显示付款，别担心那是系统验证流程",
        "拿微信扫下，页面是付款不用担心",
        "It will say 'pay' but that's just the system verification, don't worry.",
    ]
    debits = ["會員每月將自動扣款", "vip年费自动扣款", "每月自动扣款"]
    atm = ["请依照指示至ATM解除设定", "请您前往ATM取消"]
    for text in explained + debits:
        assert _signals(rules, text).scam_claims, text
    for text in atm:
        assert any(r.kind == "transfer" for r in _signals(rules, text).requests), text
    assert not _signals(rules, "扫完显示付款成功，订单就完成了").scam_claims
    # a scam line alone is no finding: an automatic debit told among friends stays quiet
    assert not rules.scan_text("房租自动扣款失败了，我手动交了").at_least(Risk.MEDIUM)
    assert not _signals(rules, "我至今没去过ATM").requests


def test_the_hard_negatives_stay_quiet_next_to_an_unknown_link(
    rules: Detector, detector: Detector
) -> None:
    # with a link the text checks read more words: advice and everyday payments stay below medium
    link = " https://refund-desk-77.top/r"
    for text in (
        "Never allow installs from unknown sources; get apps only from the official store.",
        "手机提示有风险的软件千万不要继续安装，也别开启未知来源",
        "If the phone warns you about the file, don't install anyway; delete it.",
        "Remove the spaces from your order number before you paste it into the search box.",
        "房租自动扣款失败了，我手动交了",
        "用支付宝扫一下店门口的码就能付款，付完截图给我看一下就行",
    ):
        assert not rules.scan_text(text + link).at_least(Risk.MEDIUM), text
        assert not detector.scan_text(text + link).at_least(Risk.MEDIUM), text
