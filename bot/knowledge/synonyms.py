"""Buyer vocabulary: the words buyers write, mapped to the words the knowledge texts use.

Applied to questions only (query-time expansion): a phrase found in the question adds the
text's words to the query, and the original words stay. The confidence gate reads the
question with each phrase replaced by its text words, so "商家的锅" counts as covered
because it means 商家的责任, while a question about cooking stays uncovered.

Entries are general buyer language for refunds on card platforms (slang, typos, payment
app words, chat abbreviations), not the wording of any particular question. Keys are
matched on the normalised question (NFKC, lowercase, the variant spellings of `textproc`
folded; English apostrophes dropped), longest key first; English keys match whole words.
Values must be words the texts use, or the entry helps nothing.
"""

from __future__ import annotations

# Chinese: substring -> words of the texts
ZH: dict[str, str] = {
    # the merchant
    "老板": "商家", "店铺": "商家", "店里": "商家", "卡商": "商家", "发卡的": "商家",
    "客服那边": "客服",
    # not delivered
    "不发货": "未发货 待发货", "没发货": "未发货 待发货", "还没发": "未发货 待发货",
    "没发卡": "未发货 卡密", "不发卡": "未发货 卡密", "没给卡": "未发货 卡密", "卡没给": "未发货 卡密",
    "没给我卡": "未发货 卡密", "还没给我": "未发货", "没给我": "未发货", "不给我卡": "未发货 卡密",
    "卡也没给": "未发货 卡密", "没收到卡": "未发货 卡密", "没到货": "未发货", "没收到货": "未发货",
    "迟迟不发": "超时未发货", "一直不发": "超时未发货", "没动静": "未发货 不回应", "不理人": "不回应",
    "不回消息": "不回应", "不回复": "不回应", "没人理": "不回应", "已读不回": "不回应", "装死": "不回应",
    "不回": "不回应", "没回": "不回应",
    "拖着": "拖延", "一直拖": "拖延", "拖了": "拖延",
    # codes and goods
    "兑换码": "卡密 激活码", "充值码": "卡密", "礼品卡": "卡密 点卡", "cdk": "卡密 激活码",
    "序列号": "激活码", "卡号": "卡密", "卡米": "卡密", "卡秘": "卡密", "密码错误": "卡密无效 激活失败",
    "用不了": "无效 激活失败", "不能用": "无效 激活失败", "没法用": "无效 激活失败",
    "充不进去": "充值 不到账", "充不上": "充值 不到账", "钻石": "点券 充值", "金币": "点券 充值",
    "q币": "点券 充值", "皮肤": "商品", "月卡": "会员", "vip": "会员",
    "季卡": "会员", "年卡": "会员", "周卡": "会员", "过期": "无效", "失效": "无效",
    # redeemed / used
    "被使用": "已核销 已使用", "被用了": "已核销 已使用", "被用过": "已核销 已使用", "被人用": "已核销 已使用",
    "被兑换": "已核销", "已兑换": "已核销", "被激活": "已激活 核销", "显示已用": "已核销 已使用",
    "没及时": "期限 时限", "没按时": "期限 时限", "逾期": "期限 时限", "来不及": "期限 时限",
    "会员卡": "会员", "用过了": "已使用", "退到哪": "原路退回 到账", "系统出错": "系统故障", "算谁的": "责任",
    "材料": "证据", "资料": "证据", "凭据": "证据",
    "非说": "商家称 虚假核销", "硬说": "商家称 虚假核销", "没用过": "从没使用 虚假核销", "真没用": "从没使用 虚假核销",
    "用掉了": "已使用", "用完了": "已使用", "不想玩": "不想要了",
    # typos and variants of the texts' own words
    "退宽": "退款", "推款": "退款", "退回来": "退款 退回", "冲值": "充值", "冲错": "充错", "冲到": "充到",
    "冲进": "充到", "冲了": "充值", "充进": "充到",
    # the wrong account
    "号打错": "充错 账号", "打错号": "充错 账号", "号填错": "充错 账号", "填错号": "充错 账号",
    "账号写错": "充错 账号", "id填错": "充错 账号", "陌生人": "错误的账号", "别人号": "错误的账号",
    "别人的号": "错误的账号", "朋友的号": "错误的账号", "uid": "账号 角色", "选错区": "区服",
    # money and charges
    "扣费": "扣款", "扣钱": "扣款", "被扣": "扣款", "扣重": "重复扣款 多扣", "扣两次": "重复扣款",
    "扣了两次": "重复扣款", "扣了两笔": "重复扣款", "两条扣费": "重复扣款", "两笔": "重复扣款",
    "付了两次": "重复扣款", "付两次": "重复扣款", "多付": "多扣 重复扣款",
    "没出单": "扣款未出单", "不出单": "扣款未出单", "没生成": "订单没有生成", "单子": "订单",
    "被吞": "没到账", "被吃": "没到账", "查不到": "没到账", "找不到钱": "没到账", "钱没到": "没到账",
    "零钱": "微信 余额", "建行": "银行卡", "工行": "银行卡", "农行": "银行卡", "招行": "银行卡",
    "中行": "银行卡", "交行": "银行卡", "储蓄卡": "银行卡", "银行": "银行卡",
    "花呗": "支付宝", "要回来": "退款", "拿回来": "退款", "追回": "追回 退款",
    # fees
    "违约金": "手续费", "服务费": "手续费", "扣点": "手续费", "抽成": "手续费",
    # faults and causes
    "这么高": "超过 比例", "太高": "超过 比例", "太贵": "超过 比例",
    "锅": "责任", "背锅": "责任", "怪谁": "责任 原因", "谁的责任": "责任 原因", "谁负责": "责任",
    "我的问题": "买家原因", "自己的问题": "买家原因", "手滑": "拍错 买家原因", "点错": "拍错 买家原因", "买成": "拍错 买家原因",
    "后悔": "不想要了", "不要了": "不想要了", "反悔": "不想要了",
    # platform causes
    "不卖了": "下架", "停售": "下架", "类目": "品类 下架", "维护": "系统故障", "宕机": "系统故障",
    "崩了": "系统故障", "bug": "系统故障",
    # unpaid
    "待支付": "待付款", "没付钱": "待付款", "不付了": "取消 待付款", "放着不管": "取消 待付款",
    # review, appeal and complaints
    "不服": "申诉 不满意", "不满意": "申诉 不满意", "不认可": "申诉", "不同意": "申诉", "复议": "申诉",
    "驳回": "拒绝", "被拒": "拒绝", "举报": "投诉 举报", "维权": "投诉", "曝光": "投诉", "找谁": "投诉 渠道",
    "消协": "12315 投诉", "工商": "12315 投诉", "冻结对方": "冻结 投诉",
    "你是真人": "本助手 不是人工客服", "你是人": "本助手 不是人工客服", "你是谁": "本助手 不是人工客服",
    "转人工": "人工客服", "真人": "人工客服", "人工": "人工客服",
    "审核要多久": "审核 时限",
    # personal agents and prevention
    "私人": "个人代理", "代充": "个人代理 充值", "私下": "个人代理", "微商": "个人代理", "代理": "个人代理",
    "靠谱吗": "正规 平台", "靠不靠谱": "正规 平台", "靠谱不靠谱": "正规 平台", "靠谱": "正规 平台", "正规吗": "正规 平台", "避坑": "踩坑 预防",
    # scams
    "忽悠": "诈骗 被骗", "被坑": "被骗", "套路": "诈骗", "上当": "被骗", "骗了": "被骗", "骗钱": "诈骗",
    "借呗": "贷款", "网贷": "贷款", "借钱": "贷款", "扫码": "扫码 二维码", "扫了": "扫码 二维码",
    "开会议": "会议软件 共享屏幕", "腾讯会议": "会议软件 共享屏幕", "屏幕共享": "共享屏幕",
    "网址": "链接 网址", "网站": "链接 网址", "域名": "链接 网址", "钓鱼": "仿冒 链接", "假网站": "仿冒 链接",
    "字母": "形似字符 仿冒",
}

