"""Parsing and validating what a buyer types in the refund wizard. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from bot.domain.vocab import Cause


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

def parse_order_number(text: str, pattern: str) -> str:
    value = normalize(text).replace(" ", "")
    for prefix in ("订单号:", "订单号", "order:", "order#", "#"):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    if not value:
        raise InputError(InputProblem.EMPTY)
    if len(value) > 64:
        raise InputError(InputProblem.TOO_LONG)
    if not re.fullmatch(pattern, value):
        raise InputError(InputProblem.BAD_FORMAT)
    return value


# --- amount -----------------------------------------------------------------------------

_CURRENCY = re.compile(r"^(?:¥|￥|rmb|cny)\s*|\s*(?:元|块钱|块|rmb|cny)$", re.IGNORECASE)


def parse_amount(text: str, maximum: Decimal) -> Decimal:
    """`100`, `100元`, `¥100`, `100.50`, `1,000` -> Decimal('100.00'); rejects 0, negatives,
    more than two decimals and anything over `maximum`."""
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
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):  # type: ignore[operator]
        raise InputError(InputProblem.TOO_PRECISE)
    if amount > maximum:
        raise InputError(InputProblem.TOO_LARGE)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- payment time -----------------------------------------------------------------------

# quick choices offered as buttons: code -> how long ago
QUICK_TIMES: dict[str, timedelta] = {
    "now": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "12h": timedelta(hours=12),
    "2d": timedelta(hours=36),
    "7d": timedelta(days=7),
}

# when the goods were redeemed or the order completed; None: the buyer is not sure
QUICK_COMPLETION: dict[str, timedelta | None] = {
    "now": timedelta(minutes=5),
    "today": timedelta(hours=6),
    "2d": timedelta(days=2),
    "5d": timedelta(days=5),
    "8d": timedelta(days=8),
    "unknown": None,
}

_DAY_WORDS = {"今天": 0, "today": 0, "昨天": 1, "yesterday": 1, "前天": 2}
_TIME = r"(?P<hour>\d{1,2})(?:[:点時时](?P<minute>\d{1,2})?分?)?"
_DATE_FORMS = [
    re.compile(r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?(?:\s*" + _TIME + r")?$"),
    re.compile(r"^(?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?(?:\s*" + _TIME + r")?$"),
]
_RELATIVE = re.compile(r"^(?P<word>今天|昨天|前天|today|yesterday)\s*" + _TIME + r"?$")
_CLOCK = re.compile(r"^" + _TIME + r"$")
_AGO = re.compile(r"^(?P<n>\d{1,3})\s*(?P<unit>分钟|小时|天|min|mins|minutes?|h|hours?|d|days?)\s*(?:前|ago)?$")
_MAX_AGE = timedelta(days=366)


@dataclass(frozen=True)
class _Parts:
    year: int
    month: int
    day: int
    hour: int
    minute: int


def parse_payment_time(text: str, *, now: datetime, tz: tzinfo) -> datetime:
    """A typed payment time (buyer's local time zone) -> aware datetime.

    Accepts `2026-11-20 14:30`, `11-20 14:30`, `11月20日 14点`, `昨天 14:30`, `14:30`,
    `3小时前`, `2 days ago`. Refuses times in the future and over a year ago.
    """
    value = re.sub(r"\s+", " ", normalize(text).lower())
    if not value:
        raise InputError(InputProblem.EMPTY)
    local_now = now.astimezone(tz)
    match = _AGO.match(value)
    if match:
        n, unit = int(match["n"]), match["unit"]
        delta = (
            timedelta(minutes=n) if unit.startswith(("分", "min"))
            else timedelta(hours=n) if unit.startswith(("小", "h"))
            else timedelta(days=n)
        )
        return _checked(now - delta, now)
    parts: _Parts | None = None
    year_given = True
    try:
        if (match := _RELATIVE.match(value)) is not None:
            day = (local_now - timedelta(days=_DAY_WORDS[match["word"]])).date()
            parts = _Parts(day.year, day.month, day.day, int(match["hour"] or 0), int(match["minute"] or 0))
        elif (match := _CLOCK.match(value)) is not None and match["minute"] is not None:
            parts = _Parts(local_now.year, local_now.month, local_now.day, int(match["hour"]), int(match["minute"]))
        else:
            for form in _DATE_FORMS:
                if (match := form.match(value)) is not None:
                    groups = match.groupdict()
                    year_given = bool(groups.get("year"))
                    year = int(groups["year"]) if year_given else local_now.year
                    parts = _Parts(year, int(groups["month"]), int(groups["day"]), int(groups["hour"] or 0), int(groups["minute"] or 0))
                    break
        if parts is None:
            raise InputError(InputProblem.BAD_FORMAT)
        moment = datetime(parts.year, parts.month, parts.day, parts.hour, parts.minute, tzinfo=tz)
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


def hours_between(earlier: datetime, later: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 3600)


# --- free-text cause classifier ---------------------------------------------------------

# keyword -> cause; checked in this order, so the more specific phrases come first
_CAUSE_KEYWORDS: list[tuple[Cause, tuple[str, ...]]] = [
    (Cause.DUPLICATE_CHARGE, ("重复扣款", "扣了两次", "扣两次", "扣了2次", "多扣", "重复支付", "付了两次", "charged twice", "double charge", "duplicate charge", "charged two times")),
    (Cause.CHARGED_NO_ORDER, ("扣款了没有订单", "没有订单", "没生成订单", "订单没生成", "页面报错", "扣钱了但", "扣了钱没", "付款成功但没", "no order", "charged but", "page error", "payment went through but")),
    (Cause.PLATFORM_DELISTING, ("下架", "强制取消", "平台取消", "反洗钱", "delisted", "force-cancelled", "force cancelled", "cancelled by the platform")),
    (Cause.SYSTEM_FAULT, ("系统故障", "系统升级", "系统错误", "系统维护", "宕机", "outage", "system error", "system fault", "maintenance")),
    (Cause.OUT_OF_STOCK, ("缺货", "没货", "无货", "库存不足", "超卖", "售罄", "out of stock", "sold out", "no stock", "oversold")),
    (Cause.DELIVERY_TIMEOUT, ("不发货", "没发货", "未发货", "迟迟不", "超时", "还没到", "一直没收到", "没收到卡密", "not delivered", "never delivered", "no delivery", "hasn't delivered", "still waiting", "late delivery", "delivery timeout")),
    (Cause.INVALID_PRODUCT, ("卡密无效", "无效", "激活失败", "不能用", "用不了", "充值失败", "没到账", "未到账", "兑换失败", "已被使用", "提示错误", "invalid", "doesn't work", "does not work", "not working", "activation failed", "failed to activate", "not credited", "already used", "already redeemed", "code error")),
    (Cause.NOT_AS_DESCRIBED, ("描述不符", "不符", "货不对板", "和描述不", "跟描述不", "虚假宣传", "not as described", "different from the description", "misleading")),
    (Cause.MERCHANT_ERROR, ("发错", "发成", "金额不对", "面值不对", "少发", "商家搞错", "wrong item sent", "sent the wrong", "wrong amount", "merchant error", "merchant sent")),
    (Cause.MERCHANT_VIOLATION, ("商家违规", "商家跑路", "店铺关闭", "商家被处罚", "商家退出", "封店", "merchant banned", "shop closed", "merchant left", "store closed")),
    (Cause.WRONG_ACCOUNT, ("充错账号", "账号填错", "填错账号", "区服", "充错区", "错服", "充错号", "wrong account", "wrong server", "wrong region", "wrong id")),
    (Cause.WRONG_PRODUCT, ("买错", "拍错", "选错", "下错单", "面值选错", "bought the wrong", "ordered the wrong", "wrong product", "wrong face value", "picked the wrong")),
    (Cause.CHANGED_MIND, ("不想要", "不要了", "不需要了", "急用钱", "改主意", "后悔", "changed my mind", "don't want", "do not want", "no longer need", "need the money")),
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
