"""Techniques widened after blind batch 6, each with the whole family of ways it is said.

Every scam here is a new instance (none of them is an evaluation batch's sentence), checked
with the classifier off and required to reach high risk: each needs both its scam line and its
request, so a breakage of either is seen. The hard negatives of the same topic are checked
with and without the classifier."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk
from tests.unit.conftest import assert_caught


def test_blackmail_any_material_held_paid_for_under_a_threat_of_exposure(
    rules: Detector, detector: Detector
) -> None:
    """The writer holds videos, photos, chats or contacts + a payment + a threat to send them to the
    people around the victim, whatever the verbs and objects."""
    assert_caught(
        rules,
        detector,
        (
            "你和我聊天的截图我都存着呢，明天之前打两万到我发你的账户，不然就发到你公司群里",
            "你那段不雅视频要是传出去，你就身败名裂了，私下转我两万这事就算了",
            "你的照片和通讯录我已经拿到了，给我转5000，要不然我把照片发给你老婆和领导",
            "我手上有你的裸照，今天不打钱就把它发你朋友圈和所有联系人",
            "兄弟你那段视频我这边有备份，通讯录也导出来了，晚上前转8千到这张卡，不转就群发你亲戚",
            "I have your video and your whole contact list. Pay 1000 USD in bitcoin by tomorrow or I send it to your family and coworkers.",
            "i got ur pics and ur chats saved. send me 300 on cashapp today or ur boss and ur gf see everything",
            "We have copies of your private photos. Transfer $2,000 to the wallet below within 24 hours, otherwise they will be published to all your followers.",
            "your webcam video is on my server. pay 0.05 btc to this address or i leak it to every contact you have, dont go to the police",
            "视頻我錄了，通訊錄也有，轉三千到我給的卡，不然全發你家人",
            # one line each: the material held, the exposure to relatives, in English
            "我手上有你的裸照，转我5000，这事就当没发生过",
            "今晚前转3万到我发你的账户，这些东西我会一张张发给你所有亲戚",
            "I've saved all your chats with her. Send me 2k in btc today and this stays between us.",
            "裸照在我这，转2万到我发你的卡，不然发你家人",
        ),
        (
            "有人说有我视频让我转钱，我也收到过这种，直接拉黑了，别信",
            "昨天的聚会视频我都录下来了，晚点发到群里给大家看",
            "I have your photos from the wedding, I'll send them to your family group tonight",
            'PSA: sextortion emails saying "I have your video, pay in bitcoin" are going around. Don\'t pay, report it.',
            "我把你的通讯录导出来了，发你邮箱，换手机的时候导入就行",
        ),
    )


def test_overpayment_sent_back_to_another_account(rules: Detector, detector: Detector) -> None:
    """ "I paid you too much" + the difference to a friend's, a relative's or another account."""
    assert_caught(
        rules,
        detector,
        (
            "不好意思我转多了，本来是150我打成了1500，麻烦你把多的1350转到我老婆微信上，我的卡被限额了",
            "老板刚才多付了你200，你退到我表哥的支付宝吧，账号我发你",
            "亲我手抖多打了个0，多出的钱转到下面这个账户就行，我自己的卡冻结了",
            "哥们我转错了 多给你打了900 你把900退给我朋友 他支付宝是138xxxx",
            "Sorry I sent you $500 instead of $50 by mistake, can you send the difference to my cousin's CashApp? My bank card is limited right now.",
            "oops i overpaid u by 300, pls refund the extra to my friend's paypal, my account is restricted",
            "I accidentally paid you 1200 instead of 120. Please return the 1080 to this other account, mine is frozen.",
            "Hey, I paid twice by mistake. Kindly transfer the excess to my brother's Zelle, he will pass it on.",
            "多转你500了 退到我老婆微信就行",
            "sent u 200 too much by mistake, send the extra to my bro's cashapp",
        ),
        (
            "我不小心多付了10块，能原路退回给我吗",
            "您多付的20元我们已原路退回，请注意查收",
            "我转多了，算了下次买的时候抵扣就行",
            "我这个月多付了房租，房东说下个月少交点就行",
        ),
    )


def test_pay_again_to_get_a_reissue_or_refund(rules: Detector, detector: Detector) -> None:
    """A used or invalid code + pay or top up again before a reissue or refund, typos included."""
    assert_caught(
        rules,
        detector,
        (
            "您好 您的卡密已失效 需要重新充值一次 系统才能给您补发",
            "亲，卡密被别人用了，您从新冲一次值，我们冲多少补多少",
            "卡密显示无效，要再付一次款才可以退款，退款是原价双倍",
            "你的订但异常 重新下单付款后我们给你补发新卡密 冲多少补多少",
            "Your code shows as already redeemed. To get a replacement you need to top up again, we refund whatever you top up.",
            "the key was used already, pay again once and the system will reissue it plus refund both payments",
            "ur code is invalid, recharge the same amount again to trigger the reissue",
            "卡密被使用是系统问题，需要您再充值一遍验证，充多少退多少",
            "卡密失效了，您从新冲值一下才能补发",
        ),
        (
            "卡密显示已被使用，怎么办？我需要重新充值吗",
            "您的卡密已被使用的话请提供截图，我们核实后免费补发，不需要您再付款",
            "My code says already redeemed, can you reissue it?",
            "订单超时未支付，请重新下单",
        ),
    )


def test_cheap_goods_paid_by_a_method_without_buyer_protection(
    rules: Detector, detector: Detector
) -> None:
    """F&F only / no G&S / a coin only / outside the platform, with goods far below value."""
    assert_caught(
        rules,
        detector,
        (
            "Selling Steam cards 50% off. PayPal F&F only, no G&S, codes after payment",
            "cheap itunes cards, 40% of face value, crypto only, no refunds",
            "Roblox gift card 100$ for 35$, only friends and family payment",
            "出京东e卡 面值1000 只要500 只收usdt 转账不走平台",
            "低价出steam充值卡 五折 私下转账 不走平台 先款后货",
            "Netflix gift codes 70% off today, pay via Zelle only, no goods and services please",
            "游戏点卡三折出 只收支付宝转账不走平台 要的私",
            "Apple gift cards at 30% of value. USDT only, send to my wallet and I'll DM the codes",
            "g2a keys 70% off, F&F only",
        ),
        (
            "This store only accepts PayPal goods & services, never friends & family, for buyer protection",
            "I paid my sister back through PayPal friends and family for dinner",
            # not a bill split (that would be quiet for another reason)
            "I paid my sister back through PayPal friends and family for the concert",
            "Steam summer sale: games up to 60% off in the store",
            "京东e卡打五折是骗子，别信",
            "I bought a 100 gift card at 20% off during the sale, paid by card on the site",
        ),
    )


def test_crypto_presale_with_a_promised_multiple(rules: Detector, detector: Detector) -> None:
    """A presale or insider listing + a guaranteed multiple + coins sent to a wallet."""
    assert_caught(
        rules,
        detector,
        (
            "Private presale for $MOON, listing on Binance next week, guaranteed 20x. Send 300 USDT to our presale wallet before midnight.",
            "insider info: new token lists on coinbase friday, 50x guaranteed, whitelist closes in 1 hour, send eth to the address below",
            "内部消息 XX币下周上币安 保证翻10倍 2小时内转500u到预售钱包",
            "预售名额只剩10个，上所后至少涨20倍，今晚12点前打USDT到这个地址",
            "Presale spots closing in 3 hours! Guaranteed 5x at launch. Minimum 200 USDT to the presale address.",
            "私募轮最后一天 上线交易所保底5倍 转eth到下面钱包地址就给你锁仓位",
            "bro this coin is gonna 100x, my guy at the exchange confirmed listing. send 1000 usdt to my wallet, closing in 2h",
            "新币预售 稳涨十倍 最低500u起投 地址私聊发 今天截止",
            "guaranteed 10x, send usdt to the presale wallet now",
        ),
        (
            "I bought some ETH on the exchange last week, it went up 10%",
            "Presale tickets for the concert open tomorrow at 10am on the official site",
            "有人私聊说新币保证翻10倍让我转usdt，就是骗子，别信",
            "Bitcoin is up 5x since I bought it years ago lol",
            "群里有人说新币保底5倍，我没理，直接删了",
        ),
    )


def test_warnings_and_anecdotes_that_quote_a_scam_stay_quiet(
    rules: Detector, detector: Detector
) -> None:
    """ "Heads up", "PSA", "I got one of those texts", "deleted it", "block and report",
    "别信", "我也收到过": talk about a scam. A scam that opens with "heads up" and then asks
    for a code or a fee is still a scam."""
    assert_caught(
        rules,
        detector,
        (
            "Heads up: your account will be suspended today. Send me the verification code you just received to keep it active.",
            "Heads up! Your refund is ready, pay the $3.99 processing fee here to receive it",
            "提醒：您的账户存在异常，请把收到的验证码发给我核实",
        ),
        (
            "PSA: people are DMing pretending to be support and asking for your login code. Support never DMs you first. Block and report.",
            'Heads up, fake admins are messaging members asking for money for "verification". Admins never DM you first.',
            '我也收到过那种"您中奖了，只需付运费"的短信，直接删了',
            "刚收到一条说我账户冻结要我提供验证码的短信，就是骗子，别信",
            "got a text saying my package is held and I need to pay a $2 fee, deleted it",
            "lol got one of those 'your account is suspended, send the code' messages again, ignored",
            "提醒大家：有人冒充群主私聊要保证金，群主从不私聊，别信，直接拉黑举报",
            "My mom got one of those calls saying she won a car and had to pay taxes first. Told her to hang up.",
            "PSA: fake admins asking for codes. block & report",
            "我也收到过这种中奖短信，别信",
            "我也收到过一模一样的，要我先交保证金才退款",
            "说账户冻结了要你转账到指定账户的，别信",
        ),
        at=Risk.MEDIUM,
    )