# English: whole words or phrases (apostrophes dropped) -> words of the texts
EN: dict[str, str] = {
    # the merchant
    "dealer": "merchant", "trader": "merchant", "shopkeeper": "merchant", "storefront": "merchant",
    # not delivered
    "hasnt sent": "not delivered", "havent sent": "not delivered", "didnt send": "not delivered",
    "not sent": "not delivered", "never sent": "not delivered", "no card": "not delivered",
    "no code": "not delivered", "no key": "not delivered", "still waiting": "not delivered",
    "havent received": "not delivered", "didnt receive": "not delivered", "didnt get": "not delivered",
    "didnt receive my refund": "refund succeeded money not received",
    "didnt get my refund": "refund succeeded money not received",
    "havent received my refund": "refund succeeded money not received",
    "havent got my refund": "refund succeeded money not received",
    "no refund yet": "refund succeeded money not received",
    "never got": "not delivered", "never arrived": "not delivered", "no delivery": "not delivered",
    "ships": "delivered", "shipped": "delivered", "shipping": "delivery", "ship": "deliver",
    # not answering
    "ghosted": "does not answer", "ghosting": "does not answer", "ignoring": "does not answer",
    "ignored": "does not answer", "ignores": "does not answer", "no reply": "does not answer",
    "not replying": "does not answer", "no response": "does not answer", "not responding": "does not answer",
    "unresponsive": "does not answer", "left on read": "does not answer",
    # codes and goods
    "key": "code", "keys": "code", "cd key": "code", "cdkey": "code", "serial": "code",
    "license": "code", "licence": "code", "gift card": "card code", "voucher": "card code",
    "redeem code": "code", "promo code": "code", "pin": "code", "diamonds": "game credit",
    "coins": "game credit", "gems": "game credit", "uc": "game credit", "topup": "top-up",
    "recharge": "top-up", "reload": "top-up", "sub": "membership", "subscription": "membership",
    "vip": "membership", "doesnt work": "invalid", "not working": "invalid", "wont work": "invalid",
    "invalid": "invalid", "expired": "invalid",
    # redeemed / used
    "already redeemed": "redeemed used", "already used": "redeemed used", "already activated": "redeemed",
    "redemption": "redeemed", "used up": "used", "half used": "used", "partly used": "used",
    "partially used": "used",
    # the wrong account
    "uid": "account character id", "user id": "account character id", "player id": "account character id",
    "game id": "account character id", "wrong id": "wrong account", "wrong number": "wrong account",
    "wrong phone": "wrong account", "friends uid": "wrong account", "friends account": "wrong account", "someone else": "wrong account",
    "another account": "wrong account", "instead of mine": "wrong account", "typo": "wrong account",
    # money and charges
    "billed": "charged", "debited": "charged", "deducted": "charged", "2x": "twice",
    "double charged": "charged twice", "charged double": "charged twice", "paid twice": "charged twice",
    "two times": "twice", "went thru": "charged", "went through": "charged", "thru": "through",
    "order failed": "no order", "no order": "no order", "payment failed": "no order",
    "reimburse": "refund", "reimbursement": "refund", "refnd": "refund",
    "refud": "refund", "refound": "refund", "rufund": "refund", "recieve": "receive", "recieved": "received",
    "hits": "arrives", "hit my": "arrives", "land": "arrives", "show up": "arrives", "shows up": "arrives",
    "wallet": "balance", "my bank": "bank card", "bank account": "bank card", "debit card": "bank card",
    # fees
    "voided": "force-cancelled", "system error": "system fault outage", "insists": "claims",
    "publisher": "brand official", "shared my screen": "share screen already scammed", "shared screen": "share screen already scammed",
    "are you official": "this assistant official", "are you real": "this assistant human agent",
    "are you human": "this assistant human agent", "are you a assistant": "this assistant human agent",
    "told someone": "already gave the code", "gave my": "already gave", "install": "download meeting app",
    "complain": "complaint", "wrong amount": "wrong face value product", "wrong value": "wrong face value",
    "proof": "evidence", "attach": "upload evidence", "deposit": "scam deposit", "unlock": "unfreezing fee",
    "refund page": "fake links", "refund link": "fake links", "refund site": "fake links",
    "order not show": "no order payment sync", "order not showing": "no order payment sync",
    "pay again": "payment sync delay pay again",
    "penalty": "fee", "surcharge": "fee", "commission": "fee", "charge me": "fee", "cut": "fee",
    # faults and causes
    "buyer fault": "buyer-side causes own reasons", "my fault": "buyer-side own reasons",
    "my mistake": "buyer-side own reasons", "my bad": "buyer-side own reasons",
    "whose fault": "liable causes", "fault": "liable causes", "blame": "liable causes",
    "responsible": "liable", "dont want": "changed mind", "no longer want": "changed mind",
    "regret": "changed mind", "dont need": "changed mind",
    # platform causes
    "removed": "delisted", "taken down": "delisted", "pulled": "delisted", "discontinued": "delisted",
    "no longer sold": "delisted", "banned": "delisted", "site down": "outage system fault",
    "was down": "outage system fault", "went down": "outage system fault", "crashed": "outage system fault",
    "glitch": "outage system fault", "maintenance": "outage system fault", "bug": "system fault",
    # unpaid
    "pending payment": "unpaid", "awaiting payment": "unpaid", "not paid": "unpaid", "get rid of": "cancel",
    # review, appeal and complaints
    "ruling": "decision result", "verdict": "decision result", "judgement": "decision result",
    "outcome": "decision result", "dont agree": "appeal", "disagree": "appeal", "unfair": "appeal",
    "not satisfied": "appeal", "not happy": "appeal", "contest": "appeal", "reconsider": "appeal",
    "denied": "refused", "declined": "refused", "rejected": "refused",
    "chargeback": "payment channel complaint", "charge back": "payment channel complaint",
    "report": "complaint report", "consumer": "consumer complaint",
    "ticket": "request support", "open a case": "request", "file a claim": "request", "claim": "request",
    "human": "person support", "real person": "person support", "live chat": "person support",
    "operator": "person support", "representative": "person support", "useless": "person support",
    "talk to someone": "person support", "an agent": "person support",
    "support agent": "person support", "live agent": "person support",
    # review times
    "how long does review": "review hours", "approval": "review",
    # personal agents and prevention
    "reseller": "personal agent reseller", "resellers": "personal agent reseller",
    "middleman": "personal agent", "private seller": "personal agent", "dm": "private",
    "official store": "official channels", "official site": "official channels",
    "marketplace": "aggregator platforms", "third party": "aggregator platforms",
    "legit": "established platform", "trustworthy": "established platform", "reliable": "established platform",
    "safe to buy": "established platform",
    # scams
    "scammed": "scam", "ripped off": "scam", "conned": "scam", "tricked": "scam", "fooled": "scam",
    "defrauded": "scam", "fraud": "scam", "otp": "sms verification code", "2fa": "sms verification code",
    "sms code": "sms verification code", "cvv": "bank card number", "card number": "bank card number",
    "qr": "qr code", "scan": "qr code", "anydesk": "share screen", "teamviewer": "share screen",
    "zoom": "meeting app share screen", "screen share": "share screen", "loan": "loan",
    "pretends": "pose as support", "pretending": "pose as support", "claims to be": "pose as support",
    "says hes": "pose as support", "says shes": "pose as support", "impersonating": "pose as support",
    "phishing": "fake links", "sketchy": "fake", "weird url": "fake links", "suspicious link": "fake links",
    "bit.ly": "link shorteners", "tinyurl": "link shorteners", "short link": "link shorteners",
    "shortened": "link shorteners", "url": "link address",
}
