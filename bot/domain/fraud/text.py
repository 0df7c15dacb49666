"""Text checks: refund-scam scripts in Chinese and English.

A script is a *claim* (customer service, a refund, an account problem) combined
with a *request* (a verification code, a password, a transfer, moving the talk to
WeChat, ...). Requests for data count only with a giving verb next to them, and
not after a negation in the same clause ("平台不会向你索要验证码").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .firstchars import guarded
from .literals import Branches
from .model import concepts
from .resources import load_yaml

_FLAGS = re.ASCII
_MAX_CANDIDATES = 12  # occurrences of one request kind examined per message


def _compile(patterns: list[str]) -> re.Pattern[str]:
    # a pattern YAML read as something else (an unquoted one ending in ": " is a mapping)
    # would match nothing without a word: the data is wrong, say so at load
    wrong = [p for p in patterns if not isinstance(p, str)]
    if wrong:
        raise ValueError(f"fraud patterns must be strings (quote them in the YAML): {wrong!r}")
    return re.compile(guarded(joined(patterns), _FLAGS), _FLAGS)


def joined(patterns: list[str]) -> str:
    """One alternation of a group's patterns, as the checks run it (behind `guarded`)."""
    return "|".join(f"(?:{p})" for p in patterns)


# clause boundaries: sentence ends, commas, and conditional words that open a clause
_CLAUSE_END = re.compile(
    r"[。！？!?；;\n]|(?<!\bno)(?<!\bnr)(?<!\bacc)(?<!\bdept)(?<!\bapprox)(?<!\be\.g)(?<!\bi\.e)\.(?:\s|$)",
    _FLAGS,
)
_SUBCLAUSE = re.compile(
    r"[，,：:、]|如果|若是|否则|不然|除非|\b(?:if|unless|otherwise|or\s+else)\b", _FLAGS
)
# negation scope: it ends at a hard break (a condition or a contrast); across a
# comma it goes on unless the next part starts afresh ("不要告诉别人，把验证码发给我"),
# and an enumeration comma (、) never ends it ("不会让你转账、贷款")
_HARD_BREAK = re.compile(
    r"否则|不然|除非|但是|可是|不过|如果|若是|\b(?:but|however|unless|otherwise|or\s+else)\b",
    _FLAGS,
)
_SOFT_BREAK = re.compile(r"[,:：]", _FLAGS)
_FRESH = re.compile(
    r"把|请|你|您|麻烦|现在|马上|立即|立刻|赶紧|然后|按(?=照|要求|指示|指引|流程|我说)|按$|\b(?:please|pls|plz|kindly|now|just|then)\b",
    _FLAGS,
)
# a request someone else might make, in advice: "if anyone asks you to install AnyDesk",
# "如果有人让你提供验证码", "anyone who asks for your code ..."
# ("请勿告知任何人" forbids telling anyone: secrecy, no hypothetical)
_HYPOTHETICAL = re.compile(
    r"(?:如果|假如|要是|若|凡是|(?<!告知)(?<!告诉)(?<!透露给)(?<![跟对和让向])任何|一旦)(?:有)?(?:人|陌生人|对方|自称|任何人|谁)|"
    r"(?:任何|凡是|所有)(?:要求|让|叫|要)(?:你|您)|"
    r"\b(?:if|when|whenever|should)\s+(?:anyone|someone|somebody|anybody|a\s+stranger|a\s+caller|"
    r"people|a\s+scammer|scammers|they|a\s+seller|the\s+seller)\b|"
    r"\b(?:anyone|someone|anybody|whoever)\s+(?:who\s+|that\s+)?(?:asks?|tells?|wants?|requests?)\b",
    _FLAGS,
)
# a request the writer reports having been made to them, told with their own reaction:
# "他让我转钱验证账户，我说…", "房东说先交押金，我们是当面签合同后转的", "My friend asked me
# to pay …, I called him first": a story, not a request to the reader
_REPORTED = re.compile(
    r"(?:他|她|他们|对方|房东|卖家|买家|商家|店家|客服|骗子|有人|朋友|同事|招聘|那个|这个|群里|中介|"
    r"陌生人|网贷|app|网站|短信|电话)"
    r"[^，。！？,!?]{0,6}?(?:说|让我|叫我|要我|要求我|跟我说|问我)|(?:有人|群里)[^，。！？,!?]{0,6}?(?:发|让|叫|要求|私信)|"
    r"\b(?:asked|told|wanted|made|begged)\s+me\b|\b(?:he|she|they|someone)\s+(?:said|says)\b|"
    r"\bwants?\s+me\s+to\b",
    _FLAGS,
)
_REACTION = re.compile(
    r"我(?:们)?都?(?:没|没有|是|就|直接|已经|当时|当面|说|拒绝|拉黑|挂|报警|举报|没理|劝|退群|退出)|别点|别信|"
    r"拒了|拒绝了|(?:还好|幸好|好在)(?:我)?没|(?:肯定|一看就|明显)是假的|套路|大家(?:注意|小心)|提醒大家|"
    r"(?:删|挂|退|拉黑)了|我一听|不对劲|"
    r"\b(?:i|we)\s+(?:didn'?t|did\s+not|called|refused|said|hung|blocked|reported|checked|"
    r"asked|ignored|paid\s+in\s+person)\b|\b(?:screenshotted|reported\s+(?:it|them|him|her))\b",
    _FLAGS,
)
# the writer doing it themself in Chinese: "我下载了钉钉…", "我共享屏幕给同事"
_SELF_ZH = re.compile(
    r"我(?:们)?(?:已经|刚刚|刚|也|都|昨天|今天|自己|当时)?(?:下载|安装|装|用|打开|开|进|加入)?了?"
    r"(?:个|一个|一下)?$",
    _FLAGS,
)
_READER = re.compile(r"你|您")
# what happens after a private deal, told as a warning: "私下转账出了问题平台不管",
# "paying outside the app is at your own risk"
_CONSEQUENCE = re.compile(
    r"[^。！？!?]{0,12}?(?:出了?问题|出事|平台不管|平台概不|不受(?:平台)?(?:保护|保障)|没有保障|没保障|后果自负|"
    r"概不负责|不负责|风险自担|自行承担|at\s+your\s+own\s+risk|not\s+(?:be\s+)?(?:protected|covered)|"
    r"(?:we|the\s+platform)\s+(?:are|is|can)(?:\s+not|n't)\s+(?:responsible|help))",
    _FLAGS,
)
# what the law does to whoever does it, told as news or a warning: "出租银行卡被公安机关调查",
# "出借银行卡…被判帮信罪", "lending your account is a crime" (not after a negation: "不会被查")
_LEGAL = re.compile(
    r"[^。！？!?]{0,16}?(?:涉嫌|犯罪|违法|判刑|坐牢|被用于|被[^，。！？,!?]{0,6}?(?:判|抓|捕|拘|查|处理|处罚)|"
    r"\b(?:illegal|a\s+crime|criminal|arrested|jailed|convicted|prosecuted)\b)",
    _FLAGS,
)
_NOT = re.compile(r"不|没|无|未|\b(?:not|never|no)\b|n't", _FLAGS)
# a quoted phrase: the words of someone else (a scam's line named in a warning or a story)
_QUOTE = re.compile(r"“[^“”]{1,40}”|\"[^\"]{1,40}\"|「[^「」]{1,40}」|『[^『』]{1,40}』", _FLAGS)
# the reader asked something outside the quotes: "请把钱转入“安全账户”"
_ASKS_READER = re.compile(r"你|您|请(?!勿)|\b(?:you|your|please|kindly)\b", _FLAGS)


