"""The techniques behind the misses and false alarms of blind batch 11, each with new
instances (never the batch's own texts) and the hard negatives that look like them.

Every scam is checked twice: the shipped detector flags it (medium or more) and the rules
alone name the technique, so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.normalize import fold_cn_numbers, normalize


def check(rules: Detector, detector: Detector, scams: list[str], harmless: list[str]) -> None:
    missed = [s for s in scams if not detector.scan_text(s).at_least(Risk.MEDIUM)]
    unnamed = [s for s in scams if not rules.scan_text(s).at_least(Risk.MEDIUM)]
    wrong = [h for h in harmless if detector.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not unnamed and not wrong, {
        "missed": missed,
        "missed by the rules": unnamed,
        "false alarms": wrong,
    }


def test_support_moved_to_a_new_handle_is_a_contact_request(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "各位买家注意，本店售后微信已经换成新号了，旧号被盗，退款问题请加新微信 kf_store2024",
            "通知：官方客服已迁移到 @topup_kefu_center ，有退款的请私聊",
            "售后旧号被封了，有退款的请私聊新号 @card_help_cs 处理",
            "Heads up: our support account has moved to @topup_helpdesk_real, the previous one"
            " was compromised. Message them for refunds.",
            "Admin here - we switched customer service to @giftshop_care_team. Refund questions"
            " go there, don't reply to the old one.",
            "Quick update from the shop: we've moved our help desk to @topup_support_desk2,"
            " please DM it about refunds.",
            "FYI we changed the refund team account to @giftcard_refunds_hq, contact it for"
            " refunds.",
        ],
        [
            "Only trust the in-app support of the platform. Ignore anyone who says support moved"
            " to a new account.",
            "只认平台App内的官方客服，凡是说客服号已更换、让你加新号的都是骗子，别理",
            "本店营业时间已更换为早九点到晚九点，售后请在平台内留言",
            "Our shop hours have changed to 9am-9pm; refunds are handled in the order page as"
            " always.",
            "我旧号被盗了，大家别理旧号发的消息，也别借钱给它",
            "Hey guys, my old account got hacked, ignore messages from the old one and don't"
            " send it money.",
        ],
    )


def test_the_old_account_discredited_is_the_scripts_own_line(rules: Detector) -> None:
    # "一律不要理会" in a support-moved notice is no warning about scams: it keeps the
    # reader away from the account that could contradict the new one
    text = "群公告：客服号已更换为 @shop_aftersale_01，原号停用，旧号的消息一律不要理会，有问题私聊新号"
    verdict = rules.scan_text(text)
    assert verdict.at_least(Risk.MEDIUM), verdict.findings
    assert not any("talks about scams" in f.detail for f in verdict.findings)


def test_numbers_in_chinese_numerals_read_as_digits() -> None:
    assert fold_cn_numbers("扣扣：壹零叁 捌捌 柒陆 伍伍") == "扣扣：103 88 76 55"
    assert fold_cn_numbers("微信 幺三八零零一三八零零零") == "微信 13800138000"
    assert normalize("QQ：九八七六五四三二一") == "qq:987654321"
    # amounts, years and idioms are not numbers spelt digit by digit
    for kept in ("壹佰贰拾元整", "二〇二四年", "一五一十地说了", "三三两两", "第一二三名"):
        assert normalize(kept) == kept


def test_an_off_platform_contact_number_in_chinese_numerals(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "退款需要到财务结算部门办理，请联系对接专员 企鹅 号：玖捌柒陆伍肆叁贰壹",
            "理赔款由第三方结算中心发放，加结算对接人微信：幺叁捌 零零壹叁 捌零零零",
            "售后处理不了，对接人扣扣：一零三八 八七六 五五，报订单号",
            "Refund desk can't process this, contact our settlement agent on QQ: 九八七 六五四 三二一",
        ],
        [
            "本店客服电话：四零零-八八八-一二三四，工作时间九点到六点",
            "我的qq号是一二三四五六七，有空一起打游戏",
            "发票金额：壹佰贰拾叁元整，退款已原路退回",
            "Settlement happens inside the platform; our support never gives a QQ number.",
        ],
    )


def test_merchant_collection_to_enable_for_a_refund(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "亲，退款已经审核通过了，但您的银行卡没有开通收款功能所以退不回去，我一步步教您在手机银行里开通一下",
            "您的退款被退回了，原因是账户尚未开通商家收款，请跟着我的指导在网银里操作开通",
            "Your refund was approved but it can't be delivered because your account hasn't"
            " enabled merchant collection. Follow my instructions in your banking app to turn"
            " it on.",
            "The refund failed: your receiving feature is not activated yet. I'll walk you"
            " through it in your mobile banking, it only takes a minute.",
        ],
        [
            "退款会原路退回您的付款账户，无需开通任何收款功能，也不需要您做任何操作",
            "退款原路返回，不需要开通商户收款，3个工作日内到账",
            "Refunds go back to the original payment method; there is nothing to enable and you"
            " don't need to set up any receiving account.",
            "Your refund is on its way back to the card you paid with. No need to enable"
            " merchant collection or anything else.",
            "我们店刚开通了商户收款，以后可以直接在平台下单付款",
        ],
    )


def test_a_list_of_what_a_shop_never_does_is_advice(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            # negated items with a condition are a threat, not a policy
            "售后：不加微信、不加QQ的话退款办不了",
            "客服：不私聊、不加好友就没法给您处理退款",
        ],
        [
            "声明：本店客服不私聊，不加好友，不索要验证码，退款只走平台",
            "售后说明：我们不加微信，不加QQ，也不让您扫码付款，一切以平台订单为准",
            "本店所有退换均在订单页处理：不加微信、不加扣扣、不私下转账，谨防冒充",
            "Our shop handles every refund inside the platform order: we never add WeChat,"
            " never ask you to add QQ, and never take transfers off the platform.",
        ],
    )


def test_a_receiving_function_to_enable_is_a_scam_line(rules: Detector) -> None:
    # the line alone, with no guidance asked: the rules still name it
    lines = [
        "您的收款账户未开通商户收款功能，款项暂时无法到账",
        "系统提示：收款权限尚未开通，赔付金额退回中",
        "Your payout is on hold because your merchant collection is not enabled yet.",
        "To receive the compensation you must activate the receiving feature first.",
    ]
    plain = [
        "退款原路返回，不需要开通商户收款，3个工作日内到账",
        "退款无需开通收款功能，原路退回",
        "There is no need to enable merchant collection; refunds return to your card.",
    ]
    named = [
        t for t in lines if any(f.check == "text.scam_claim" for f in rules.scan_text(t).findings)
    ]
    assert named == lines
    assert not [t for t in plain if rules.scan_text(t).findings]
