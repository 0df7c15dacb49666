"""The taxonomy of scam techniques (data/techniques.yaml): for each technique several
instances and hard negatives of the same topic beside them (warnings, notices, a
merchant's own words, everyday chat). The scams were written for this test; many hard
negatives are the false alarms the training data also holds (they must stay quiet with
the model on). The context rules are tested with the classifier off, so they show the
rule, not what the model learnt.

These guard against regressions; how well the detector generalises to a technique it
never saw is measured by `bench/loto_fraud.py` (leave-one-technique-out), not here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.detector import prose_of
from bot.domain.fraud.model import concepts
from bot.domain.fraud.resources import load_yaml
from bot.services.scam import fraud_texts

DATA = Path(__file__).resolve().parents[1] / "data"

# technique -> (scams, hard negatives)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "pay_first": (
        [
            "你的提现被系统风控拦截了，缴纳800元解冻金后马上到账",
            "退款已批准，请先支付12元的退款手续费，支付后原路返回",
            "To release your withdrawal, a one-time unlock fee of 49 USDT must be paid first",
        ],
        [
            "退款已原路退回，不收任何费用",
            "提现手续费会从到账金额里自动扣除",
            "Top up 200 and get 20 bonus credit, added automatically on the top-up page",
        ],
    ),
    "off_platform": (
        [
            "别在平台拍了，你直接转我支付宝，我马上发卡密",
            "先点确认收货，剩下的退款我用微信转给你",
            "Skip the checkout, send it to my personal PayPal and I'll ship today",
        ],
        [
            "本店所有交易都在平台内完成，任何让您私下转账的都不是我们",
            "请不要私下转账，所有付款请通过平台下单",
            "Please only pay through the checkout page, we never ask for direct transfers",
        ],
    ),
    "prove_with_money": (
        [
            "为了验证您的收款账户，请先转入1元进行核验",
            "We need a small test payment of $1 to verify your account before the refund",
        ],
        [
            "他让我转钱验证账户，我说你们平台从来不这样，他就挂了",
            "绑卡时银行打了一笔几分钱的验证金额，在App里填上就行",
        ],
    ),
    "remote_install": (
        [
            "退款需要您下载腾讯会议，进会议后打开屏幕共享",
            "Please install AnyDesk and tell me the code so I can process the refund",
        ],
        [
            "我下载了钉钉用来开公司的会",
            "开会的时候我共享屏幕给同事演示了一下报表",
            "任何要你共享屏幕的客服都是骗子，挂掉就行",
        ],
    ),
    "authority_pressure": (
        [
            "我是公安局的，你的账户涉嫌洗钱，把钱转到安全账户配合调查，不要告诉家人",
            "This is the police, move your savings to the safe account and keep this confidential",
        ],
        [
            "【国家税务总局】个税年度汇算将于6月30日截止，请通过个人所得税App办理，不要相信短信里的链接",
            "个人所得税的年度汇算请在个税App里自己办",
            "The police will never ask you to move money to a safe account",
        ],
    ),
    "impersonation": (
        [
            "我是淘宝客服，您的订单退款需要您提供验证码",
            "爸，我换号了，急用钱，先转我两千，别告诉妈",
        ],
        ["妈，我是小明，今天加班晚点回家", "我是顺丰快递员，你的快递放在驿站了，记得取"],
    ),
    "investment": (
        [
            "老师带单炒币，保证收益，今天先入金一万",
            "Guaranteed 5% a day, our trading bot never loses, send 500 usdt to start",
        ],
        [
            "理财有风险，投资需谨慎，保证收益的都是骗局",
            "Bitcoin dropped 8% today, glad I didn't buy more",
        ],
    ),
    "task_rebate": (
        ["刷单兼职，先垫付本金，返你佣金，日结", "做任务赚佣金，第三单要先充值5000才能提现"],
        ["刷单是违法的，垫付返佣的都是骗子", "公司招兼职客服，按小时结算工资，不收任何费用"],
    ),
    "account_rental": (
        [
            "出租你的银行卡，每天给你500，帮忙走账",
            "Let us receive payments through your bank account, you keep 10%",
        ],
        ["银行卡出借是违法的，会被冻结，千万别借", "这台相机可以出租，一天80，押金当面给"],
    ),
    "blackmail": (
        [
            "你的裸聊视频我已经录下来了，两小时内转我五千，不然发给你通讯录的人",
            "I recorded you on your webcam, send 1000 in bitcoin within 24 hours or everyone sees it",
        ],
        [
            "有人说录了我的视频让我转钱，我报警了，警察说是勒索诈骗",
            "Please pay by Friday or the order will be cancelled",
        ],
    ),
    "fake_charity": (
        [
            "孩子白血病急需手术费，好心人直接转到孩子爸爸的微信",
            "Please donate to my sick mother, send directly to my cashapp",
        ],
        ["捐款请通过正规慈善机构的官方渠道，不要转到个人账户", "我在水滴筹上给同学捐了100"],
    ),
    "fake_deposit": (
        [
            "房子抢手，先交一千意向金我给你留着，不交就租给别人了",
            "入职前先交300元服装费，交了明天上岗",
        ],
        [
            "租房的时候房东说先交押金，我们是当面签合同后转的，有收据",
            "那个招聘说要先交服装费，我没去",
        ],
    ),
    "prize_fee": (
        [
            "恭喜您中了一台笔记本，只需支付99元运费即可领取",
            "You won a $1000 gift card, just pay $4.99 shipping to claim",
        ],
        ["运费险退了5块到我账户", "群里有人发中奖链接要交运费，别点"],
    ),
    "overpayment": (
        [
            "不好意思多转了你800，麻烦退回到这个卡号",
            "We refunded you twice by mistake, please return the extra money via gift cards",
        ],
        [
            "我多付了10块钱，店家直接在平台上部分退款了",
            "银行说误入账会由银行自己冲正，不需要我转回去",
        ],
    ),
    "vip_cancel": (
        ["您开通的百万保障明天到期将每月扣费，请拨打4008123456关闭，否则影响征信"],
        ["会员到期提醒：您的视频会员将于3月1日到期，可在App设置里关闭自动续费"],
    ),
    "gift_card": (
        [
            "退款只能用游戏点卡，你去买1000的充值卡把卡密发我",
            "Buy 5 Google Play cards and read me the codes to pay the tax",
        ],
        ["点卡兑换码在订单详情里，复制到游戏里兑换", "公司发了京东E卡当年终福利"],
    ),
    "qr_receive": (
        [
            "扫这个二维码就能收到退款，扫完输入支付密码",
            "Scan this QR code to receive your compensation, then enter your PIN",
        ],
        ["收款的话你把收款码给我，我扫你", "扫码点餐很方便，不用排队"],
    ),
    "code_request": (
        [
            "退款需要核实身份，请把刚收到的验证码告诉我",
            "Please read me the 6 digit code we just texted you",
        ],
        ["验证码千万不要告诉任何人，包括客服", "银行卡密码千万别告诉别人"],
    ),
    "fake_paid": (
        [
            "我已经付款了，你看截图，你先把卡密发我",
            "I've already paid, it's pending, send me the codes now",
        ],
        ["已付款，订单号在截图里，麻烦查一下", "平台显示待发货，请耐心等待"],
    ),
    "fund_recovery": (
        [
            "专业追回被骗资金，先交2000元立案费即可启动",
            "Lost money to a scam? Pay the recovery fee upfront and we get it back",
        ],
        [
            "被骗的钱追回要收费的都是骗子，千万别交",
            "If anyone tells you to pay a recovery fee to get your lost money back, it's a scam",
        ],
    ),
    "data_phishing": (
        [
            "填问卷领88元红包，请回复您的银行卡号和有效期",
            "Complete the survey for $50, reply with your card number and CVV",
        ],
        [
            "退款会原路退回，我们不需要您的卡号和密码",
            "航班延误的补偿我在航司App里申请了，三天后到账",
        ],
    ),
    "move_chat": (
        [
            "退款这边处理不了，加我QQ 3367281 客服给你处理",
            "For the refund add me on telegram, the support team answers there",
        ],
        ["有问题在平台的在线客服里留言就行，不用加微信", "加我微信吧，以后约饭方便"],
    ),
    "fake_escrow": (
        [
            "我是群里的担保人，买家先把货款转给我，卖家发完卡密我再放款",
            "Use me as the middleman, send the payment to my wallet and I release it once the seller delivers",
        ],
        [
            "平台就是担保交易，钱在平台，你确认收货后才打给卖家",
            "群里自称担保让你先转钱的都别信，交易请走平台下单",
        ],
    ),
    "romance": (
        [
            "亲爱的，我在机场被海关扣了，要交三千放行费，你先帮我转一下，落地就还你",
            "babe my card got blocked abroad, send me 400 on cashapp tonight, I'll pay you back when I'm home",
        ],
        [
            "老公，电费我交过了，你别再交一次",
            "If someone you met online and never saw in person asks for money, it's a romance scam",
        ],
    ),
}


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(texts=fraud_texts())


def _taxonomy() -> list[dict]:
    return list(load_yaml("techniques.yaml")["techniques"])


@pytest.mark.parametrize("technique", sorted(CASES))
def test_each_technique_is_caught_and_its_hard_negatives_pass(
    detector: Detector, technique: str
) -> None:
    scams, harmless = CASES[technique]
    missed = [s for s in scams if not detector.scan_text(s).at_least(Risk.MEDIUM)]
    wrong = [h for h in harmless if detector.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not wrong, {"missed": missed, "false alarms": wrong}


def test_every_technique_of_the_taxonomy_has_cases_here() -> None:
    """Techniques marked `source: wide` have only the wide training file's messages yet."""
    assert {t["id"] for t in _taxonomy() if t.get("source") != "wide"} == set(CASES)
    assert set(CASES) <= {t["id"] for t in _taxonomy()}


