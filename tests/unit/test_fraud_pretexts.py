"""Pretexts that reached the reader unflagged, and warnings that read like the scam they
quote. Each technique is tested with new instances (different wording from any
evaluation batch) and hard negatives of the same topic beside them, with the classifier
off, so each case shows the rule and not what the model learnt; the hard negatives are
also checked with the classifier on."""

from __future__ import annotations

import functools

from bot.domain.fraud import Detector, Risk
from tests.unit.conftest import assert_caught

# the rules alone must reach medium on each of these scams
caught = functools.partial(assert_caught, at=Risk.MEDIUM)


def test_group_owner_demanding_money_under_threat_of_a_kick(
    rules: Detector, detector: Detector
) -> None:
    """Authority (the group's owner or admin) + a payment to them + a kick or ban."""
    caught(
        rules,
        detector,
        (
            "本群管理员通知：为核对成员身份，每位群友今天内往我微信转50元保证金，未转的一律清退出群",
            "我是这个群的群主，明早之前每人给我支付宝打80块会费，谁不交就踢出去并拉黑",
            "【群主】近期有人刷屏，每个人交30元诚信押金到我的银行卡，不交的直接移出本群",
            "【管理员】你的发言违反群规，不想被踢出的话私聊我交50元罚金",
            "Group admin here: every member must send me $20 as a verification deposit by "
            "tonight, anyone who doesn't pay will be kicked out",
        ),
        (
            "群主：周末聚餐AA制，每人大概80，吃完在饭店当面结账",
            "管理员提醒：群里禁止发广告，违者直接踢出",
            "Admin here: please keep the chat on topic, spammers will be removed",
            "群主：下月团建费每人100，统一交到公司财务处，不参加的提前说",
        ),
    )


def test_blackmail_with_a_recorded_video_and_an_account_to_pay(
    rules: Detector, detector: Detector
) -> None:
    """A recorded video + a payment to a card or account + exposure to the contacts."""
    caught(
        rules,
        detector,
        (
            "你的不雅视频我已经录屏了，明天中午前往这个账户转5000，敢报警我就群发给你所有好友",
            "你跟我裸聊的视频已经保存，转8000到下面这张卡就删，否则全网曝光",
            "I recorded you on the webcam during our video chat. Send 800 dollars to this "
            "account by midnight or every contact in your phone gets the clip.",
            # money for the writer counts only next to a scam line: here the threat itself
            "你裸聊的录像在我这，给我转两千，不然我就发你老婆",
            "你那些聊天记录在我手上，给我转两千，不然我就让你通讯录里的人都看到",
            "I filmed you during our video call. Pay me 500 dollars tonight, or all your "
            "contacts get the recording",
        ),
        (
            "有人用裸聊视频勒索你的话，千万别转钱，马上报警",
            "Reminder: if someone threatens to leak a video unless you pay, don't send money, "
            "report it to the police",
            "你转500到我卡上就行，周末吃饭的钱",
        ),
    )


def test_top_up_giving_more_than_it_takes_paid_to_a_person(
    rules: Detector, detector: Detector
) -> None:
    """ "充100送300" is too good; a bonus smaller than the payment is a promotion."""
    caught(
        rules,
        detector,
        (
            "🎉游戏钻石特惠🎉 充300到账1000💎 仅剩5个名额 转账给客服小妹立即到账",
            "会员充值节：存100返400，名额有限，直接转账给群主登记",
            "Flash deal: top up 20 dollars get 80 credit, today only, pay me via the QR below",
            "限量秒杀新款手机只要999，扫码转账给小编即可锁单",
        ),
        (
            "营业厅活动：充100送10元话费，在官方App充值自动到账",
            "充200送20的活动我参加了，在支付宝里充的，已经到账",
            "Top up 100 and get 5 bonus credit, applied automatically at checkout",
            "充100送100的活动在官方App里，自动到账",
        ),
    )


def test_fixed_matches_and_insider_betting_tips(rules: Detector, detector: Detector) -> None:
    caught(
        rules,
        detector,
        (
            "假球局，保证赢，跟我下注一场1888，不中全额退还，已经七连红，加微信 bq_win88",
            "篮球必中单，连红12天，买单一次588，黑了包退，qq 38829911",
            "Fixed match tonight, 100% sure win, tip costs $150, DM me on Telegram",
        ),
        (
            "今晚欧冠决赛，我赌皇马赢，输了请你们吃饭",
            "那场比赛被查出是假球，好几个球员被禁赛了",
            "Anyone watching the match tonight? My tip: the home side wins 2-1",
        ),
    )


def test_prize_released_for_a_shipping_or_processing_fee(
    rules: Detector, detector: Detector
) -> None:
    caught(
        rules,
        detector,
        (
            "Congrats, you've won a free PS5 in our giveaway - pay the 3.99 processing fee at "
            "ps5-prize-claims.net to get it shipped",
            "You've won a $500 Walmart voucher! Pay the $2.95 handling fee at "
            "walmart-voucher-win.top to claim",
            "恭喜您抽中戴森吹风机一台，只需支付15元邮费，在 dyson-choujiang.cc 填写地址即可",
            # no link: the fee itself, its amount with a decimal point
            "You've won a $200 gift card, pay the 3.49 processing fee today to get it delivered",
        ),
        (
            "Congratulations, you won our raffle! Pick up your prize at the front desk, "
            "nothing to pay",
            "恭喜您在门店抽奖中了保温杯，凭小票到服务台领取，无需任何费用",
        ),
    )


def test_a_meeting_app_named_for_a_meeting_asks_nothing(
    rules: Detector, detector: Detector
) -> None:
    """A meeting app or number is a request only with a screen, an install, money or an
    account beside it."""
    caught(
        rules,
        detector,
        (
            "我是京东客服，请您下载腾讯会议，输入会议号后打开屏幕共享，我指导您退款",
            "您好，您的会员下月自动扣费，请加入腾讯会议，我帮您关闭",
            "您的网贷账户异常，请加入会议号 888 123 456 配合注销，否则影响征信",
            "To process your refund, join the Zoom meeting I send and share your screen",
            "先把手机录屏打开，再进我发你的会议号",
        ),
        (
            "周四下午三点用腾讯会议开项目复盘，会议号稍后发邮件，大家提前调试一下摄像头",
            "下周一飞书视频会议，链接晚点发群里，记得准时参加",
            "钉钉会议号我晚点贴群公告，大家记得戴耳机",
            "Join the Zoom meeting at 3pm, the agenda is in the shared doc",
        ),
    )


def test_a_warning_that_quotes_a_scam_is_not_the_scam(rules: Detector, detector: Detector) -> None:
    caught(
        rules,
        detector,
        (
            "我是公安局民警，你涉嫌洗钱，必须把资金转到安全账户核查，不要告诉任何人",
            "Heads up: your parcel is on hold, pay the $1.99 redelivery fee now to release it",
            "Heads up, your account will be suspended today. Pay the $2 redelivery fee at "
            "parcel-hold-notice.top to keep it",
        ),
        (
            "我爸差点被冒充法院的电话骗了，说要把钱转到安全账户，大家记住：法院和公安都没有安全"
            "账户，接到直接挂断",
            "提醒一下：最近又有人发“恭喜中奖，付运费领奖品”的短信，别理，直接删",
            "我舅舅上周被“银行客服”骗了，对方让他转账到安全账户，记住真正的银行不会这样",
            "Heads up: the 'your package is held, pay a $2 redelivery fee' texts are going "
            "around again, just delete them",
            "PSA: those 'you won a free iPhone, just pay shipping' messages are back, ignore them",
        ),
    )
