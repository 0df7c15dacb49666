"""The techniques behind the misses and the false alarm of batch 14, each with new instances
(not only the batch's own texts) and the hard negatives that look like them.

Every scam is checked twice: the shipped detector flags it (medium or more) and the rules
alone name the technique, so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector
from bot.domain.fraud.normalize import compact, normalize
from bot.domain.fraud.text import TextSignals
from tests.unit.conftest import assert_flagged_and_named as check


def _signals(rules: Detector, text: str) -> TextSignals:
    return rules.text.check(compact(normalize(text)), context=False)


def _kinds(rules: Detector, text: str) -> set[str]:
    return {r.kind for r in _signals(rules, text).requests}


def test_the_chat_moved_to_another_app_with_an_id_to_search(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "这边飞机不稳定，消息老被屏蔽，下载“蝙蝠”聊吧，搜索ID：KM_kefu_9，退款在那边处理。",
            "TG消息总被删，去Zangi上聊，搜我账号 kf_2088，订单在那边给你处理",
            "换到事密达说吧，搜索号码 SMD88231 加我，补单那边弄",
            "与你APP下载一下，搜ID：yn_3321，售后在那边处理",
            "先下个Zangi，搜账号 zg_kefu01，退款那边给你办",
            "let's move to Signal, TG keeps deleting my msgs. search me: KMStaff.02",
            "Download WhatsApp and search my ID: refund_desk_77, we'll finish the refund there",
            "continue on Line, search ID kmsupport01 and I'll process your order there",
        ],
        [
            "我跟朋友后来换到微信聊了，方便一点",
            "I moved to WhatsApp with my friend, it's easier for us",
            "我在Signal上搜了一下朋友的ID就加上了，聊得挺好",
            "我下载了与你，搜ID找到了我表哥，挺好用",
            "下载好游戏后搜索账号 abc123 可以看我的主页战绩",
            "我和同学都用Line聊天，我的id是 lily_2001，欢迎加我一起组队打游戏",
            "群里提醒：有人私聊说“下载蝙蝠聊吧，搜索ID：xxx，退款在那边处理”，这是骗子，退款只走官方。",
            "Heads-up: scammers say 'move to Signal, search me: KMStaff' - admins never do this,"
            " refunds only in the app.",
        ],
    )


def test_the_task_and_rebate_scam(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "任务第三单：充值话费666元到指定号码 138****2271，完成后返本金+佣金88元。前两单都返了吧？"
            "第三单是连单，不做完之前的钱提不出来哦。",
            "刷单任务：先垫付200元下单，完成后返还本金和佣金30元，马上到账",
            "这是连单任务，必须把后面三单做完才能提现，之前的本金都在系统里",
            "做完这单返还本金和佣金，共计258元，请先充值",
            "Your next task is a combo order: top up 300 USDT, then you get your principal plus"
            " 15% commission.",
            "You need to complete the remaining 3 tasks to withdraw, the system froze your"
            " balance until then",
        ],
        [
            "招兼职店员，日结，零门槛，加微信 shop_hr01 详聊",
            "Part-time cashier wanted at our store, $15/hour, no fees, apply in person",
            "招暑期工，奶茶店，时薪20，不收任何费用，电话联系店长",
            "刷单都是骗局，我同事垫付了三千本金，返不回来了，大家别信",
            "这款定期理财到期返还本金和利息，年化2%，在银行App里就能买",
            "The bond pays back your principal at maturity, plus interest, inside your bank app",
            "我们公司销售按成交额拿提成，完成季度任务才能拿奖金",
            "快递员一单一结，多劳多得，有意者到站点面试",
            "提醒：“做完连单才能提现、返本金+佣金”都是刷单骗局的话术，管理员不会发任务。",
        ],
    )


def test_brushing_recruitment_spaced_out_with_a_number_in_words(
    rules: Detector, detector: Detector
) -> None:
    check(
        rules,
        detector,
        [
            "招 s 单 员，一单一结，佣 金 高，零 门 槛，加扣：二九七六五三一零八",
            "诚招刷单兼职，手机就能做，日结，加q：①②③④⑤⑥⑦⑧⑨",
            "招点赞员 在家可做 一单一结 加v：壹贰叁肆伍陆柒捌玖",
            "急招 刷 单 员，佣金日结，加扣 ５５６２３８８１",
        ],
        [
            "招兼职店员，日结，零门槛，加微信 shop_hr01 详聊",
            "快递员一单一结，多劳多得，有意者到站点面试",
            "我们店招收银员，包吃住，加扣扣群了解，群号在公告里",
            "刷单是骗局，招刷单员的帖子一律举报，大家别加",
        ],
    )


def test_an_own_account_secured_is_no_request(rules: Detector, detector: Detector) -> None:
    check(
        rules,
        detector,
        [
            "系统给你发了个验证码，念给我听一下，我帮你解除异地登录",
            "把刚收到的验证码给我，我帮你处理异地登录",
        ],
        [
            "游戏里给我发了个验证码提示说异地登录，我赶紧改了密码开了二次验证，大家也注意账号安全。",
            "昨晚系统给我发了验证码，说有人在异地登录，我马上改了登录密码，还绑了手机，大家也检查下自己的号",
            "The game sent me a login code I never asked for, so I changed my password and turned"
            " on 2FA. Check your accounts, everyone.",
            "收到陌生验证码别慌，我的做法是立刻改密码、开二次验证，我现在账号好好的",
            "I got a text with a code and my account showed a new login from another city, I"
            " reset the password right away",
        ],
    )


def test_each_new_line_is_named_by_itself(rules: Detector) -> None:
    moved = [
        "下载“蝙蝠”聊吧，搜索ID：KM_kefu_9",
        "搜我账号 kf_2088，去Zangi上聊",
        "let's move to Signal. search me: KMStaff.02",
        "search me: KMStaff.02 and move to Signal",
    ]
    for text in moved:
        assert "off_platform" in _kinds(rules, text), text
    tasks = [
        "完成后返本金+佣金88元",
        "第三单是连单",
        "不做完之前的钱提不出来",
        "前两单的钱提不出来",
        "任务第三单",
        "刷单要先垫付",
        "you get your principal plus 15% commission",
        "it's a combo order",
        "complete the remaining tasks to withdraw",
    ]
    for text in tasks:
        assert "prepay" in _kinds(rules, text), text
    for text in ("招 s 单 员", "招刷单员", "刷单兼职，一单一结", "hiring order brushers"):
        assert _signals(rules, text).scam_claims, text
    assert "contact" in _kinds(rules, "加扣：12345678")
    # received, not handed: "给我发了个验证码" is the writer's own news
    assert not _kinds(rules, "游戏给我发了个验证码")
    assert "code" in _kinds(rules, "把验证码给我")
    for text in ("门店要提高连单率", "理财到期返还本金和利息", "加扣费项目", "追加扣款"):
        assert not _kinds(rules, text) - {"transfer"}, text
