"""Pure parts of the inbox work: masking phone and card numbers, cleaning text at the edge,
keeping secrets out of log lines, routing an update to its chat."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.domain.pii import luhn_ok, mask_pii
from bot.domain.textclean import clean_payload, clean_text
from bot.logs import RedactingFilter, add_secret, redact
from bot.services.inbox import InboxService, route_of, short_error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机 13812345678 请联系", "我的手机 138****5678 请联系"),
        ("call +86 138-1234-5678 now", "call 138****5678 now"),
        ("tel:13812345678", "tel:138****5678"),
        ("卡号6222021234567890123退到这张卡", "卡号***************0123退到这张卡"),
        ("card 4111 1111 1111 1111 please", "card ************1111 please"),
    ],
)
def test_mask_pii_hides_phones_and_cards(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号 KM20261130000512 没发货",  # an order number: letters and digits
        "paid 98.50 yuan on 2026-11-30 14:30",
        "order 1234567890123 arrived",  # 13 digits failing the Luhn check: not a card
        "12812345678",  # not a mobile prefix
        "",
    ],
)
def test_mask_pii_leaves_other_numbers(text: str) -> None:
    assert mask_pii(text) == text


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


def test_clean_text_keeps_length_and_lines() -> None:
    dirty = "a\x00b\ud800c\x1bd\ne\tf\x7f"
    clean = clean_text(dirty)
    assert clean == "a b\ufffdc d\ne\tf "
    assert len(clean.encode("utf-16-le", "surrogatepass")) == len(
        dirty.encode("utf-16-le", "surrogatepass")
    )
    clean.encode("utf-8")  # storable anywhere
    assert clean_text("普通文字，没有问题。") == "普通文字，没有问题。"


def test_clean_payload_cleans_every_string() -> None:
    payload = {
        "update_id": 1,
        "message": {"text": "x\x00", "entities": [{"type": "bold\x00"}], "n": 5},
    }
    assert clean_payload(payload) == {
        "update_id": 1,
        "message": {"text": "x ", "entities": [{"type": "bold "}], "n": 5},
    }


def test_redact_hides_tokens_and_registered_secrets() -> None:
    assert (
        redact("POST /bot123456789:AAExampleExampleExampleExampleExample/getMe")
        == "POST /bot[token]/getMe"
    )
    add_secret("my-webhook-secret-value")
    assert "my-webhook-secret-value" not in redact("header my-webhook-secret-value sent")


def _fail(typed: str, path: str) -> None:
    raise ValueError(f"user typed {typed} via {path}")


def test_redacting_filter_strips_messages_from_tracebacks() -> None:
    add_secret("123456:TEST-TOKEN")
    typed, path = "13812345678", "/bot123456:TEST-TOKEN/sendMessage"
    try:
        _fail(typed, path)
    except ValueError:
        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "failed for %s",
            ("/bot123456:TEST-TOKEN/x",),
            sys.exc_info(),
        )
    assert RedactingFilter().filter(record)
    line = logging.Formatter().format(record)
    assert "TEST-TOKEN" not in line and "13812345678" not in line
    assert "ValueError" in line and "test_redacting_filter_strips_messages_from_tracebacks" in line


def test_route_of_updates() -> None:
    assert route_of({"update_id": 1, "message": {"chat": {"id": -5}, "from": {"id": 7}}}) == (-5, 7)
    assert route_of(
        {"update_id": 2, "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": 7}}}}
    ) == (7, 7)
    assert route_of({"update_id": 3, "callback_query": {"from": {"id": 8}}}) == (
        8,
        8,
    )  # inline message
    assert route_of({"update_id": 4}) == (None, None)


def test_short_error_is_one_bounded_line() -> None:
    assert short_error(ValueError("first\nsecond")) == "ValueError: first"
    assert len(short_error("x" * 2000)) == 500


async def test_an_update_that_keeps_failing_is_parked_and_can_be_retried(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.storage.db import create_engine, migrate

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inbox.sqlite3'}")
    await migrate(engine)
    try:
        inbox = InboxService(engine, max_attempts=3)
        await inbox.store(
            1, [{"update_id": 5, "message": {"chat": {"id": 9}, "text": "hi"}}, {"update_id": 6}]
        )
        assert await inbox.failed(1, 5, ValueError("boom"), attempts=1) == "pending"
        assert await inbox.failed(1, 5, ValueError("boom"), attempts=3) == "parked"
        assert [i.update_id for i in await inbox.pending(1)] == [6]  # the later one goes on
        parked = await inbox.parked()
        assert [(i.update_id, i.error, i.payload is not None) for i in parked] == [
            (5, "ValueError: boom", True)
        ]
        assert await inbox.retry(update_ids=[5]) == 1
        assert [i.update_id for i in await inbox.pending(1)] == [5, 6]
        await inbox.done(1, 5)
        assert (await inbox.get(1, 5)).payload is None  # type: ignore[union-attr]
    finally:
        await engine.dispose()
