"""Parsing and validating what a buyer types in the refund wizard. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from bot.domain.vocab import Cause, OrderStatus, PaymentChannel, PlatformType

StrEnumT = TypeVar("StrEnumT", bound=StrEnum)


class InputProblem(StrEnum):
    """Why a typed answer was refused; the bot maps each to a message."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_FORMAT = "bad_format"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"
    TOO_PRECISE = "too_precise"
    IN_FUTURE = "in_future"
    TOO_OLD = "too_old"


class InputError(ValueError):
    def __init__(self, problem: InputProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def normalize(text: str) -> str:
    """NFKC (folds full-width digits and symbols) and trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


# --- order number -----------------------------------------------------------------------

# a run of the characters order numbers are made of; Chinese text, spaces and punctuation
# around it are not part of it
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_ORDER_NUMBER = 64


def find_order_number(text: str, pattern: str) -> str | None:
    """The order number inside a sentence: the first token that matches `pattern` and has a
    digit, preferring tokens with letters and digits (`KM2026…`) over bare numbers (a date,
    an amount). None when there is none."""
    tokens: list[str] = _TOKEN.findall(normalize(text))
    candidates = [
        token
        for token in tokens
        if len(token) <= MAX_ORDER_NUMBER
        and any(c.isdigit() for c in token)
        and re.fullmatch(pattern, token)
    ]
    mixed = [token for token in candidates if any(c.isalpha() for c in token)]
    ranked = mixed or candidates
    return ranked[0] if ranked else None


def parse_order_number(text: str, pattern: str) -> str:
    """What the buyer typed at the order number step -> the order number, or InputError."""
    value = normalize(text)
    if not value:
        raise InputError(InputProblem.EMPTY)
    found = find_order_number(value, pattern)
    if found is not None:
        return found
    if any(len(token) > MAX_ORDER_NUMBER for token in _TOKEN.findall(value)):
        raise InputError(InputProblem.TOO_LONG)
    raise InputError(InputProblem.BAD_FORMAT)


# --- amount -----------------------------------------------------------------------------

_CURRENCY_BEFORE = r"(?:¥|￥|rmb|cny|人民币)"
_CURRENCY_AFTER = r"(?:元人民币|元|块钱|块|rmb|cny|yuan|kuai)"
_CURRENCY = re.compile(rf"^{_CURRENCY_BEFORE}\s*|\s*{_CURRENCY_AFTER}$", re.IGNORECASE)
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
CENT = Decimal("0.01")


def parse_amount(text: str, maximum: Decimal) -> Decimal:
    """`100`, `100元`, `¥100`, `98.5 yuan`, `RMB 98.5`, `1,000` -> Decimal('100.00'): a number
    with a currency word on either side; rejects 0, negatives, more than two decimals and
    anything over `maximum`."""
    value = normalize(text).lower()
    if not value:
        raise InputError(InputProblem.EMPTY)
    previous = None
    while previous != value:
        previous, value = value, _CURRENCY.sub("", value).strip()
    value = value.replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[-+]?\d+(?:\.\d+)?", value):
        raise InputError(InputProblem.NOT_A_NUMBER)
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        raise InputError(InputProblem.NOT_A_NUMBER) from None
    if amount <= 0:
        raise InputError(InputProblem.NOT_POSITIVE)
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InputError(InputProblem.TOO_PRECISE)
    if amount > maximum:
        raise InputError(InputProblem.TOO_LARGE)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# a number next to a currency word, or right after "paid"
_AMOUNT_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9.])(?:{_CURRENCY_BEFORE}\s*(?P<a>{_NUMBER})"
    rf"|(?P<b>{_NUMBER})\s*{_CURRENCY_AFTER}(?![a-z])"
    rf"|(?:付了|付款|支付了|支付|花了|paid|spent)\s*(?:{_CURRENCY_BEFORE}\s*)?(?P<c>{_NUMBER}))",
    re.IGNORECASE,
)


def find_amount(text: str, maximum: Decimal) -> Decimal | None:
    """The amount inside a sentence (a number with a currency word in either order, or after
    "paid"/"付了"); None when there is none or it is not a valid amount."""
    for match in _AMOUNT_IN_TEXT.finditer(normalize(text)):
        number = match["a"] or match["b"] or match["c"]
        try:
            return parse_amount(number, maximum)
        except InputError:
            continue
    return None


# --- times ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A quick choice: how long ago, as a representative value and the range it covers."""

    ago: timedelta
    least: timedelta
    most: timedelta


# quick choices offered as buttons: code -> how long ago
QUICK_TIMES: dict[str, Span] = {
    "now": Span(timedelta(minutes=5), timedelta(0), timedelta(minutes=30)),
    "1h": Span(timedelta(hours=1), timedelta(minutes=30), timedelta(hours=3)),
    "12h": Span(timedelta(hours=12), timedelta(hours=3), timedelta(hours=24)),
    "2d": Span(timedelta(hours=36), timedelta(hours=24), timedelta(days=3)),
    "7d": Span(timedelta(days=7), timedelta(days=4), timedelta(days=10)),
}

# when the goods were redeemed or the order completed; None: the buyer is not sure
QUICK_COMPLETION: dict[str, Span | None] = {
    "now": Span(timedelta(minutes=5), timedelta(0), timedelta(minutes=30)),
    "today": Span(timedelta(hours=6), timedelta(minutes=30), timedelta(hours=24)),
    "2d": Span(timedelta(days=2), timedelta(days=1), timedelta(days=3)),
    "5d": Span(timedelta(days=5), timedelta(days=3), timedelta(days=7)),
    "8d": Span(timedelta(days=8), timedelta(days=7), timedelta(days=366)),
    "unknown": None,
}

_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = r"[零一二两三四五六七八九十]+"


def _cn_to_int(text: str) -> int:
    """`三` -> 3, `十二` -> 12, `二十` -> 20, `二十三` -> 23 (1..99)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for char in text:
        value = value * 10 + _CN_DIGITS[char]
    return value


def _numbers(text: str) -> str:
    """Chinese numerals before time units -> digits: `两小时前` -> `2小时前`, `八点半` -> `8点半`."""
    return re.sub(
        _CN_NUMBER + r"(?=\s*(?:个)?(?:分钟|小时|钟头|天|点|时|周|星期))",
        lambda m: str(_cn_to_int(m.group())),
        text,
    )


_DAY_WORDS = {"今天": 0, "today": 0, "昨天": 1, "昨晚": 1, "yesterday": 1, "前天": 2}
_PERIOD = r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)?"
_TIME = (
    r"(?P<hour>\d{1,2})(?:[:点時时](?P<half>半)?(?P<minute>\d{1,2})?分?)?"
    r"(?:\s*(?P<ampm>am|pm|a\.m\.|p\.m\.))?"
)
_DATE_FORMS = [
    re.compile(
        r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?(?:\s*"
        + _PERIOD
        + _TIME
        + r")?$"
    ),
    re.compile(r"^(?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?(?:\s*" + _PERIOD + _TIME + r")?$"),
]
_RELATIVE = re.compile(
    r"^(?P<word>今天|昨天|昨晚|前天|today|yesterday)\s*(?:at\s*)?"
    + _PERIOD
    + r"\s*(?:"
    + _TIME
    + r")?$"
)
_CLOCK = re.compile(r"^" + _PERIOD + _TIME + r"$")
_AGO = re.compile(
    r"^(?P<n>\d{1,3}|半|an?)\s*(?:个)?\s*(?P<unit>分钟|小时|钟头|天|周|星期|min|mins|minutes?|h|hrs?|hours?|d|days?|weeks?)\s*(?:前|以前|ago)$"
)
_MAX_AGE = timedelta(days=366)


@dataclass(frozen=True)
class _Parts:
    year: int
    month: int
    day: int
    hour: int
    minute: int


def _clock(groups: dict[str, str | None], default_hour: int = 0) -> tuple[int, int]:
    """Hour and minute from `_PERIOD` + `_TIME` groups: `晚上8点` -> 20:00, `8:30 pm` -> 20:30."""
    hour = int(groups.get("hour") or default_hour)
    minute = 30 if groups.get("half") else int(groups.get("minute") or 0)
    period, ampm = groups.get("period"), (groups.get("ampm") or "").replace(".", "")
    if (
        (period in ("下午", "傍晚", "晚上", "夜里") or ampm == "pm")
        and hour < 12
        or period == "中午"
        and hour < 11
    ):
        hour += 12
    elif (period == "凌晨" or ampm == "am") and hour == 12:
        hour = 0
    return hour, minute


# the hour a bare part of the day stands for: `昨晚` is about 20:00
_PERIOD_HOURS = {
    "凌晨": 3,
    "早上": 8,
    "早晨": 8,
    "上午": 10,
    "中午": 12,
    "下午": 15,
    "傍晚": 18,
    "晚上": 20,
    "夜里": 22,
}


def parse_payment_time(text: str, *, now: datetime, tz: tzinfo) -> datetime:
    """A typed time (the buyer's local wall clock in `tz`) -> an aware datetime.

    Accepts `2026-11-20 14:30`, `11-20 14:30`, `11月20日 14点`, `昨天 14:30`, `14:30`,
    `前天晚上8点`, `昨天下午3点半`, `yesterday 8pm`, `3小时前`, `两小时前`, `2 days ago`.
    Refuses times in the future and over a year ago.
    """
    value = _numbers(re.sub(r"\s+", " ", normalize(text).lower()))
    if not value:
        raise InputError(InputProblem.EMPTY)
    local_now = now.astimezone(tz)
    match = _AGO.match(value)
    if match:
        raw, unit = match["n"], match["unit"]
        n = 0.5 if raw == "半" else 1.0 if raw in ("a", "an") else float(raw)
        delta = (
            timedelta(minutes=n)
            if unit.startswith(("分", "min"))
            else timedelta(hours=n)
            if unit.startswith(("小", "钟", "h"))
            else timedelta(weeks=n)
            if unit.startswith(("周", "星", "w"))
            else timedelta(days=n)
        )
        return _checked(now - delta, now)
    parts: _Parts | None = None
    year_given = True
    try:
        if (match := _RELATIVE.match(value)) is not None:
            groups = match.groupdict()
            if groups["word"] == "昨晚" and not groups["period"]:
                groups["period"] = "晚上"
            hour, minute = _clock(groups, _PERIOD_HOURS.get(groups["period"] or "", 0))
            day = (local_now - timedelta(days=_DAY_WORDS[groups["word"]])).date()
            parts = _Parts(day.year, day.month, day.day, hour, minute)
        elif (match := _CLOCK.match(value)) is not None and (
            match["minute"] is not None or match["period"] or match["ampm"] or match["half"]
        ):
            hour, minute = _clock(match.groupdict())
            parts = _Parts(local_now.year, local_now.month, local_now.day, hour, minute)
        else:
            for form in _DATE_FORMS:
                if (match := form.match(value)) is not None:
                    groups = match.groupdict()
                    year_given = bool(groups.get("year"))
                    year = int(groups["year"]) if groups.get("year") else local_now.year
                    hour, minute = _clock(groups)
                    parts = _Parts(
                        year, int(groups["month"] or 0), int(groups["day"] or 0), hour, minute
                    )
                    break
        if parts is None:
            raise InputError(InputProblem.BAD_FORMAT)
        moment = datetime(parts.year, parts.month, parts.day, tzinfo=tz) + timedelta(
            hours=parts.hour, minutes=parts.minute
        )
        if parts.hour > 24 or parts.minute > 59:
            raise InputError(InputProblem.BAD_FORMAT)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(InputProblem.BAD_FORMAT) from None
    # "11-20" typed in early January means last year's November
    if moment > local_now + timedelta(minutes=5) and not year_given:
        moment = moment.replace(year=moment.year - 1)
    return _checked(moment, now)


def _checked(moment: datetime, now: datetime) -> datetime:
    if moment > now + timedelta(minutes=5):
        raise InputError(InputProblem.IN_FUTURE)
    if now - moment > _MAX_AGE:
        raise InputError(InputProblem.TOO_OLD)
    return moment


# a time inside a sentence: the pieces `parse_payment_time` understands
_TIME_IN_TEXT = re.compile(
    r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s*\S*?\d{1,2}(?:[:点]\d{0,2}分?半?)?)?"
    r"|(?:今天|昨天|昨晚|前天)\s*(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里)?\s*(?:\d{1,2}(?:[:点]半?(?:\d{1,2})?分?)?)?"
    r"|(?:today|yesterday)(?:\s*(?:at\s*)?\d{1,2}(?::\d{2})?\s*(?:am|pm)?)?"
    r"|(?:\d{1,3}|半|an?)\s*(?:个)?\s*(?:分钟|小时|钟头|天|周|星期|minutes?|mins?|hours?|hrs?|days?|weeks?)\s*(?:前|以前|ago)",
    re.IGNORECASE,
)


def find_time(text: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    """The first time inside a sentence that `parse_payment_time` accepts; None otherwise."""
    value = _numbers(normalize(text).lower())
    for match in _TIME_IN_TEXT.finditer(value):
        try:
            return parse_payment_time(match.group(), now=now, tz=tz)
        except InputError:
            continue
    return None


def hours_between(earlier: datetime, later: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 3600)


# --- free-text cause classifier ---------------------------------------------------------

# keyword -> cause; checked in this order, so the more specific phrases come first
_CAUSE_KEYWORDS: list[tuple[Cause, tuple[str, ...]]] = [
    (
        Cause.DUPLICATE_CHARGE,
        (
            "重复扣款",
            "扣了两次",
            "扣两次",
            "扣了2次",
            "多扣",
            "重复支付",
            "付了两次",
            "charged twice",
            "double charge",
            "duplicate charge",
            "charged two times",
        ),
    ),
    (
        Cause.CHARGED_NO_ORDER,
        (
            "扣款了没有订单",
            "没有订单",
            "没生成订单",
            "订单没生成",
            "页面报错",
            "扣钱了但",
            "扣了钱没",
            "付款成功但没",
            "no order",
            "charged but",
            "page error",
            "payment went through but",
        ),
    ),
    (
        Cause.PLATFORM_DELISTING,
        (
            "下架",
            "强制取消",
            "平台取消",
            "反洗钱",
            "delisted",
            "force-cancelled",
            "force cancelled",
            "cancelled by the platform",
        ),
    ),
    (
        Cause.SYSTEM_FAULT,
        (
            "系统故障",
            "系统升级",
            "系统错误",
            "系统维护",
            "宕机",
            "outage",
            "system error",
            "system fault",
            "maintenance",
        ),
    ),
    (
        Cause.OUT_OF_STOCK,
        (
            "缺货",
            "没货",
            "无货",
            "库存不足",
            "超卖",
            "售罄",
            "out of stock",
            "sold out",
            "no stock",
            "oversold",
        ),
    ),
    (
        Cause.DELIVERY_TIMEOUT,
        (
            "不发货",
            "没发货",
            "未发货",
            "迟迟不",
            "超时",
            "还没到",
            "一直没收到",
            "没收到卡密",
            "not delivered",
            "never delivered",
            "no delivery",
            "hasn't delivered",
            "still waiting",
            "late delivery",
            "delivery timeout",
        ),
    ),
    (
        Cause.INVALID_PRODUCT,
        (
            "卡密无效",
            "无效",
            "激活失败",
            "不能用",
            "用不了",
            "充值失败",
            "没到账",
            "未到账",
            "兑换失败",
            "已被使用",
            "提示错误",
            "invalid",
            "doesn't work",
            "does not work",
            "not working",
            "activation failed",
            "failed to activate",
            "not credited",
            "already used",
            "already redeemed",
            "code error",
        ),
    ),
    (
        Cause.NOT_AS_DESCRIBED,
        (
            "描述不符",
            "不符",
            "货不对板",
            "和描述不",
            "跟描述不",
            "虚假宣传",
            "not as described",
            "different from the description",
            "misleading",
        ),
    ),
    (
        Cause.MERCHANT_ERROR,
        (
            "发错",
            "发成",
            "金额不对",
            "面值不对",
            "少发",
            "商家搞错",
            "wrong item sent",
            "sent the wrong",
            "wrong amount",
            "merchant error",
            "merchant sent",
        ),
    ),
    (
        Cause.MERCHANT_VIOLATION,
        (
            "商家违规",
            "商家跑路",
            "店铺关闭",
            "商家被处罚",
            "商家退出",
            "封店",
            "merchant banned",
            "shop closed",
            "merchant left",
            "store closed",
        ),
    ),
    (
        Cause.WRONG_ACCOUNT,
        (
            "充错账号",
            "账号填错",
            "填错账号",
            "区服",
            "充错区",
            "错服",
            "充错号",
            "wrong account",
            "wrong server",
            "wrong region",
            "wrong id",
        ),
    ),
    (
        Cause.WRONG_PRODUCT,
        (
            "买错",
            "拍错",
            "选错",
            "下错单",
            "面值选错",
            "bought the wrong",
            "ordered the wrong",
            "wrong product",
            "wrong face value",
            "picked the wrong",
        ),
    ),
    (
        Cause.CHANGED_MIND,
        (
            "不想要",
            "不要了",
            "不需要了",
            "急用钱",
            "改主意",
            "后悔",
            "changed my mind",
            "don't want",
            "do not want",
            "no longer need",
            "need the money",
        ),
    ),
]


def classify_cause(text: str) -> Cause | None:
    """Map a buyer's own description to a cause code by keywords; None when unsure."""
    value = normalize(text).lower()
    for cause, keywords in _CAUSE_KEYWORDS:
        if any(keyword in value for keyword in keywords):
            return cause
    return None


# --- is this a question? ----------------------------------------------------------------

_QUESTION = re.compile(
    r"[?？]|吗|么|怎么|怎样|如何|多久|多长|几天|为什么|为啥|能不能|能否|可以|可不可以|是否|哪里|哪儿|什么|啥|要不要|会不会"
    r"|\b(?:how|what|when|why|where|which|who|can|could|should|do|does|is|are|will|would)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """A question rather than an answer to the step (used to answer it from the rules)."""
    return bool(_QUESTION.search(normalize(text)))


# --- the other answers, found in a buyer's own description --------------------------------

# checked in order: the more specific phrases first
_PLATFORM_KEYWORDS: list[tuple[PlatformType, tuple[str, ...]]] = [
    (
        PlatformType.PERSONAL_AGENT,
        (
            "代充",
            "私下",
            "个人卖家",
            "朋友圈",
            "qq上",
            "微信上买",
            "微信上找",
            "加微信",
            "private deal",
            "reseller",
            "from a person",
            "over wechat",
            "over qq",
        ),
    ),
    (PlatformType.OFFICIAL, ("官方", "官网", "官方商城", "运营商", "official")),
    (
        PlatformType.AGGREGATOR,
        ("卡盟", "发卡平台", "卡密平台", "平台上买", "card platform", "marketplace", "kameng"),
    ),
]

_STATUS_KEYWORDS: list[tuple[OrderStatus, tuple[str, ...]]] = [
    (
        OrderStatus.UNPAID,
        (
            "没付款",
            "未付款",
            "还没付",
            "没有付款",
            "待付款",
            "unpaid",
            "not paid yet",
            "haven't paid",
            "have not paid",
        ),
    ),
    (
        OrderStatus.COMPLETED,
        (
            "已完成",
            "订单完成",
            "确认收货",
            "交易完成",
            "order completed",
            "marked completed",
            "order is completed",
        ),
    ),
    (
        OrderStatus.REDEEMED,
        (
            "已使用",
            "已兑换",
            "已核销",
            "已激活",
            "充值成功",
            "用过了",
            "redeemed",
            "activated it",
            "already used it",
            "i used the code",
        ),
    ),
    (
        OrderStatus.PAID_UNDELIVERED,
        (
            "没发",
            "未发货",
            "不发货",
            "没发货",
            "没收到",
            "未收到",
            "还没到",
            "缺货",
            "没货",
            "待发货",
            "not delivered",
            "never delivered",
            "hasn't delivered",
            "has not delivered",
            "didn't deliver",
            "did not deliver",
            "not received",
            "never received",
            "haven't received",
            "out of stock",
            "sold out",
        ),
    ),
    (
        OrderStatus.DELIVERED,
        (
            "已发货",
            "发了卡密",
            "收到卡密",
            "收到了卡密",
            "还没用",
            "没使用",
            "delivered but",
            "got the code",
            "received the code",
            "not used yet",
        ),
    ),
]

_CHANNEL_KEYWORDS: list[tuple[PaymentChannel, tuple[str, ...]]] = [
    (PaymentChannel.ALIPAY, ("支付宝", "alipay")),
    (
        PaymentChannel.WECHAT,
        (
            "微信支付",
            "微信付",
            "用微信",
            "wechat pay",
            "paid with wechat",
            "paid by wechat",
            "weixin pay",
        ),
    ),
    (
        PaymentChannel.BANK_CARD,
        ("银行卡", "信用卡", "储蓄卡", "网银", "bank card", "credit card", "debit card"),
    ),
    (PaymentChannel.BALANCE, ("余额", "balance")),
]


def _first(text: str, table: list[tuple[StrEnumT, tuple[str, ...]]]) -> StrEnumT | None:
    value = normalize(text).lower()
    for code, keywords in table:
        if any(keyword in value for keyword in keywords):
            return code
    return None


def classify_platform(text: str) -> PlatformType | None:
    return _first(text, _PLATFORM_KEYWORDS)


def classify_status(text: str) -> OrderStatus | None:
    return _first(text, _STATUS_KEYWORDS)


def classify_channel(text: str) -> PaymentChannel | None:
    return _first(text, _CHANNEL_KEYWORDS)


@dataclass(frozen=True)
class Described:
    """Every answer a buyer's free description contains; None where it says nothing."""

    order_number: str | None = None
    platform_type: PlatformType | None = None
    order_status: OrderStatus | None = None
    cause: Cause | None = None
    payment_channel: PaymentChannel | None = None
    amount: Decimal | None = None
    paid_at: datetime | None = None

    def count(self) -> int:
        return sum(
            value is not None
            for value in (
                self.order_number,
                self.platform_type,
                self.order_status,
                self.cause,
                self.payment_channel,
                self.amount,
                self.paid_at,
            )
        )


def describe(text: str, *, pattern: str, maximum: Decimal, now: datetime, tz: tzinfo) -> Described:
    """One message that tells the whole story -> the answers the wizard's parsers find in it
    (no model: the same deterministic parsers the steps use)."""
    order_number = find_order_number(text, pattern)
    # the order number's digits are no time or amount
    rest = text.replace(order_number, " ") if order_number else text
    paid_at = find_time(rest, now=now, tz=tz)
    status = classify_status(rest)
    if paid_at is not None and status is OrderStatus.UNPAID:
        paid_at = None
    return Described(
        order_number=order_number,
        platform_type=classify_platform(rest),
        order_status=status,
        cause=classify_cause(rest),
        payment_channel=classify_channel(rest),
        amount=find_amount(rest, maximum),
        paid_at=paid_at,
    )