# a scam word denied or waved away is the scam's reassurance, not a warning: "放心，这不是骗局",
# "别信那些说是骗子的", "this is not a scam" (a question stays a question: "这不是骗局吗？")
_DENIED = re.compile(
    r"(?:不是|并非|绝非|才不是|\b(?:not|never)\s+(?:a\s+|an\s+)?|\bisn'?t\s+(?:a\s+|an\s+)?|\bno\s+)$|"
    r"(?:别信|不要信|别听|不要听|别管|\b(?:don'?t|do\s+not)\s+(?:believe|listen\s+to))[^。！？!?]{0,10}$",
    _FLAGS,
)
_ASKED = re.compile(r"[^。！？!?]{0,4}?(?:吗|嘛|[?？])", _FLAGS)


def _reassures(text: str, start: int, end: int) -> bool:
    """Whether the scam word at text[start:end] is denied or waved away, not asked about."""
    return bool(_DENIED.search(text, max(0, start - 16), start)) and not _ASKED.match(text, end)


def _negated_item(text: str, neg: int) -> bool:
    """Whether the "不" at `neg` opens an item of a list of negated actions with no
    condition in it ("本店不加微信、不加QQ、不线下转账")."""
    for m in _NEGATED_LIST.finditer(text, max(0, neg - 40), min(len(text), neg + 40)):
        if m.start() <= neg < m.end():
            return not _LIST_CONDITION.search(m.group())
        if m.start() > neg:
            break
    return False


