from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.domain.intake import (
    InputError,
    InputProblem,
    classify_cause,
    describe,
    find_amount,
    find_order_number,
    find_time,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.domain.vocab import Cause, OrderStatus, PaymentChannel, PlatformType

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
        # a number with a currency word, in either order
        ("98.5 yuan", "98.50"),
        ("RMB 98.5", "98.50"),
        ("98.5 RMB", "98.50"),
        ("CNY98.5", "98.50"),
        ("人民币 98.5", "98.50"),
        ("98.5元人民币", "98.50"),
        ("100.500", "100.50"),
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
    [
        ("KM20261121000123", "KM20261121000123"),
        (" km-2026_11 ", "km-2026_11"),
        ("订单号：KM123456", "KM123456"),
        ("#KM123456", "KM123456"),
        # inside a sentence: the token that matches the pattern
        ("my order number is KM20261130000512", "KM20261130000512"),
        ("我的订单号是KM20261130000512", "KM20261130000512"),
        ("订单号KM20261130000512，麻烦看一下", "KM20261130000512"),
        ("order: KM20261130000512.", "KM20261130000512"),
        # a number with letters beats a bare one (a date, an amount)
        ("paid 2026-11-30 for order KM20261130000512", "KM20261130000512"),
        ("20261130000512", "20261130000512"),
    ],
)
def test_order_number_accepted(text: str, expected: str) -> None:
    assert parse_order_number(text, PATTERN) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", InputProblem.EMPTY),
        ("abc", InputProblem.BAD_FORMAT),
        ("订单", InputProblem.BAD_FORMAT),
        ("x" * 80, InputProblem.TOO_LONG),
        ("KM 2026?", InputProblem.BAD_FORMAT),
        # a plausible order number has at least one digit
        ("hello world", InputProblem.BAD_FORMAT),
        ("asdfgh", InputProblem.BAD_FORMAT),
        ("my order number is", InputProblem.BAD_FORMAT),
    ],
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
        # a day word, a part of the day and a clock in Chinese
        ("前天晚上8点", "2026-11-19 20:00"),
        ("昨天下午3点半", "2026-11-20 15:30"),
        ("昨天上午10点15分", "2026-11-20 10:15"),
        ("今天早上8点", "2026-11-21 08:00"),
        ("今天中午1点", "2026-11-21 13:00"),
        ("昨天晚上11点", "2026-11-20 23:00"),
        ("昨晚", "2026-11-20 20:00"),
        ("两小时前", "2026-11-21 18:00"),
        ("半小时前", "2026-11-21 19:30"),
        ("三天前", "2026-11-18 20:00"),
        ("yesterday 8pm", "2026-11-20 20:00"),
        ("yesterday at 9:30 am", "2026-11-20 09:30"),
        ("an hour ago", "2026-11-21 19:00"),
        ("11月20日 晚上9点", "2026-11-20 21:00"),
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


def test_a_typed_time_is_the_buyers_wall_clock_stored_as_utc() -> None:
    moment = parse_payment_time("昨天 14:30", now=NOW, tz=TZ)
    assert moment.astimezone(UTC) == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def test_found_inside_a_sentence() -> None:
    assert find_order_number("hello world", PATTERN) is None
    assert find_amount("支付宝付了98.5，两小时前", Decimal("50000")) == Decimal("98.50")
    assert find_amount("I paid 98.5 yuan", Decimal("50000")) == Decimal("98.50")
    assert find_amount("order KM20261130000512 is late", Decimal("50000")) is None
    assert (
        find_amount("付了 999999 元", Decimal("50000")) is None
    )  # over the maximum: asked instead
    found = find_time("商家一直没发，两小时前付的款", now=NOW, tz=TZ)
    assert found is not None and found.astimezone(TZ).strftime("%H:%M") == "18:00"
    assert find_time("没有时间", now=NOW, tz=TZ) is None


@pytest.mark.parametrize(
    "text",
    [
        "订单号 KM20261130000512，卡盟上买的点卡，商家说缺货一直没发，支付宝付了98.5，两小时前",
        "Order KM20261130000512 on a card platform: the merchant is out of stock and never delivered; "
        "I paid 98.5 yuan with Alipay 2 hours ago",
    ],
)
def test_one_message_tells_every_answer(text: str) -> None:
    found = describe(text, pattern=PATTERN, maximum=Decimal("50000"), now=NOW, tz=TZ)
    assert found.order_number == "KM20261130000512"
    assert found.platform_type is PlatformType.AGGREGATOR
    assert found.order_status is OrderStatus.PAID_UNDELIVERED
    assert found.cause is Cause.OUT_OF_STOCK
    assert found.payment_channel is PaymentChannel.ALIPAY
    assert found.amount == Decimal("98.50")
    assert found.paid_at is not None and NOW - found.paid_at == timedelta(hours=2)
    assert found.count() == 7


def test_a_description_without_details_finds_nothing_else() -> None:
    found = describe("订单号在哪", pattern=PATTERN, maximum=Decimal("50000"), now=NOW, tz=TZ)
    assert found.count() == 0
    found = describe(
        "my order KM20261130000512", pattern=PATTERN, maximum=Decimal("50000"), now=NOW, tz=TZ
    )
    assert found.count() == 1 and found.amount is None and found.paid_at is None
