from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.domain.intake import (
    InputError,
    InputProblem,
    classify_cause,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.domain.vocab import Cause

PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100", "100.00"),
        ("100元", "100.00"),
        ("¥100", "100.00"),
        ("￥100", "100.00"),
        ("100.50", "100.50"),
        ("１００", "100.00"),  # full-width digits
        ("1,000", "1000.00"),
        ("RMB 20", "20.00"),
        ("20块", "20.00"),
        (" 0.01 ", "0.01"),
        ("50000", "50000.00"),
    ],
)
def test_amount_accepted(text: str, expected: str) -> None:
    assert parse_amount(text, Decimal("50000")) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", InputProblem.EMPTY),
        ("   ", InputProblem.EMPTY),
        ("0", InputProblem.NOT_POSITIVE),
        ("0.00", InputProblem.NOT_POSITIVE),
        ("-5", InputProblem.NOT_POSITIVE),
        ("abc", InputProblem.NOT_A_NUMBER),
        ("1e5", InputProblem.NOT_A_NUMBER),
        ("100.505", InputProblem.TOO_PRECISE),
        ("50000.01", InputProblem.TOO_LARGE),
        ("99999999999999999999", InputProblem.TOO_LARGE),
        ("一百", InputProblem.NOT_A_NUMBER),
    ],
)
def test_amount_refused(text: str, problem: InputProblem) -> None:
    with pytest.raises(InputError) as caught:
        parse_amount(text, Decimal("50000"))
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [("KM20261121000123", "KM20261121000123"), (" km-2026_11 ", "km-2026_11"), ("订单号：KM123456", "KM123456"), ("#KM123456", "KM123456")],
)
def test_order_number_accepted(text: str, expected: str) -> None:
    assert parse_order_number(text, PATTERN) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", InputProblem.EMPTY), ("abc", InputProblem.BAD_FORMAT), ("订单", InputProblem.BAD_FORMAT), ("x" * 80, InputProblem.TOO_LONG), ("KM 2026?", InputProblem.BAD_FORMAT)],
)
def test_order_number_refused(text: str, problem: InputProblem) -> None:
    with pytest.raises(InputError) as caught:
        parse_order_number(text, PATTERN)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2026-11-20 14:30", "2026-11-20 14:30"),
        ("2026/11/20 14:30", "2026-11-20 14:30"),
        ("11-20 14:30", "2026-11-20 14:30"),
        ("11月20日 14点", "2026-11-20 14:00"),
        ("昨天 14:30", "2026-11-20 14:30"),
        ("yesterday 9:05", "2026-11-20 09:05"),
        ("今天 8:00", "2026-11-21 08:00"),
        ("14:30", "2026-11-21 14:30"),
        ("3小时前", "2026-11-21 17:00"),
        ("2 days ago", "2026-11-19 20:00"),
        ("30 分钟前", "2026-11-21 19:30"),
        ("2026年11月1日", "2026-11-01 00:00"),
    ],
)
def test_payment_time_accepted(text: str, local: str) -> None:
    moment = parse_payment_time(text, now=NOW, tz=TZ)
    assert moment.tzinfo is not None
    assert moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M") == local


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", InputProblem.EMPTY),
        ("next week", InputProblem.BAD_FORMAT),
        ("2026-13-40", InputProblem.BAD_FORMAT),
        ("2027-01-01", InputProblem.IN_FUTURE),
        ("2020-01-01", InputProblem.TOO_OLD),
        ("25:99", InputProblem.BAD_FORMAT),
    ],
)
def test_payment_time_refused(text: str, problem: InputProblem) -> None:
    with pytest.raises(InputError) as caught:
        parse_payment_time(text, now=NOW, tz=TZ)
    assert caught.value.problem is problem


def test_month_day_in_the_future_means_last_year() -> None:
    january = datetime(2026, 1, 3, 4, 0, tzinfo=UTC)
    assert parse_payment_time("12-30 10:00", now=january, tz=TZ).year == 2025


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        ("付款后商家一直不发货", Cause.DELIVERY_TIMEOUT),
        ("卡密无效，激活失败", Cause.INVALID_PRODUCT),
        ("提示卡密已被使用", Cause.INVALID_PRODUCT),
        ("支付宝扣了两次钱", Cause.DUPLICATE_CHARGE),
        ("扣钱了但是没有订单", Cause.CHARGED_NO_ORDER),
        ("商家说缺货", Cause.OUT_OF_STOCK),
        ("充错账号了", Cause.WRONG_ACCOUNT),
        ("面值选错了，买错了", Cause.WRONG_PRODUCT),
        ("不想要了", Cause.CHANGED_MIND),
        ("平台把商品下架了，订单被强制取消", Cause.PLATFORM_DELISTING),
        ("the code does not work", Cause.INVALID_PRODUCT),
        ("I was charged twice", Cause.DUPLICATE_CHARGE),
        ("seller never delivered", Cause.DELIVERY_TIMEOUT),
        ("I changed my mind", Cause.CHANGED_MIND),
        ("商品和描述不符", Cause.NOT_AS_DESCRIBED),
        ("商家发错了面值", Cause.MERCHANT_ERROR),
    ],
)
def test_classifier(text: str, cause: Cause) -> None:
    assert classify_cause(text) is cause


@pytest.mark.parametrize("text", ["你好", "hello there", "", "🙂"])
def test_classifier_unsure(text: str) -> None:
    assert classify_cause(text) is None
