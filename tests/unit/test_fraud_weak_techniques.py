"""The weakest techniques of the wide files held out, and the commonest false alarms on their
harmless messages, each as the technique it is: a "warning" that collects for itself, a code
read out in the sentence after the one that names it, personal media to be installed, and
everyday money or help among friends. The messages were written for this test (none is in a
data file); each technique comes with hard negatives of the same topic.

A scam must reach medium with the shipped detector and its technique must be named by the
rules alone (the classifier off), so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk

# the `detector` (as shipped) and `rules` (classifier off) fixtures are tests/unit/conftest.py's

_TALK = "talks about scams"


def _check(
    rules: Detector,
    detector: Detector,
    scams: list[str],
    harmless: list[str],
    *,
    rules_at: Risk = Risk.MEDIUM,
) -> None:
    missed = [s for s in scams if not detector.scan_text(s).at_least(Risk.MEDIUM)]
    unnamed = [s for s in scams if not rules.scan_text(s).at_least(rules_at)]
    wrong = [h for h in harmless if detector.scan_text(h).at_least(Risk.MEDIUM)]
    wrong += [h for h in harmless if rules.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not unnamed and not wrong, {
        "missed": missed,
        "missed by the rules": unnamed,
        "false alarms": wrong,
    }


OWN_WARNING = [
    "防骗提醒：近期骗子很多，为保障资金安全，请大家把余额先转到平台指定的安全账户，转完发截图给我登记",
    "大家小心冒充客服的骗子！真正的客服已经换到新号了，有退款的直接加微信 kf_real2024 办理",
    "反诈提醒：您已被列为潜在受害人，请下载国家反诈保护APP并开启屏幕共享，由专员帮您检测",
    "我之前也被骗了，后来多亏这个追回专员，交300手续费就追回来了，被骗的可以加他QQ 55120987",
    "PSA: scammers are hijacking accounts this week. To stay safe, send your login code to"
    " @safety_desk_bot so they can lock your account.",
    "Warning to everyone: fake sellers everywhere. The only protected way now is to pay through"
    " my friend's escrow wallet, DM me for the address.",
    "Heads up, scammers are impersonating support. Real support moved to WhatsApp +1 555 0143,"
    " message them with your order number and card details.",
]
# the same scripts whose rule finding is low on its own (data typed in, an ID photo): the
# warning no longer caps them, the classifier adds the second opinion
OWN_WARNING_SOFT = [
    "注意！有人冒充管理员骗钱，请大家立即私聊我核实身份，把身份证照片发给我备案",
    "警惕诈骗：你的账户被骗子盯上了，马上点击下面链接修改支付密码并输入验证码",
]
WARNINGS = [
    "提醒大家，有人冒充客服让加微信退款，我差点信了，退款只在平台App里处理",
    "防骗提醒：平台不会要求你把钱转到任何安全账户，遇到直接拉黑举报",
    "大家小心，那个自称追款律师的要先交手续费，我朋友交了500就被拉黑了",
    "Warning: someone is DMing members asking for login codes. Don't send anything, real admins"
    " never DM first.",
    "PSA: the 'secure portal' link going around is phishing. Log in only through the official app.",
    "被骗了别慌，先报警，再联系平台官方客服，不要相信任何收费追回的",
    "骗子现在会说自己是反诈中心的，让你下载APP开屏幕共享，大家千万别信",
    "Scammers now claim support moved to WhatsApp and ask for your card details. Support is only"
    " in the app.",
    "Heads up: the 'you won a gift card, just pay shipping' texts are back, ignore them.",
    "群规：遇到要求先转账的一律举报，本群不做任何担保",
    "If a 'buyer' asks you to send the code from your SMS, that's a scam, block them.",
    "大家注意有人冒充客服要你把钱转到安全账户",
    "Please note scammers will ask you to move your balance to a safe account.",
]


def test_a_warning_that_collects_for_itself_is_the_scam(
    rules: Detector, detector: Detector
) -> None:
    _check(rules, detector, OWN_WARNING, WARNINGS)
    # the warning words no longer lower the rule finding of the softer scripts
    for text in OWN_WARNING_SOFT:
        verdict = detector.scan_text(text)
        assert verdict.at_least(Risk.MEDIUM), text
        assert not any(_TALK in f.detail for f in rules.scan_text(text).findings), text


CODE_READ_BACK = [
    "请问收到六位数的短信了吗？收到了念一下就行，我给您登记理赔",
    "刚给您发了个动态码，收到没有？收到了就读一下，我这边核对身份",
    "A 6-digit number just arrived on your phone, right? Just read it out so I can close the case.",
    "The bank sent you a one-time code. Please read it to me now, so the refund can go through.",
    "验证短信发到您手机上了吧？您报一下，我这边马上给您取消会员扣费",
    "We texted you a verification code. Read it back to me to confirm the refund.",
]
CODE_READ_BACK_NEGATIVES = [
    "快递到了吗？取件码念一下，我帮你拿",
    "会议号收到了吗？念一下我输进去",
    "验证码收到了吗？自己在App里输一下就行，别念给任何人",
    "银行短信里的验证码，谁让你念都别念，直接挂电话",
    "Did you get the Wi-Fi password I texted? Read it out to your brother, he's setting up the"
    " router.",
    "我妈收到一条短信，对方打电话让她把数字念一下，她直接挂了",
    "A caller asked my dad to read out the code from a text. He hung up, good job dad.",
    "验证码收到了吗？收到了就在页面上输入，不用告诉我",
    "验证码收到了吗？别念出来，自己输进去就行",
]


def test_a_code_read_out_in_the_next_sentence_is_handed_over(
    rules: Detector, detector: Detector
) -> None:
    _check(rules, detector, CODE_READ_BACK, CODE_READ_BACK_NEGATIVES)


MEDIA_INSTALL = [
    "姐，我儿子满月酒的电子请帖做成了小软件，你下载安装一下就能看到时间地点",
    "同学会的合照我做成相册了，文件有点大，是安装包，装上就能看",
    "我们结婚的邀请函在这里，安卓手机点开安装，记得点允许",
    "上周团建的照片都打包进这个查看器了，下载安装后打开就有",
    "Our engagement party invite is an app, download and install it to RSVP",
    "My wedding invitation is attached, tap to install and allow permissions, it has the map",
]
MEDIA_NEGATIVES = [
    "婚礼请柬是个小程序，微信里点开就能看，不用下载什么",
    "聚会照片我传到群相册了，原图自己下载",
    "婚礼请柬是婚庆公司做的网页，点开就能看，不用安装任何东西",
    "Party photos are on Google Photos, no app needed, link's in the group",
    "The wedding invite is a PDF, I'll email it tonight",
    "我下载了婚庆公司的App，选请柬模板挺方便的",
    "Install the photo printing app from the app store if you want prints of the wedding album",
    "千万别安装别人发的请柬安装包，都是木马",
]


def test_personal_media_to_be_installed(rules: Detector, detector: Detector) -> None:
    _check(rules, detector, MEDIA_INSTALL, MEDIA_NEGATIVES)


# everyday money and help among friends, each with the scam that looks like it
FRIENDS = [
    "Can you share your screen real quick? The app keeps crashing on my side too",
    "共享一下屏幕吧，我看下你电脑报错是什么",
    "妈，你开一下屏幕共享，我教你怎么把字调大",
    "我试转了一分钱过去，你看到账了吗？到了我再把剩下的饭钱转你",
    "这次KTV你转我60就行，剩下的我出",
    "上周那顿饭一共300，你转我100就好",
    "前天打车是我付的，一共90，你转我30就行，不着急",
    "My direct deposit hit early this week, first time that happened",
    "The bank didn't ask me to pay anything upfront for the loan, the fee came out of the payout",
    "Can you send me the link to the photos from last night?",
    "Did you send me a link to vote for a photo contest? If not, your Instagram might be hacked.",
]
FRIENDS_SCAMS = [
    "Your computer has a virus, share your screen so our technician can fix the error",
    "Your laptop is infected with a virus, share your screen and I'll fix the error",
    "你电脑报错是因为中了病毒，打开远程协助我帮你清理",
    "妈，我是小明，换号了，你开个屏幕共享，我帮你把钱转过去",
    "剩下的我来出，你先转我500保证金，名额就给你留着",
    "昨天那顿饭钱先别管了，急用，你先转我3000，今晚就还",
    "Pay the deposit first and the loan is released today",
    "Send me $50 first and I'll ship the card right after",
]


def test_everyday_money_and_help_among_friends(rules: Detector, detector: Detector) -> None:
    _check(rules, detector, FRIENDS_SCAMS, FRIENDS)


# the codes a household shares (a Wi-Fi password, a door code, a pickup PIN) are no secret of
# the reader's account: read out to a friend or a courier they ask for nothing
HOUSEHOLD_CODES = [
    "朋友到楼下了，你把门禁密码念一下给他",
    "电话里告诉我一下你家wifi密码，我到了连不上",
    "Read me the wifi password real quick, I'm outside your door",
    "Can you tell the courier the locker pin? He's at the building now",
]
ACCOUNT_SECRETS = [
    "电话里念一下支付密码，我这边帮你取消扣费",
    "Read me your PIN so I can verify the card and stop the charge",
    "This is your bank, tell me the password of your online banking to unlock the account",
]


def test_household_codes_are_no_account_secrets(rules: Detector, detector: Detector) -> None:
    _check(rules, detector, ACCOUNT_SECRETS, HOUSEHOLD_CODES)