def test_every_wide_technique_has_its_scams_and_hard_negatives() -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for path in sorted(DATA.glob("fraud_train_wide*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            counts[(case["technique"], case["label"])] += 1
    ids = {t["id"] for t in _taxonomy()}
    assert {tid for tid, _ in counts} <= ids  # every technique id of the file is known
    for t in _taxonomy():
        if t.get("source") == "wide":
            assert counts[(t["id"], "scam")] >= 8, t["id"]
            assert counts[(t["id"], "benign")] >= 8, t["id"]


def test_every_technique_has_training_messages_and_hard_negatives() -> None:
    ids = {t["id"] for t in _taxonomy()}
    counts: Counter[tuple[str, str]] = Counter()
    for name in (
        "fraud_train_techniques.jsonl",
        "fraud_train_styles.jsonl",
        "fraud_train_wide.jsonl",
        "fraud_train_wide2.jsonl",
        "fraud_train_wide3.jsonl",
        "fraud_train_wide4.jsonl",
    ):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if name != "fraud_train_styles.jsonl" or "technique" in case:
                assert case["technique"] in ids, case
                counts[(case["technique"], case["label"])] += 1
    for tid in ids:
        assert counts[(tid, "scam")] >= 8, tid
        assert counts[(tid, "benign")] >= 5, tid


def test_the_taxonomy_names_known_concepts_and_no_case_twice() -> None:
    known = set(load_yaml("concepts.yaml"))
    seen: set[str] = set()
    for t in _taxonomy():
        assert set(t["concepts"]) <= known, t["id"]
        for also in t.get("also") or ():
            assert also not in seen, also  # an older category belongs to one technique
            seen.add(also)


def test_concepts_read_intent_in_either_language() -> None:
    assert {"you", "ask", "release"} <= concepts("请你先交解冻费")
    assert {"warn"} <= concepts("this is a scam, ignore it")
    assert "narrative" in concepts("我昨天去柜台办的")


# ------------------------------------------------------------ warning and notice context
# The rules alone (classifier off), so each case shows the rule, not what the model learnt.


@pytest.fixture(scope="module")
def rules() -> Detector:
    from bot.domain.fraud.model import TextModel

    return Detector(texts=fraud_texts(), model=TextModel.off())


@pytest.mark.parametrize(
    ("harmless", "scam"),
    [
        # a request reported by the writer, told with their own reaction
        ("卖家让我先交保证金再发货，我直接拉黑了", "你先交保证金，我再发货"),
        (
            "My landlord asked me to wire the deposit first, I refused",
            "Wire the deposit first, then I ship",
        ),
        # the prohibition inside the request ("请不要私下转账")
        ("请不要私下转账给任何人", "请私下转账给我"),
        # the item named first, then the prohibition
        ("验证码无论谁问都不要告诉", "验证码告诉我一下"),
        ("密码千万别告诉任何人", "把密码告诉我"),
        # paying on the platform itself is what real advice asks
        ("Please only pay via the official app", "Just pay 30 to my account"),
        # a promotion gives less than it takes
        ("Top up 500 and get 50 bonus", "Send 50 and get 500 back"),
        # the writer's own doing
        ("我刚安装了向日葵，给我爸远程修电脑用", "下载向日葵，把识别码发给我"),
        # a meeting app named, nothing asked of anyone
        ("下午的例会改到飞书了，会议链接老板会发", "下载飞书，进会议后共享屏幕"),
        # a refusal is a negation too
        ("本店不接受任何私下转账", "私下转账给我"),
        # someone else's request, retold with the writer's own reaction
        ("有人在群里让大家转个人微信，我劝大家别理", "转我个人微信，快点"),
        # a warning about anyone who asks
        ("任何让您私下转账的都不是我们", "私下转账给我，便宜点"),
    ],
)
def test_warning_story_and_notice_context_is_no_request(
    rules: Detector, harmless: str, scam: str
) -> None:
    assert not rules.scan_text(harmless).at_least(Risk.MEDIUM), harmless
    assert rules.scan_text(scam).at_least(Risk.MEDIUM), scam


def test_a_fee_for_recovering_a_victims_money_is_not_advice(rules: Detector) -> None:
    assert rules.scan_text(
        "Lost money to a scam? Pay the recovery fee first, we get it back"
    ).at_least(Risk.MEDIUM)
    assert not rules.scan_text("Scammers ask victims to pay a recovery fee upfront").at_least(
        Risk.MEDIUM
    )


def test_an_ultimatum_with_a_demand_for_money(rules: Detector) -> None:
    # the demand alone is medium; with "or the photos go out" it is a blackmail script
    assert rules.scan_text("Send 500 in bitcoin or we release the photos").risk is Risk.HIGH
    assert rules.scan_text("把钱转到这个账户，不然就把视频发给你家人").risk is Risk.HIGH
    assert not rules.scan_text("Renew by Friday or the plan ends").at_least(Risk.MEDIUM)


def test_overpaid_money_asked_back_across_a_comma(rules: Detector) -> None:
    assert rules.scan_text("刚才多转了你500，麻烦退回来").at_least(Risk.MEDIUM)
    assert rules.scan_text("系统多付了你300，请尽快退回").at_least(Risk.MEDIUM)
    assert not rules.scan_text("刚才多转了你500，不用退了，算红包").at_least(Risk.MEDIUM)


def test_tax_app_and_shipping_insurance_are_no_fees(rules: Detector) -> None:
    assert not rules.scan_text("个人所得税的年度汇算请在个税App里自己办").at_least(Risk.MEDIUM)
    assert not rules.scan_text("运费险退了5块到我账户").at_least(Risk.MEDIUM)
    assert rules.scan_text("中奖了，先交个人所得税800才能领").at_least(Risk.MEDIUM)


def test_keeping_a_code_to_oneself_is_advice_not_secrecy(rules: Detector) -> None:
    # "tell no one" about the reader's own code is what real advice says: not even a remark
    for text in ("密码千万别告诉别人，有问题找官方客服", "验证码千万不要告诉任何人，包括客服"):
        assert rules.scan_text(text).risk is Risk.NONE, text
    assert rules.scan_text("这事千万别告诉别人，把验证码发给我").at_least(Risk.MEDIUM)


def test_renting_out_an_account_is_the_money_mule_technique(rules: Detector) -> None:
    for text in (
        "出租支付宝收款码，躺着赚钱，一单抽5个点",
        "高价回收电话卡和银行卡，当天结算",
        "Need someone to receive a few transfers for my shop, you keep 5%",
    ):
        assert rules.scan_text(text).at_least(Risk.MEDIUM), text
    for text in (
        "用你的卡付一下吧，我回头还你",
        "银行卡出借是违法的，千万别借",
        "这台相机出租，一天80",
    ):
        assert not rules.scan_text(text).at_least(Risk.MEDIUM), text


def test_money_for_the_writer_counts_only_under_a_threat(rules: Detector) -> None:
    assert rules.scan_text("视频我都录下来了，不想发到你家人群里就转我一万").risk is Risk.HIGH
    assert rules.scan_text("Pay me 300 in gift cards or they go to your boss").risk is Risk.HIGH
    for text in ("打钱了吗？房租今天要交", "我们私了吧，别闹到派出所", "Pay me back when you can"):
        assert not rules.scan_text(text).at_least(Risk.MEDIUM), text


def test_telling_the_victim_not_to_call_the_police_is_secrecy(rules: Detector) -> None:
    scam = "你的记录我都有，给我转一笔钱这事就过去了，别报警"
    assert rules.scan_text(scam).at_least(Risk.MEDIUM)
    # a fake anti-fraud centre is an impersonation, not a warning
    fake = "这里是公安局反诈中心，您的账户涉嫌洗钱，请配合调查，不要告诉任何人"
    assert rules.scan_text(fake).at_least(Risk.MEDIUM)
    assert not rules.scan_text("遇到这种情况一定要报警，别转钱").at_least(Risk.MEDIUM)


# ------------------------------------------------------------------ the techniques widened
# Each: several instances of the technique (Chinese and English, other words than the
# messages that showed the gap) and hard negatives of the same topic, with the rules alone.


def _caught(rules: Detector, scams: tuple[str, ...], harmless: tuple[str, ...]) -> None:
    missed = [s for s in scams if not rules.scan_text(s).at_least(Risk.MEDIUM)]
    wrong = [h for h in harmless if rules.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not wrong, {"missed": missed, "false alarms": wrong}


def test_task_rebate_paid_per_click_or_advance_and_rebate(rules: Detector) -> None:
    _caught(
        rules,
        (
            "兼职点赞，一个赞3元，日结，加我微信领任务",
            "做任务返佣金，垫付100返130，做完马上结算",
            "Part-time: follow our shops and get paid 5 dollars per follow, "
            "contact our manager on WhatsApp",
        ),
        (
            "这个视频不错，点赞关注一下呗",
            "刷单是诈骗，别信什么垫付返佣",
            "充200送20，活动截止本周日",
        ),
    )


def test_overpayment_sent_by_mistake_asked_back(rules: Detector) -> None:
    _caught(
        rules,
        (
            "不好意思我手滑转错了，本来是80转成了800，麻烦你退我720，转回这个微信就行",
            "哎我打错了，多打了2000给你，你还给我吧，直接转我支付宝",
            "Oops I paid you 500 instead of 50 by mistake, please send back the difference",
            "I accidentally sent you $300 instead of $30, can you send the rest back via Venmo",
        ),
        (
            "我转错账了，已经联系银行处理，不用管",
            "你多转了我100，我已经退给你了，查收一下",
            "I paid $50 too much for the shoes, the shop will refund the rest",
            "I paid $50 too much for the shoes, can you send back the difference",
        ),
    )


def test_flow_verification_to_prove_the_money_is_clean(rules: Detector) -> None:
    _caught(
        rules,
        (
            "您的账户涉及洗钱风险，需配合做一笔流水验证，证明资金来源，验证后原路退回",
            "检测到你有洗钱嫌疑，现在做个流水验证就能解除",
        ),
        (
            "银行办房贷需要提供近六个月的银行流水",
            "反诈提醒：凡是让你做流水验证、转账到安全账户的都是诈骗",
        ),
    )


def test_payment_in_card_codes_and_codes_asked_back(rules: Detector) -> None:
    _caught(
        rules,
        (
            "这单只收京东E卡，卡号和密码拍照发我就行，收到就发货",
            "要的话用苹果充值卡付，卡密发给我，我这边核对完马上给你发",
            "系统刚把一张别人的兑换码发到你账号上了，麻烦你把收到的码发我，我给你换一张",
            "I'm the seller, the platform reversed my payment, so send the gift card code back "
            "or I'll call the police",
            "Give the code back to me today or I will report you to the platform",
            "Boss here, buy three Amazon cards for a client and text me the codes on the back",
        ),
        (
            "卡密已发给您，请在订单详情查看",
            "我买的点卡卡密提示已使用，截图发给客服了",
            "你好，卡密发我一下我帮你查是否被使用，如果没用过可以退款",
            "Your gift card code is in the order page, redeem it in Steam",
            "Please send us a photo of the card's back so we can check the code.",
        ),
    )


def test_a_fee_to_join_or_pay_first_through_an_internal_channel(rules: Detector) -> None:
    _caught(
        rules,
        (
            "招募城市代理，交599代理费即可开店，一个月回本",
            "分站加盟，交298加盟费，躺赚差价",
            "内部渠道 王者点券五折 先款后货 要的私",
            "Internal channel price, 60% off Steam cards, pay first, codes within an hour",
        ),
        (
            "请问你们加盟费大概多少？我想了解一下",
            "公司年会要交200会费，周五前交给行政",
            "本店正规发货，付款后自动发卡，不支持先款后货私下交易",
        ),
    )


def test_investing_with_an_insider_needs_the_insider_line(rules: Detector) -> None:
    _caught(
        rules,
        (
            "我上次说的那个平台又有漏洞了，我表哥在里面做技术，我们一起投一点？",
            "姐，我同学在交易所上班，内部消息，这个币必涨，咱们一起投两万",
            "My cousin found a loophole at the exchange, invest with me this week, 300 to start",
        ),
        (
            "我们一起投资基金吧，定投一点，长期拿着",
            "周末我们一起投篮球去",
            "这个游戏有个漏洞，打boss的时候会卡住，已经反馈给客服了",
            # investing together next to refund talk, with no insider's line
            "退款到账了，我们一起投一点基金吧",
            "Got my refund, want to invest with me in an index fund?",
        ),
    )


def test_group_admin_asking_everyone_to_add_a_contact(rules: Detector) -> None:
    _caught(
        rules,
        (
            "群主通知：全体成员添加管理员微信 admin_2024 进行身份核验，不核验的今晚移出群聊",
            "【管理员通知】本群即将升级，请大家加新群管微信 qun_vip88 登记，不登记的清空积分",
            "Admin notice: this group is moving. Everyone must add the new admin on WhatsApp, "
            "members who don't will be removed",
            # the admin's notice alone, the ultimatum alone
            "群主通知：大家加一下新群主微信 qz_2025 备注名字",
            "所有成员添加微信 qz_7788 登记，不登记的明天移出群聊",
        ),
        (
            "群主通知：本周六晚上8点群里抽奖，大家准时参加",
            "管理员提醒：群里不要发广告，违者移出",
            "记得加一下班主任微信，开学通知都在群里",
        ),
    )
    # the admin's notice is read as an impersonation (a request with a pretext, the
    # authority of a 群主 asking to add a contact, would warn without it too)
    for text in (
        "群主通知：大家加一下新群主微信 qz_2025 备注名字",
        "管理员通知：请大家加群管微信登记",
    ):
        assert rules.text.check(rules.model_input(text)[0]).impersonation, text


def test_support_naming_a_messenger_handle(rules: Detector) -> None:
    _caught(
        rules,
        (
            "Hi, this is the platform's support team. To process your refund please add our "
            "refund agent on Telegram @pay_help_desk",
            "Refund team here, reach our agent via WhatsApp to get your money back",
            "售后客服：您的退款已审核，请联系我们的专员telegram @tk_kefu01 领取",
        ),
        (
            "Our support will never ask you to add anyone on Telegram for a refund",
            "add me on WeChat so we can plan the trip",
        ),
    )


def test_words_spelt_out_or_with_digits_for_letters(rules: Detector) -> None:
    assert prose_of("r e f u n d  r e a d y, c0ntact k.f on t.g").startswith("refund")
    assert "contact客服on telegram" in prose_of("c0ntact k.f on t.g")
    _caught(
        rules,
        (
            "r e f u n d  a v a i l a b l e, c0ntact k.f on t.g @refund_center9",
            "y0ur r e f u n d is re4dy, m e s s a g e our agent on tg @fastrefund_cs",
        ),
        ("h e l l o everyone, how's it going", "the b0ss fight took me 3 tries lol"),
    )