def quoted_mention(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies inside a quoted phrase while the text outside every
    quote asks nothing of the reader: a scam's words named, not said ("那个“交保证金成为
    代理”的群我退了", 'she almost moved it to a "safe account"')."""
    if end - start < 1 or not any(q in text for q in '“"「『'):
        return False
    spans = [q.span() for q in _QUOTE.finditer(text)]
    if not any(lo <= start and end <= hi for lo, hi in spans):
        return False
    outside = _QUOTE.sub(" ", text)
    return not _ASKS_READER.search(outside)


# a giving verb that states a need ("需要你的", "needs your"): handed to the writer, unless the
# text names the official app or site as where it goes
_NEED_YOUR = re.compile(
    r"(?:需要|借用|借)(?:一下)?(?:你|您)的|需要(?:你|您)提供|(?:needs?|requires?)\s+(?:your|the|you\s+to)",
    _FLAGS,
)
# what opens an account: its password and its login code, never handed over to anyone
_CREDENTIALS = frozenset({"password", "code"})
# an official notice: it sends the reader to the official app or channel (or confirms a
# refund to the original payment method) AND forbids the other way ("关闭自动续费请在App内
# 操作，我们不会主动打电话", "scan it with the official app, no need to enter any PIN")
_OFFICIAL_WAY = re.compile(
    r"官方(?:app|应用|客户端|后台|渠道|网站|规则|页面)|app内|应用(?:商店|市场)|官网|原路退回|原支付(?:方式|账户)|"
    r"\b(?:official\s+(?:app|website|site|channel|tool|store)|in\s+the\s+app|app\s+store|play\s+store|"
    r"original\s+(?:payment\s+method|card|account))\b",
    _FLAGS,
)
# "no need to enter any PIN" after the official way: the other way forbidden
_NO_NEED = re.compile(r"\bno\s+need\s+to\b", _FLAGS)
# a channel the writer controls, to which a real notice never sends anyone: a handle or a
# bot, a phone number, a chat app id
_WRITER_CHANNEL = re.compile(
    r"@[a-z][a-z0-9_]{3,}|\b[a-z0-9_]+_?bot\b|\d{5,}|(?:微信|qq|vx|wx|v信|whatsapp|telegram|tg)\s*(?:号|id)?\s*[:：]",
    _FLAGS,
)
# the writer's own payment told: "我扫了商家的收款码", "我用支付宝扫码付的款"
_SELF_PAID = re.compile(
    r"我(?:们)?(?:已经|刚刚|刚|也|都|昨天|今天|当时|之前|上次)?(?:用|扫|付|转|打|汇|在|把)", _FLAGS
)
# paying on the platform itself is what real advice asks: "only pay through the checkout
# page", "所有付款请通过平台下单"
_ON_PLATFORM = re.compile(
    r"[^。！？!?]{0,24}?(?:通过平台|在平台|平台内|平台上|平台下单|官方(?:app|渠道|页面)|"
    r"(?:打|付|转|交)?到平台|平台担保|"
    r"\b(?:through|via|on|in)\s+(?:the\s+)?(?:checkout|platform|official|order\s+page|app\b)|"
    r"\bon\s+the\s+(?:site|website)\b)",
    _FLAGS,
)
# a Chinese sentence that asks something of someone: the reader named, or an imperative word
_ADDRESSED = re.compile(
    r"你|您|(?<![邀申])请|麻烦|帮我|下载|安装|打开|开一下|开启|进入|加入|进一下|点|扫|输入|发我|给我",
    _FLAGS,
)
# a sensitive item named just before "千万别告诉任何人": advice about the item, no secrecy
_DATA_BEFORE = re.compile(
    r"(?:验证码|密码|卡号|银行卡|身份证|\b(?:code|password|pin|otp)\b)[^，。！？,!?]{0,4}$", _FLAGS
)
# a promotion gives less than it takes ("充200送20", "top up 200 and get 20 bonus"); the
# scam promises more back ("send 50, get 150")
_AMOUNTS = re.compile(r"\d+(?:\.\d+)?")
# the writer doing it themself: "I'll transfer the money once the refund arrives"
_SELF_ACTION = re.compile(
    r"\b(?:i|we)(?:'ll|'ve|'d|\s+will|\s+can|\s+could|\s+would|\s+have|\s+already|\s+just|\s+then)?"
    r"(?:\s+(?:already|just|then|also|now))?\s+$",
    _FLAGS,
)
# a list the request names items of: "verify your identity: full name, ID number and the OTP"
_LIST_ITEM = re.compile(
    r"\s*(?:(?:the|your|my|a|an)\s+)?(?:[a-z0-9-]+\s+){0,2}[a-z0-9-]+\s*|[^，,:：、\s]{1,6}", _FLAGS
)
# a bare negation right before a request that starts with its modal verb: "不需要交保证金",
# "不会让你转账" matched from 需要 / 会 on
_SPLIT_NEGATION = re.compile(r"(?:不|没有?|无)$", _FLAGS)
_MODAL = re.compile(r"需要?|用|必|会|得|该", _FLAGS)
_CONTRAST = re.compile(
    r"只需要?|只要|只用|只管|而是|\b(?:just|simply|only\s+need\s+to|all\s+you\s+(?:need|have)\s+to)\b",
    _FLAGS,
)
_REASSURED = re.compile(
    r"\s*(?:要|用)?(?:着急|急|担心|慌|害怕|怕|客气)|'t\s+(?:worry|panic|stress|fret)|\s+(?:worry|panic|stress)",
    _FLAGS,
)
_CONDITION = re.compile(r"(?:如|若|如果|要是|假如|\bif(?:\s+you)?)\s*$", _FLAGS)
# a list of what is never done ("不加微信、不加QQ、不线下转账"): two or more items each negated
# by a bare "不", none of them a condition ("不加微信就退不了": a threat, not a policy)
_NEGATED_LIST = re.compile(
    r"(?:(?:也|从|绝|均|都)?不[^、，,；;。！？!?\n]{1,12}[、，,；;]\s*)+(?:也|从|绝|均|都)?不[^、，,；;。！？!?\n]{1,12}",
    _FLAGS,
)
_LIST_CONDITION = re.compile(r"就|则|的话|才|否则|不然|除非")
_LATIN = re.compile(r"[a-z]+")
_YOU = re.compile(r"\byour?\b", _FLAGS)
_KNOWN_APP = re.compile(
    r"官方|支付宝|淘宝|天猫|京东|微信|拼多多|抖音|\b(?:official|alipay|taobao|tmall|wechat|jd)\b",
    _FLAGS,
)
_OFFICIAL_PLACE = re.compile(
    r"官方(?:app|应用|客户端|网站|官网)|官网|\bofficial\s+(?:app|website|site)\b", _FLAGS
)
# a meeting app or a meeting number named, nothing more: a request only when the message
# also asks for the screen, a remote session, an install or money, or speaks of an account,
# a refund or an authority ("腾讯会议开周会，会议号晚点发群里" asks nothing)
_MEETING_ONLY = re.compile(
    r"腾讯会议|会议号|(?:进入|加入)会议|(?:进|进入|加入|进一下)(?:一下)?会议室|钉钉|飞书|云视讯|小鱼易连|"
    r"瞩目|视频会议|会议(?:app|软件)|\bzoom\s+meeting\b|\b(?:tencent|voov)\s+meeting\b|"
    r"\bjoin\s+(?:our|the|a)\s+meeting\b|\bon\s+zoom\b",
    _FLAGS,
)
_MEETING_ABUSE = re.compile(
    r"屏幕|录屏|共享|远程|下载|安装|退款|退费|理赔|赔付|客服|专员|注销|贷款|网贷|借呗|征信|账户|账号|银行|"
    r"转账|付款|汇款|验证码|密码|公安|警官|民警|法院|检察|洗钱|冻结|异常|会员|续费|扣费|扣钱|扣款|月扣|"
    r"\b(?:screen|remote|install|download|refund|bank|account|pay|payment|transfer|code|"
    r"password|police|loan|support|agent|frozen|verify|subscription|membership|charged?)",
    _FLAGS,
)
# a screen or a remote session among people who know each other (colleagues, a class, the
# family) with nothing at stake: a meeting or help, not the remote-control script
# ("部门例会…讲方案的同事记得共享屏幕", "Dad, I'll remote into your laptop on Sunday")
_CIRCLE = re.compile(
    r"同事|部门|例会|周会|项目|网课|老师|家长|学校|班级|工单|我爸|我妈|爸爸|妈妈|爷爷|奶奶|外公|外婆|老人|"
    r"^(?:爸|妈)[，,\s]|报错|"
    r"\b(?:dad|mom|mum|grandma|grandpa|grandmother|grandfather|colleagues?|coworkers?|teacher|"
    r"school|class|slides|ticket|company\s+email|bugs?|errors?|crash\w*)\b",
    _FLAGS,
)
# what the remote-control script is after, or how it presses: money, an account, a code, an
# authority, urgency ("我是你们部门领导，马上下载腾讯会议共享屏幕")
_STAKE = re.compile(
    r"退|赔|客服|专员|注销|贷|借呗|花呗|征信|账户|账号|银行|钱|转账|付|汇款|验证码|密码|公安|警|法院|检察|冻结|"
    r"异常|会员|续费|扣|保障|换号|新号|钱包|工资|财务|费|领导|老板|急|马上|立即|立刻|"
    r"\b(?:refunds?|bank\w*|accounts?|pay\w*|transfer\w*|codes?|otps?|passwords?|police|loans?|"
    r"frozen|verify|subscription|membership|charged?|wallet|crypto|money|fees?|new\s+number|cash|"
    r"boss|ceo|manager|urgent\w*|immediately|asap|virus\w*|hack\w*|infected|malware|microsoft|"
    r"windows|technicians?|tech\s+support)\b|病毒|中毒|黑客|木马|技术员|工程师",
    _FLAGS,
)
# a scam named in a rhetorical question right before its request: "真中奖哪有先交钱的"
_RHETORICAL = re.compile(r"(?:哪有|哪里有|哪会|哪个正规|怎么可能|谁会|难道)[^，,]*$", _FLAGS)
# the writer's verdict on the request in the same sentence: "…先交钱的，都是骗子", "If a
# prize needs you to pay first, it's fake" (not negated: "放心，不是骗局")
_VERDICT = re.compile(
    r"[^。！？!?]{0,40}?(?:是(?:假的|骗子|骗局|诈骗)|\bit'?s\s+(?:fake|a\s+scam)\b|"
    r"\b(?:is|are)\s+(?:fake|a\s+scam|scams)\b)",
    _FLAGS,
)
# a verdict denied ("不是骗局", "别信…说是骗子") or on someone else's offer, not on this
# request ("加这个微信号，其他都是假的")
_NOT_OR_OTHERS = re.compile(
    r"不|没|无|未|别|莫|其他|其它|\b(?:not|never|no|others?|the\s+rest)\b|n't", _FLAGS
)
# a payment told with its paper trail, done or a rule (a receipt, an invoice, a contract, the
# company's or an escrow account, the bank's counter, reimbursement): the writer's own dealings
# ("展会摊位需要交押金…主办方给了正式收据", "Deposit paid to the agent's company account, receipt
# issued"); not when the reader is asked anything
_PAPER_TRAIL = re.compile(
    r"收据|发票|合同|对公账户|公司账户|监管账户|柜台|报销|"
    r"\b(?:receipts?|invoices?|contract|company\s+account|escrow|expense\s+system|reimburs\w*)\b",
    _FLAGS,
)
_TOLD = re.compile(
    r"了|过|已|报销|\b(?:paid|signed|issued|approved|done|was|were|got|reviewed|reimburs\w*)\b",
    _FLAGS,
)
_IMPERATIVE = re.compile(
    r"(?:^|[.!?;:]\s*)(?:send|pay|transfer|wire|deposit|buy|move|scan)\b|给我|发我|转我|打给我",
    _FLAGS,
)
# a code sent to the reader's or the writer's own phone, with nobody to hand it to: the way a
# code travels, not a request for it ("We will send OTPs only via SMS to your registered
# number", "验证码发到我绑定的手机上了，输入就好")
_TO_OWN_PHONE = re.compile(
    r"[^。！？!?]{0,24}?(?:(?:(?:发|发送|下发)(?:到|至)|\bsent\s+to\b)\s*"
    r"(?:(?:你|您|我)(?:的)?)?(?:绑定|注册|预留)?的?(?:手机|号码)|\bto\s+(?:your|my)\s+(?:registered\s+)?"
    r"(?:phone|number|mobile)\b)",
    _FLAGS,
)
# ... unless someone is to be told it: "验证码发到您手机了，请告诉客服", "发我一下"
_HANDED = re.compile(
    r"给我|发我|告诉|报给|报一下|念|读给|读一下|说出来|转发|截图|回复|提供|核对|我们?(?:需要|要)|"
    r"\b(?:tell|read|reply|give|"
    r"forward|share|show|provide|confirm|send\s+(?:it\s+)?(?:to\s+)?(?:me|us)|(?:we|i)\s+(?:need|want|require))\b",
    _FLAGS,
)
# the next sentence opens by reading something out to the writer, with no object of its own:
# it reads out what the sentence before named ("…短信了吗？念一下就行", "…a code. Read it to me")
_READ_BACK = re.compile(
    r"[。！？!?.]\s*[^。！？!?.]{0,8}?(念|读|报(?:一下|给|出来)|说出来|告诉我|"
    r"\b(?:read|tell\s+me|say)\b)(?!\s*[^，。！？,!?\s]{0,4}(?:码|号|密码))",
    _FLAGS,
)
_THREAT_VERB = re.compile(r"举报|拉黑|(?:block|report)(?:ed)?\s+\w+", _FLAGS)
# fraud named as what a rule prevents ("to prevent chargeback fraud we require a $1 payment",
# "为防止诈骗，请先转1元验证"): the reason a money request gives itself, not talk about scams
_PREVENTS = re.compile(
    r"\b(?:prevent|avoid|stop|combat|deter|reduce)\s+(?:\w+\s+){0,2}(?:fraud|scams?)\b|"
    r"(?:防止|预防|杜绝|避免|防范)[^，。！？,!?]{0,4}(?:诈骗|欺诈|骗局|被骗)",
    _FLAGS,
)
# the money requests such a reason may come with
_MONEY_KINDS = frozenset({"transfer", "fee", "prepay", "pay_me"})
_QUESTION_END = re.compile(r"(?:[?？]|吗|嘛|么|呢|吧)\s*$", _FLAGS)
_TO_ME = re.compile(
    r"给我|发我|告诉我|报给我|跟我说|\b(?:send|tell|give|show)\s+(?:me|us)\b|\bto\s+(?:me|us)\b",
    _FLAGS,
)
_SELF_QUESTION = re.compile(
    r"需要|要不要|是否|会不会|为什么|怎么|正常|安全|靠谱|是真的|可信|可以|能不能|能否|是不是|有没有|还是|"
    r"\b(?:do|should|must|can|is|does|why|how|will)\s+(?:i|we|it|this|that|they)\b",
    _FLAGS,
)


@dataclass(slots=True)
class RequestHit:
    kind: str
    level: str  # "sensitive" | "soft"
    text: str
    giving: bool = True  # handed to the writer, not typed into something


@dataclass(slots=True)
class TextSignals:
    claim: str | None = None
    weak_claim: str | None = None
    refund: str | None = None
    impersonation: str | None = None
    scam_claims: list[str] = field(default_factory=list)
    requests: list[RequestHit] = field(default_factory=list)
    discussion: bool = False
    link_verb: bool = False
    secrecy: str | None = None
    # money to the writer with a pretext no platform needs: (the payee part, the pretext)
    pay_writer: tuple[str, str] | None = None
    # money asked for the writer's share of an everyday cost, with nothing else asked and
    # no pretext ("吃饭一共270，你转我90就行"): the money request was dropped
    bill_split: bool = False
    # money asked of the reader for the writer or a person, QR code, link or account they
    # control, with or without a pretext ("转到孩子妈妈的微信", "send it to my cashapp"): the
    # payee half of `pay_writer`; the detector weighs it with the message's pretexts
    payee: str | None = None
    # an official notice (`_OFFICIAL_WAY` with a prohibition, no channel of the writer's):
    # its findings are capped at "low" like talk about scams
    official_notice: bool = False
    # a payment told with its paper trail, asking nothing of the reader (`_PAPER_TRAIL`):
    # its findings are capped at "low" like an official notice's
    documented: bool = False

    @property
    def suspect(self) -> bool:
        """Something in the text asks, claims or impersonates (the checks go on from here)."""
        return bool(
            self.requests or self.scam_claims or self.impersonation or self.pay_writer or self.payee
        )

    @property
    def sensitive(self) -> list[RequestHit]:
        return [r for r in self.requests if r.level == "sensitive"]

    @property
    def soft(self) -> list[RequestHit]:
        return [r for r in self.requests if r.level == "soft"]


def signals_of(sig: TextSignals) -> tuple[str, ...]:
    """What the text checks found, as names the classifier reads beside the n-grams (a
    request of a kind; a claim, a weak claim, refund
    talk, an impersonation, a scam line, secrecy, a link verb, talk about scams)."""
    # the kind only: how much a kind weighs (a code handed over, a number to call) is
    # learned, not taken from the rules' levels
    out = [f"req_{r.kind}" for r in sig.requests]
    if sig.claim:
        out.append("claim")
    if sig.weak_claim:
        out.append("weak_claim")
    if sig.refund:
        out.append("refund")
    if sig.impersonation:
        out.append("impersonation")
    if sig.scam_claims:
        out.append("scam_claim")
    if sig.secrecy:
        out.append("secrecy")
    if sig.link_verb:
        out.append("link_verb")
    if sig.discussion:
        out.append("discussion")
    if sig.bill_split:
        out.append("bill_split")
    return tuple(sorted(set(out))) if out else ()


@dataclass(slots=True)
class _Request:
    kind: str
    level: str
    needs_verb: bool
    pattern: re.Pattern[str]


# the request kinds run with only their branches that can match (`literals.Branches`): the
# long alternations of dozens of phrasings, where that saves more than it costs
_PRUNED_REQUESTS = ("goods", "transfer")
# the requests a bill split makes: money for the writer, nothing else
_SPLIT_KINDS = frozenset({"off_platform", "pay_me", "transfer"})
# a handle or a bot to write to: "@km_check_bot", "私聊 xx_bot"
_HANDLE_TO = re.compile(r"@[a-z][a-z0-9_]{3,}|\b[a-z0-9_]+_?bot\b", _FLAGS)
# a payee that is the writer themself ("转我", "打我200"), not a third account
_TO_WRITER = re.compile(
    r"(?:转|汇|打|给我|向我|往我)(?:给)?我?(?:转|打|汇|付)?\s*\d*\s*(?:元|块)?", _FLAGS
)
_DIGITS = re.compile(r"\d[\d\s()-]*\d")
_PHONE_LIKE = re.compile(r"\d{3}")
_SENTENCE_START = re.compile(r"[。！？!?\n]|\.\s")
# what a warning never asks for itself: data or a code handed over, money, an install, a
# screen (`_COLLECTS_DATA` only when handed, not typed in); a new contact or a link only to a
# channel of the writer's or a new one (`_NEW_CHANNEL`)
_COLLECTS_DATA = frozenset({"code", "password", "bank_card", "id"})
_COLLECTS = _COLLECTS_DATA | {
    "goods",
    "screen_share",
    "app",
    "transfer",
    "fee",
    "prepay",
    "off_platform",
    "mule",
    "pay_me",
}
_SENDS_TO = frozenset({"contact", "link", "qr", "callback"})
_NEW_CHANNEL = re.compile(
    r"@[a-z][a-z0-9_]{3,}|\b[a-z0-9_]+_?bot\b|\d{5,}|新号|新的?(?:客服|账号|微信|号码|地址|网址|系统|平台|通道)|"
    r"下面|下方|以下|这个(?:链接|网址|微信|号|群)|私聊我|加我|"
    r"\b(?:below|new\s+(?:address|account|number|site|portal|link|handle|support|system)|dm\s+(?:me|him|her)|"
    r"message\s+(?:me|him|her|them)|contact\s+(?:me|him|her))\b",
    _FLAGS,
)
# someone else asking, retold: a requester, then a verb of asking or saying ("有人冒充客服让
# 加微信", "骗子会说…", "someone is DMing members asking for codes")
_AGENT = re.compile(
    r"(?:有人|有个人|骗子|对方|他们?|她们?|冒充|自称|陌生人|那个人|假客服|诈骗|电话|短信|网贷|app|网站)"
    r"[^。！？!?]{0,16}?"
    r"(?:让|叫|要求?|说|会|问|私聊|私信|发|打电话|打来|索要|骗|冒充|声称)|"
    r"\b(?:someone|somebody|scammers?|fraudsters?|they|he|she|people|fake\s+\w+|a\s+caller|anyone|"
    r"impersonators?)\b[^.!?]{0,40}?\b(?:ask|tell|want|say|claim|messag|dm|call|text|pretend|"
    r"request|will|would|tr[yi]|post)\w*",
    _FLAGS,
)
_SOFT_CUT = re.compile(r"[，,：:、；;]", _FLAGS)
# a clause that goes on with the one before it ("…，并把截图发我", "…, then send it")
_CONTINUED = re.compile(
    r"\s*(?:并|然后|再|再把|之后|完了|转完|\b(?:and|then|after\s+that|to)\b)", _FLAGS
)
# a quoted phrase, single quotes included: a scam's words named ("the 'just pay shipping' texts")
_ANY_QUOTE = re.compile(
    r"“[^“”]{1,80}”|\"[^\"]{1,80}\"|「[^「」]{1,80}」|『[^『』]{1,80}』|‘[^‘’]{1,80}’|"
    r"(?<![a-z])'[^']{1,80}'(?![a-z])",
    _FLAGS,
)
# a clause that starts the writer's own instruction, not a retold one's continuation
_OWN_START = re.compile(
    r"\s*(?:[^，,。！？!?的]{0,6}的(?=可以|请|直接))?(?:请|麻烦|把|马上|立即|立刻|赶紧|直接|现在|可以|"
    r"大家|各位|所有|您|你(?!们?会)|为了|为保障|真正的|"
    r"\b(?:please|just|now|dm|contact|send|message|pay|move|verify|log|click|to\s+stay|everyone|"
    r"real|the\s+only))",
    _FLAGS,
)


def _guard(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A module pattern behind its first-character guard (`firstchars.py`): the same matches."""
    return re.compile(guarded(pattern.pattern, pattern.flags), pattern.flags)


# the module patterns searched most, guarded: each saves 0.3-1.5 us per search of a
# message-sized text (patterns that open with a literal or a class are faster without)
_CLAUSE_END = _guard(_CLAUSE_END)
_HYPOTHETICAL = _guard(_HYPOTHETICAL)
_REPORTED = _guard(_REPORTED)
_REACTION = _guard(_REACTION)
_STAKE = _guard(_STAKE)
_MEETING_ABUSE = _guard(_MEETING_ABUSE)
_DENIED = _guard(_DENIED)
_ADDRESSED = _guard(_ADDRESSED)
_CIRCLE = _guard(_CIRCLE)
_HANDED = _guard(_HANDED)
_SELF_QUESTION = _guard(_SELF_QUESTION)
_IMPERATIVE = _guard(_IMPERATIVE)
_FRESH = _guard(_FRESH)


class TextChecker:
    def __init__(self, hotlines: frozenset[str] = frozenset()) -> None:
        data = load_yaml("scripts.yaml")
        self.hotlines = hotlines
        self.secrecy = _compile(data["secrecy"])
        self.claims = _compile(data["claims"])
        self.weak_claims = _compile(data["weak_claims"])
        self.refund = _compile(data["refund_words"])
        self.impersonation = _compile(data["impersonation"])
        self.scam_claims = _compile(data["scam_claims"])
        self.cheat_tool = _compile(data["cheat_tool"])
        self.give_verbs = _compile(data["give_verbs"])
        self.input_verbs = _compile(data["input_verbs"])
        self.negations = _compile(data["negations"])
        self.discussion = _compile(data["discussion"])
        self.link_verbs = _compile(data["link_verbs"])
        self.payee = _compile(data["pay_writer"]["payee"])
        self.pay_pretext = _compile(data["pay_writer"]["pretext"])
        split = data["bill_split"]
        self.split = _compile(split["split"])
        self.expense = _compile(split["expense"])
        self.past = _compile(split["past"])
        self.split_urgent = _compile(split["urgent"])
        self.loan = _compile(split["loan"])
        # a pretext of the wide vocabulary (a charity, an authority, a gain, ...) makes a
        # split no split
        self.split_pretexts = frozenset(map(str, data["request_pretext"]["concepts"]))
        self.requests = [
            _Request(name, spec["level"], bool(spec["needs_verb"]), _compile(spec["object"]))
            for name, spec in data["requests"].items()
        ]
        # literal words: a cheap first pass that tells which pattern groups to run
        self.trigger_words: dict[str, list[str]] = {
            group: sorted({str(w) for w in words}, key=len, reverse=True)
            for group, words in data["triggers"].items()
        }
        # index by first character (CJK) or first two letters (Latin): a text only
        # tests the words that can start at one of its characters or words
        self._by_char: dict[str, list[tuple[str, str]]] = {}
        self._by_prefix: dict[str, list[tuple[str, str]]] = {}
        for group, words in self.trigger_words.items():
            for w in words:
                if w[0].isascii() and w[0].isalpha():
                    key = w[:2] if len(w) > 1 and w[1].isascii() and w[1].isalpha() else w[0]
                    self._by_prefix.setdefault(key, []).append((w, group))
                else:
                    self._by_char.setdefault(w[0], []).append((w, group))
        self._chars = frozenset(self._by_char)
        self.all_groups = frozenset(self.trigger_words)
        # the costliest alternations run with only the branches whose words the text
        # contains (`literals.py`); for the others finding those costs more than it saves
        self.pruned = {
            name: Branches(patterns, _compile)
            for name, patterns in (
                ("impersonation", data["impersonation"]),
                ("scam_claims", data["scam_claims"]),
                *((k, data["requests"][k]["object"]) for k in _PRUNED_REQUESTS),
            )
        }

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _clause(text: str, ends: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
        """Bounds of the sentence around text[start:end]; `ends` are the sentence-end spans."""
        i = bisect.bisect_right(ends, (start, len(text) + 1))
        lo = ends[i - 1][1] if i and ends[i - 1][1] <= start else 0
        j = bisect.bisect_left(ends, (end, -1))
        hi = ends[j][0] if j < len(ends) else len(text)
        return lo, hi

    def _is_request(
        self, text: str, req: _Request, m: re.Match[str], ends: list[tuple[int, int]]
    ) -> RequestHit | None:
        start, end = m.span()
        lo, hi = self._clause(text, ends, start, end)
        wide = m.group().isascii()
        before = 48 if wide else 16
        after = 24 if wide else 10
        first = start
        giving = True
        cuts = list(_SUBCLAUSE.finditer(text, lo, start))
        obj_lo = list_lo = cuts[-1].end() if cuts else lo
        # walk back over list items ("name, ID number and the OTP"), at most three
        for k in range(len(cuts) - 1, max(-1, len(cuts) - 4), -1):
            sep = cuts[k].group()
            prev_lo = cuts[k - 1].end() if k else lo
            if sep in (":", "："):
                list_lo = prev_lo  # the clause before a colon governs the list after it
                break
            if sep not in (",", "、") or not _LIST_ITEM.fullmatch(text, prev_lo, cuts[k].start()):
                break
            list_lo = prev_lo
        if req.needs_verb:
            v = None
            # the object's own part of the clause first, then the list it is an item of
            for w_lo in dict.fromkeys((obj_lo, list_lo)):
                window = (max(w_lo, start - before), min(hi, end + after))
                v = self.give_verbs.search(text, *window)
                giving = True
                if v is None:
                    v = self.input_verbs.search(text, *window)
                    giving = False
                if v is not None:
                    break
            if v is None and req.kind == "code" and not req.pattern.search(text, end):
                # the code named once, its way to a phone told, then the handing over
                v = self._handed_after_delivery(text, end)
            if v is None and req.kind == "code" and hi < len(text):
                # the code named in one sentence, read out at the start of the next
                # ("收到六位数的短信了吗？念一下就行", "We sent you a code. Read it to me")
                back = _READ_BACK.match(text, hi)
                if back is not None and not self.negations.search(text, hi, back.start(1)):
                    v, giving = back, True
            if v is None:
                return None
            if giving and _NEED_YOUR.fullmatch(v.group()) and _OFFICIAL_PLACE.search(text):
                giving = False  # "登录需要你的密码…只在官方App里输入": what a login needs, typed in
            if v.start() > end and self.negations.search(text, end, v.start()):
                return None  # the item first, then the prohibition: "验证码千万不要告诉任何人"
            if v.start() > end and _HYPOTHETICAL.search(text, end, v.end()):
                return None  # the item first, then whoever might ask: "验证码任何人索要都不要给"
            first = min(start, v.start())
        elif (
            wide
            and _SELF_ACTION.search(text, max(lo, start - 24), start)
            and not (req.kind == "mule" and _YOU.search(m.group()))
            and not (req.kind == "contact" and "@" in m.group())
        ):
            # "I'll transfer the money", "we will share the screen": not asked of the reader
            # ("can I borrow your number" still asks the reader for what is theirs; "we moved
            # support to @x" sends the reader to the handle)
            return None
        if (
            not wide
            and _SELF_ZH.search(text, max(lo, first - 6), first)
            and not _READER.search(text, first, hi if hi > first else len(text))
        ):
            return None  # "我下载了钉钉用来开会": the writer's own doing
        if req.kind != "off_platform" and self.negations.search(m.group()):
            return None  # "请不要私下转账": the prohibition is inside the match
        if req.kind in ("off_platform", "transfer") and _CONSEQUENCE.match(
            text, end, hi if hi > end else len(text)
        ):
            return None  # "私下转账出了问题平台不管": the risk told, a warning
        if req.kind in ("mule", "off_platform") and self._legal_after(text, end, hi):
            return None  # "出租银行卡被公安机关调查": what the law does, a warning or news
        if quoted_mention(text, first, end):
            return None  # a scam's words in quotes, the reader asked nothing
        if req.kind in ("prepay", "transfer", "fee") and _ON_PLATFORM.match(text, end):
            return None  # "only pay through the checkout page"
        if (
            req.kind == "screen_share"
            and _MEETING_ONLY.fullmatch(m.group())
            and not _MEETING_ABUSE.search(text)
        ):
            return None  # a meeting named for a meeting: no screen, install or money asked
        if (
            req.kind == "screen_share"
            and not wide
            and not _ADDRESSED.search(text, lo, hi if hi > lo else len(text))
        ):
            return None  # "周会改成腾讯会议了": a meeting app named, nothing asked of anyone
        if (
            req.kind == "code"
            and _TO_OWN_PHONE.match(text, end, hi if hi > end else len(text))
            and not _HANDED.search(text)
        ):
            return None  # a code sent to one's own phone, nobody to hand it to
        if req.kind == "screen_share" and _CIRCLE.search(text) and not _STAKE.search(text):
            return None  # a meeting or remote help among colleagues or family, nothing at stake
        if _RHETORICAL.search(text, max(lo, first - 8), first) or self._verdict_after(
            text, end, hi
        ):
            return None  # "真中奖哪有先交钱的", "if a prize needs you to pay first, it's fake"
        if req.kind == "prepay":
            amounts = _AMOUNTS.findall(m.group())
            if len(amounts) == 2 and float(amounts[1]) <= float(amounts[0]):
                return None  # a bonus smaller than the payment is a promotion
        if req.kind == "callback":
            number = _DIGITS.search(m.group())
            if number is None or re.sub(r"\D", "", number.group()) in self.hotlines:
                return None  # the brand's official hotline: calling it is what we advise
        if req.kind == "app" and _KNOWN_APP.search(m.group()):
            return None  # the official app of a brand is where a real refund happens
        if not giving and _OFFICIAL_PLACE.search(text, lo, hi if hi > lo else len(text)):
            return None  # "在官方App里输入验证码登录": typing a code into the real app
        # negation before the request, within its scope
        hard_lo = lo
        for s in _HARD_BREAK.finditer(text, lo, first):
            hard_lo = s.end()
        bounds = [hard_lo] + [s.end() for s in _SOFT_BREAK.finditer(text, hard_lo, first)]
        # walk back over comma-separated parts while none of them starts afresh
        sub_lo, seg_end = bounds[-1], first
        for b in reversed(bounds):
            sub_lo = b
            if _FRESH.search(text, b, seg_end):
                break
            seg_end = b
        prefix = text[max(sub_lo, first - (60 if wide else 14)) : first]
        if _HYPOTHETICAL.search(text, lo, first):
            return None
        if _REPORTED.search(text, lo, first) and _REACTION.search(text):
            return None
        if not wide and first and text[first - 1] == "不" and _negated_item(text, first - 1):
            return None  # one item of a list of what is never done: a policy, not a request
        if _SPLIT_NEGATION.search(prefix) and _MODAL.match(text, first):
            return None  # the negation split from its modal by the match: "不|需要你另外转账"
        if prefix:
            for neg in self.negations.finditer(prefix):
                # "如不需要，请…" / "if you don't …": a condition, not a prohibition
                # "不用坐班 只需要…" / "no need to come in, just …": what is waived comes
                # first, the request after the contrast
                # "别急，私聊我" / "don't worry, …": a reassurance, not a prohibition
                if (
                    not _CONDITION.search(prefix, 0, neg.start())
                    and not _CONTRAST.search(prefix, neg.end())
                    and not _REASSURED.match(prefix, neg.end())
                ):
                    return None
        # a question the writer asks about themself ("需要提供密码吗?", "do I need to ...?")
        sentence = text[lo:hi] if hi > lo else text[lo:]
        tail = text[hi : hi + 1]
        if (_QUESTION_END.search(sentence) or tail in ("?", "？")) and _SELF_QUESTION.search(
            sentence
        ):
            addressed = "你" in sentence or "您" in sentence or _YOU.search(sentence)
            if not addressed and not _TO_ME.search(sentence):
                return None
        return RequestHit(req.kind, req.level, m.group(), giving)

    @staticmethod
    def _handed_after_delivery(text: str, end: int) -> re.Match[str] | None:
        """The handing over asked right after a code's way to a phone is told, without the
        code named again: "验证码已发到您的手机，请告诉客服", "sent to your number, reply with it"."""
        phone = _TO_OWN_PHONE.match(text, end)
        return _HANDED.search(text, phone.end(), phone.end() + 40) if phone else None

    @staticmethod
    def _told_after(
        told: re.Pattern[str], text: str, end: int, hi: int, denial: re.Pattern[str] = _NOT
    ) -> bool:
        """Whether the sentence after a request tells `told` (its legal consequence, the
        writer's verdict), with no `denial` between ("不会被查", "不是骗局", "其他都是假的")."""
        m = told.match(text, end, hi if hi > end else len(text))
        return m is not None and not denial.search(text, end, m.end())

    def _verdict_after(self, text: str, end: int, hi: int) -> bool:
        """Whether the sentence after a request gives the writer's verdict that it is a scam,
        not negated and not about someone else's offer."""
        return self._told_after(_VERDICT, text, end, hi, _NOT_OR_OTHERS)

    def _legal_after(self, text: str, end: int, hi: int) -> bool:
        """Whether the clause after a request tells its legal consequence, not negated."""
        return self._told_after(_LEGAL, text, end, hi)

    def _payee(self, text: str) -> re.Match[str] | None:
        """The first place the reader's money is moved to the writer (or a QR, link, person
        or account they control) that is asked of the reader: not negated ("不私下交易"),
        not someone else's words in a warning or a story, not on the platform ("走平台担保"),
        not the writer's own question."""
        ends = [m.span() for m in _CLAUSE_END.finditer(text)]
        for n, m in enumerate(self.payee.finditer(text)):
            if n == _MAX_CANDIDATES:
                break
            start, end = m.span()
            lo, hi = self._clause(text, ends, start, end)
            wide = m.group().isascii()
            if wide and _SELF_ACTION.search(text, max(lo, start - 24), start):
                continue  # "I'll send it to my friend"
            if (
                not wide
                and _SELF_PAID.search(text, lo, start)
                and not _READER.search(text, lo, hi if hi > lo else len(text))
            ):
                continue  # "我扫了商家的收款码付款": the writer's own payment
            if _ON_PLATFORM.match(text, end) or _ON_PLATFORM.match(text, lo):
                continue  # "押金走平台担保"
            if _HYPOTHETICAL.search(text, lo, start) or quoted_mention(text, start, end):
                continue
            if self._legal_after(text, end, hi):
                continue  # "出借收款码…已被警方处罚": news or a warning
            if _REPORTED.search(text, lo, start) and _REACTION.search(text):
                continue
            sub = [c.end() for c in _SUBCLAUSE.finditer(text, lo, start)]
            prefix = text[max(sub[-1] if sub else lo, start - (40 if wide else 10)) : start]
            if self.negations.search(prefix) or self.negations.search(m.group()):
                continue
            sentence = text[lo:hi] if hi > lo else text[lo:]
            if (
                _QUESTION_END.search(sentence) or text[hi : hi + 1] in ("?", "？")
            ) and _SELF_QUESTION.search(sentence):
                continue  # the writer's own question: "要交3000押金，这个正常吧？"
            return m
        return None

    def _bill_split(self, text: str, sig: TextSignals) -> bool:
        """Whether the only thing asked is money for the writer's share of an everyday cost
        (a meal, a ride, the bills), with no pretext, scam line, impersonation, claim,
        secrecy or urgency anywhere in the text."""
        if not (sig.requests or sig.payee) or any(r.kind not in _SPLIT_KINDS for r in sig.requests):
            return False
        if sig.scam_claims or sig.impersonation or sig.pay_writer or sig.secrecy:
            return False
        shared = self.split.search(text) or (self.expense.search(text) and self.past.search(text))
        # or a plain loan paid back on a named day, to the writer and nobody else
        loan = self.loan.search(text) and (sig.payee is None or _TO_WRITER.fullmatch(sig.payee))
        if not (shared or loan):
            return False
        return not (
            self.pay_pretext.search(text)
            or self.split_urgent.search(text)
            or concepts(text) & self.split_pretexts
            or self.claims.search(text)
            or self.weak_claims.search(text)
        )

    # ---------------------------------------------------------------- main

    def triggered(self, text: str) -> set[str]:
        """Pattern groups whose trigger words occur in the text."""
        groups: set[str] = set()
        for ch in self._chars.intersection(text):
            for word, group in self._by_char[ch]:
                if group not in groups and word in text:
                    groups.add(group)
        if not text.isascii() and not _LATIN.search(text):
            return groups
        keys = set()
        for w in _LATIN.findall(text):
            keys.add(w[:2])
            keys.add(w[0])
        by_prefix = self._by_prefix
        for key in keys:
            for word, group in by_prefix.get(key, ()):
                if group not in groups and word in text:
                    groups.add(group)
        return groups

    def check(self, text: str, *, context: bool = False, exhaustive: bool = False) -> TextSignals:
        """Signals in a `compact`ed text. Claims, refund and link words are only looked
        for when a request, scam line or impersonation is there, or `context` asks for
        them (the message has links). `exhaustive` runs every pattern, ignoring the
        trigger words (for tests)."""
        sig = TextSignals()
        if not text:
            return sig
        groups = self.all_groups if exhaustive else self.triggered(text)
        if not groups and not context:
            return sig
        if groups:
            ends: list[tuple[int, int]] | None = None  # sentence ends, found once when needed
            for req in self.requests:
                if req.kind not in groups or (
                    req.kind == "callback" and not _PHONE_LIKE.search(text)
                ):
                    continue
                pruned = self.pruned.get(req.kind)
                pattern = req.pattern if pruned is None else pruned.for_text(text)
                if pattern is None:
                    continue  # no branch of the kind can match the text
                for n, found in enumerate(pattern.finditer(text)):
                    if n == _MAX_CANDIDATES:
                        break
                    if ends is None:
                        ends = [m.span() for m in _CLAUSE_END.finditer(text)]
                    hit = self._is_request(text, req, found, ends)
                    if hit is not None:
                        sig.requests.append(hit)
                        break
        threats: list[tuple[int, int]] = []  # where the scam lines are
        if "scam_claims" in groups or "cheat_tool" in groups:
            claims = self.pruned["scam_claims"].for_text(text) if "scam_claims" in groups else None
            found_claims = list(claims.finditer(text)) if claims is not None else []
            if "cheat_tool" in groups:
                found_claims += self.cheat_tool.finditer(text)
                found_claims.sort(key=lambda x: x.start())
            sig.scam_claims = [x.group() for x in found_claims][:3]
            threats = [x.span() for x in found_claims]
        if "secrecy" in groups:
            for x in self.secrecy.finditer(text):
                # look back to the start of the sentence (at most 60 characters)
                lo = max(0, x.start() - 60)
                stops = list(_SENTENCE_START.finditer(text, lo, x.start()))
                lo = stops[-1].end() if stops else lo
                if self.discussion.search(text, lo, x.start()) or _HYPOTHETICAL.search(
                    text, lo, x.start()
                ):
                    continue  # "骗子会让你不要挂电话": a warning that quotes the trick
                if _DATA_BEFORE.search(text, lo, x.start()):
                    continue  # "验证码千万不要告诉任何人": advice about the code
                sig.secrecy = x.group()
                sig.scam_claims = [*sig.scam_claims, x.group()][:3]
                break
        if "pay_writer" in groups or "payee" in groups:
            payee = self._payee(text)
            # money to the writer with a pretext no platform trade needs (`pay_writer`)
            pretext = self.pay_pretext.search(text) if payee and "pay_writer" in groups else None
            if payee is not None:
                sig.payee = payee.group()
            if payee is not None and pretext is not None:
                sig.pay_writer = (payee.group(), pretext.group())
                threats.append(pretext.span())  # "撤回举报" is the pretext, not talk about scams
                # next to money asked for the writer, "举报" and "拉黑" are what the writer
                # threatens ("不交的一律踢出并拉黑"), not a warning's advice
                threats += [
                    d.span()
                    for d in self.discussion.finditer(text)
                    if _THREAT_VERB.fullmatch(d.group())
                ]
        impersonation = (
            self.pruned["impersonation"].for_text(text) if "impersonation" in groups else None
        )
        if impersonation is not None:
            m = impersonation.search(text)
            if m:
                sig.impersonation = m.group()
        if "bill_split" in groups and self._bill_split(text, sig):
            sig.bill_split = True
            sig.requests = []
            sig.payee = None
        if not (context or sig.suspect):
            return sig
        m = self.claims.search(text)
        if m:
            sig.claim = m.group()
            # a word about scams inside the claim is the claim's own ("我不小心把你的号举报了")
            threats.append(m.span())
        else:
            m = self.weak_claims.search(text)
            if m:
                sig.weak_claim = m.group()
        m = self.refund.search(text)
        if m:
            sig.refund = m.group()
        if any(r.kind in _MONEY_KINDS and r.giving for r in sig.requests):
            threats += [x.span() for x in _PREVENTS.finditer(text)]
        if sig.suspect and not sig.secrecy:
            # a message telling the reader to keep quiet and stay on the line is no
            # anti-scam advice, whatever else it says ("don't hang up")
            # a word about scams inside a scam line is part of the threat ("不交就踢出去并拉黑")
            sig.discussion = any(
                not any(lo <= d.start() and d.end() <= hi for lo, hi in threats)
                and not _reassures(text, d.start(), d.end())
                for d in self.discussion.finditer(text)
            )
        if (
            sig.discussion
            and sig.impersonation
            and _HANDLE_TO.search(text)
            and any(r.giving and r.level == "sensitive" for r in sig.requests)
        ):
            # a notice in the admins' name that sends the reader's data to a handle or a
            # bot is the phishing, whatever it says about scammers ("因近期骗子冒充管理员…
            # 私聊 @x_bot 发送您的收款账号"): a warning never collects data
            sig.discussion = False
        # a "warning" that itself collects data or money, or sends the reader to a new contact
        # ("防骗提醒：…请把余额转到安全账户", "PSA: scammers are active, send your code to @x_bot
        # to lock your account") is the scam carrying its own warning
        sig.discussion = sig.discussion and not (sig.requests and self._collects(text, sig))
        sig.link_verb = bool(self.link_verbs.search(text))
        sig.official_notice = self._official_notice(text, sig)
        sig.documented = self._documented(text, sig)
        return sig

    @staticmethod
    def _collects(text: str, sig: TextSignals) -> bool:
        """Whether a request of the text is the writer's own instruction to the reader (its
        clause opens with one: `_OWN_START`, not quoted, no requester retold before it:
        `_AGENT`) and collects what a warning never asks for (data or a code handed over,
        money, an install, a screen) or sends the reader to a channel of the writer's or a
        new one."""
        ends = [m.span() for m in _CLAUSE_END.finditer(text)]
        quotes = [q.span() for q in _ANY_QUOTE.finditer(text)]
        for r in sig.requests:
            if r.kind in _COLLECTS_DATA and not r.giving:
                continue
            if r.kind not in _COLLECTS and not (r.kind in _SENDS_TO and _NEW_CHANNEL.search(text)):
                continue
            start = text.find(r.text)
            if start < 0 or any(lo <= start < hi for lo, hi in quotes):
                continue
            lo, _ = TextChecker._clause(text, ends, start, start + len(r.text))
            # the request's clause, or the one it continues ("请…转到安全账户，并截图发我")
            cuts = [lo, *(c.end() for c in _SOFT_CUT.finditer(text, lo, start))]
            own = None
            for b in reversed(cuts[-3:]):
                if _OWN_START.match(text, b):
                    own = b
                    break
                if not _CONTINUED.match(text, b):
                    break
            if own is not None and not _AGENT.search(text, own, start):
                return True
        return False

    @staticmethod
    def _documented(text: str, sig: TextSignals) -> bool:
        """Whether the text tells a payment with its paper trail, done or as a rule, with no
        request to the reader, no payee, secrecy, scam line, impersonation or channel of the
        writer's."""
        if not sig.requests or sig.payee or sig.secrecy or sig.scam_claims or sig.impersonation:
            return False
        return bool(
            _PAPER_TRAIL.search(text)
            and _TOLD.search(text)
            and not _ASKS_READER.search(text)
            and not _IMPERATIVE.search(text)
            and not _WRITER_CHANNEL.search(text)
        )

    def _official_notice(self, text: str, sig: TextSignals) -> bool:
        """Whether the text sends the reader to the official way and forbids the other,
        with no payee, secrecy or channel of the writer's; a password or a login code handed
        over makes it no notice unless the official app or site is where it goes ("官方渠道
        …需要你的密码和验证码" is a takeover, "只在官方App里输入" is advice)."""
        if not sig.suspect or sig.payee or sig.secrecy or _WRITER_CHANNEL.search(text):
            return False
        if any(r.giving and r.kind in _CREDENTIALS for r in sig.requests) and not (
            _OFFICIAL_PLACE.search(text)
        ):
            return False
        way = _OFFICIAL_WAY.search(text)
        return way is not None and bool(
            self.negations.search(text) or _NO_NEED.search(text, way.end())
        )
