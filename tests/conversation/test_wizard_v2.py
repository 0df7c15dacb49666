"""Wizard v2 over HTTP: one message is enough to start, times and order numbers a buyer
trusts, relabelling and removing screenshots, dates in the timeline, a scam warning in
the middle of the wizard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conversation.conftest import Buyer, Harness
from tests.conversation.test_antifraud import SCAM_ZH
from tests.conversation.test_refund_wizard import (
    INTERNAL_ID,
    PNG,
    PNG2,
    answer_through_amount,
    answer_until_cause,
    fill_in,
    start_wizard,
    stored_cases,
)
from tests.fakeapi import BotMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
STORY_ZH = "订单号 KM20261130000512，卡盟上买的点卡，商家说缺货一直没发，支付宝付了98.5，两小时前"
STORY_EN = (
    "Order KM20261130000512 from a card platform: the merchant says it is out of stock and never delivered. "
    "I paid 98.5 yuan with Alipay 2 hours ago."
)


class Counted:
    """The buyer's actions: every message, file and button press counts as one."""

    def __init__(self, buyer: Buyer) -> None:
        self.buyer = buyer
        self.actions = 0

    async def say(self, text: str) -> list[BotMessage]:
        self.actions += 1
        return await self.buyer.say(text)

    async def choose(self, key: str, **values: Any) -> list[BotMessage]:
        self.actions += 1
        return await self.buyer.choose(key, **values)

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        self.actions += 1
        await self.buyer.user.send_photo(data)
        return await self.buyer.settle()


async def one_message_case(harness: Harness, user_id: int, lang: str, story: str) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(user_id, lang)
    counted = Counted(buyer)
    await counted.say("/start")
    messages = await counted.say(story)
    found = buyer.expect(messages, "draft.prefilled_title")
    assert len([m for m in messages if m.text]) == 1  # every answer in ONE message
    for needle in (
        "KM20261130000512",
        buyer.text("platform.aggregator"),
        buyer.text("status.paid_undelivered"),
        buyer.text("cause.out_of_stock"),
        buyer.text("channel.alipay"),
        "¥98.50",
    ):
        assert needle in found.text, needle
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).astimezone(SHANGHAI)
    assert two_hours_ago.strftime("%Y-%m-%d %H:") in found.text
    assert buyer.needle("draft.prefilled_complete") in found.text  # nothing else to ask

    messages = await counted.choose("draft.btn_prefilled_ok")
    buyer.expect(messages, "decision.title")
    buyer.expect(messages, "draft.evidence", n=8, max_files=10, max_mb=10)
    messages = await counted.send_photo(PNG)
    buyer.expect(messages, "evidence.received", n=1, max_files=10)
    await counted.choose("evidence.order_screenshot")
    messages = await counted.choose("btn.evidence_done")
    buyer.expect(messages, "summary.title")
    messages = await counted.choose("btn.confirm")
    buyer.expect(messages, "submitted.next")
    assert counted.actions <= 7, counted.actions

    cases, evidence, _ = await stored_cases(settings.database_url)
    case = cases[0]
    assert (
        case.order_number,
        case.platform_type,
        case.order_status,
        case.cause,
        case.payment_channel,
    ) == (
        "KM20261130000512",
        "aggregator",
        "paid_undelivered",
        "out_of_stock",
        "alipay",
    )
    assert (
        str(case.amount) == "98.50" and case.cause_text == story
    )  # the buyer's own words are kept
    paid_at = (
        case.paid_at if case.paid_at and case.paid_at.tzinfo else case.paid_at.replace(tzinfo=UTC)
    )  # type: ignore[union-attr]
    assert abs(datetime.now(UTC) - timedelta(hours=2) - paid_at) < timedelta(minutes=5)
    assert [e.kind for e in evidence] == ["order_screenshot"]


async def test_one_message_is_enough_to_start_in_chinese(harness: Harness) -> None:
    await one_message_case(harness, 7001, "zh", STORY_ZH)


async def test_one_message_is_enough_to_start_in_english(harness: Harness) -> None:
    await one_message_case(harness, 7002, "en", STORY_EN)


async def test_a_partial_description_asks_only_for_what_is_missing(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(7003, "zh")
    await start_wizard(buyer)  # at the order number step, the same parsers read the whole message
    messages = await buyer.say("订单号 KM20261130000777，在卡盟买的，支付宝付了50元")
    found = buyer.expect(messages, "draft.prefilled_title")
    assert "¥50.00" in found.text and buyer.text("channel.alipay") in found.text
    missing = buyer.text(
        "draft.prefilled_missing",
        items="、".join(
            buyer.t(f"edit.{k}").removeprefix("✎ ")
            for k in ("order_status", "cause", "payment_time")
        ),
    )
    assert missing in found.text
    # correct one of them from the same message
    messages = await buyer.choose("edit.amount")
    buyer.expect(messages, "wizard.amount", max="50,000.00")
    assert (
        buyer.text("draft.current", value="¥50.00") in messages[-1].text
    )  # the old value is shown
    messages = await buyer.say("48")
    buyer.expect(messages, "wizard.order_status")  # then only what is missing
    await buyer.choose("status.paid_undelivered")
    await buyer.choose("cause_group.merchant")
    messages = await buyer.choose("cause.out_of_stock")
    buyer.expect(messages, "wizard.payment_time")
    messages = await buyer.choose("quick_time.1h")
    buyer.expect(messages, "decision.title")


async def test_order_numbers_are_found_in_a_sentence_and_echoed(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(7004, "en")
    await start_wizard(buyer)
    for typed in ("hello world", "asdfgh"):
        messages = await buyer.say(typed)
        buyer.expect(messages, "error.order_number.bad_format", example="KM20261121000123")
    messages = await buyer.say("my order number is KM20261130000512")
    assert messages[0].text.startswith(
        buyer.text("wizard.chosen", value="KM20261130000512") + "\n\n"
    )  # ✓ first
    buyer.expect(messages, "wizard.platform_type")
    # back: the step shows the old value, and the Chinese way of saying it works too
    messages = await buyer.choose("btn.back")
    prompt = buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
    assert buyer.text("draft.current", value="KM20261130000512") in prompt.text
    messages = await buyer.say("我的订单号是KM20261130000999")
    assert messages[0].text.startswith(
        buyer.text("wizard.chosen", value="KM20261130000999") + "\n\n"
    )


async def test_times_are_shanghai_wall_clock_in_the_summary_and_in_my_cases(
    harness: Harness,
) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(7005, "zh")
    await answer_until_cause(buyer, order="KM20261130000512", status="redeemed")
    messages = await buyer.choose("cause_group.merchant")
    assert (
        messages[-1].edited and buyer.needle("draft.cause_in_group") in messages[-1].text
    )  # not "pick a group first"
    await buyer.choose("cause.invalid_product")
    await buyer.choose("channel.alipay")
    messages = await buyer.say("98.5 yuan")  # a currency word after the number
    assert messages[0].text.startswith(buyer.text("wizard.chosen", value="¥98.50") + "\n\n")
    messages = await buyer.say("前天晚上8点")
    local_now = datetime.now(SHANGHAI)
    paid = (local_now - timedelta(days=2)).strftime("%Y-%m-%d") + " 20:00"
    assert messages[0].text.startswith(buyer.text("wizard.chosen", value=paid) + "\n\n")
    buyer.expect(messages, "draft.completion_time", n=8)
    messages = await buyer.say("昨天 14:30")
    completed = (local_now - timedelta(days=1)).strftime("%Y-%m-%d") + " 14:30"
    assert messages[0].text.startswith(buyer.text("wizard.chosen", value=completed) + "\n\n")
    messages = await buyer.choose("btn.evidence_done")
    summary = buyer.expect(messages, "summary.title")
    assert buyer.text("field.payment_time", value=paid) in summary.text
    assert buyer.text("field.completion_time", value=completed) in summary.text
    await buyer.choose("btn.confirm")

    cases, _, _ = await stored_cases(settings.database_url)
    stored = cases[0].paid_at
    assert stored is not None
    stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
    assert stored.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == paid  # UTC in the database

    messages = await buyer.say("/cases")
    listing = buyer.expect(messages, "cases.title", count=1)
    messages = await buyer.press(listing, listing.button_texts()[0])
    detail = buyer.expect(messages, "cases.detail_title", number=cases[0].number)
    assert buyer.text("field.payment_time", value=paid) in detail.text
    assert buyer.text("field.completion_time", value=completed) in detail.text
    assert not INTERNAL_ID.search(detail.text.replace("KM20261130000512", ""))


async def test_week_ago_payment_and_seven_days_or_more_completion_buttons(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(7006, "en")
    await answer_through_amount(
        buyer,
        order="KM20261130000512",
        status="completed",
        group="buyer",
        cause="changed_mind",
        channel="wechat",
        amount="RMB 30",
    )
    messages = await buyer.choose("quick_time.7d")
    buyer.expect(messages, "draft.completion_time", n=8)
    messages = await buyer.choose("quick_completion.8d")
    assert not [
        m for m in messages if m.text and buyer.needle("error.completion.before_payment") in m.text
    ]
    buyer.expect(messages, "decision.title")


async def test_a_wrongly_labelled_screenshot_is_relabelled_or_removed(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(7007, "zh")
    await fill_in(buyer, order="KM20261130000512", cause="delivery_timeout")
    await buyer.user.send_photo(PNG)
    await buyer.settle()
    messages = await buyer.choose("evidence.chat_record")  # wrong
    assert "⬜ " + buyer.text("evidence.order_screenshot") in messages[-1].text
    messages = await buyer.choose("draft.btn_relabel_file")
    assert messages[-1].edited and buyer.text("draft.file_relabel", n=1) in messages[-1].text
    messages = await buyer.choose("evidence.order_screenshot")
    assert "✅ " + buyer.text("evidence.order_screenshot") in messages[-1].text

    await buyer.user.send_document(PNG2, file_name="wrong.png", mime_type="image/png")
    ack = buyer.expect(await buyer.settle(), "evidence.received", n=2, max_files=10)
    messages = await buyer.press(ack, buyer.t("evidence.listing_screenshot"))
    messages = await buyer.press(messages[-1], buyer.t("draft.btn_remove_file"))
    assert buyer.text("draft.file_removed", n=2) in messages[-1].text
    messages = await buyer.choose("btn.evidence_done")
    summary = buyer.expect(messages, "summary.title")
    assert buyer.text("field.evidence", count=1) in summary.text
    messages = await buyer.choose("btn.confirm")
    done = buyer.expect(messages, "submitted.next")
    # the timeline lists dates, not durations
    timeline = done.text.split(buyer.needle("submitted.timeline"))[1]
    assert DATE.search(timeline) and buyer.text("unit.hours", n=24) not in timeline

    cases, evidence, events = await stored_cases(settings.database_url)
    assert [(e.kind, e.media) for e in evidence] == [("order_screenshot", "photo")]
    # screenshots sent in the wizard belong to the submission, not to "added evidence"
    messages = await buyer.say("/cases")
    listing = buyer.expect(messages, "cases.title", count=1)
    messages = await buyer.press(listing, listing.button_texts()[0])
    detail = buyer.expect(messages, "cases.detail_title", number=cases[0].number)
    assert buyer.text("case.event_submitted_with", count=1) in detail.text
    assert buyer.needle("event.evidence_added", count=1) not in detail.text


async def test_after_a_scam_warning_the_step_is_asked_again_with_working_buttons(
    harness: Harness,
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(7008, "zh")
    await start_wizard(buyer)
    await buyer.say("KM20261130000512")
    messages = await buyer.say(SCAM_ZH)
    warning = buyer.expect(messages, "fraud.title.high")
    buyer.expect(messages, "wizard.platform_type")  # the step again, after the warning
    assert messages[-1].button_texts()[0] == buyer.t("platform.official")
    messages = await buyer.press(warning, buyer.t("btn.dismiss"))
    prompt = buyer.expect(messages, "wizard.platform_type")  # dismissing leaves working buttons
    messages = await buyer.press(prompt, buyer.t("platform.aggregator"))
    buyer.expect(messages, "wizard.order_status")


async def test_the_wizard_starts_with_one_message(harness: Harness) -> None:
    """ "Request a refund" answers the button and sends one message: the introduction
    heading the first question (with its buttons), not the two of them apart."""
    await harness.start_bot()
    buyer = harness.buyer(7091, "en")
    messages = await buyer.say("/start")
    welcome = buyer.expect(messages, "start.welcome")
    mark = len(harness.server.requests)
    messages = await buyer.press(welcome, buyer.t("menu.refund"))
    calls = [
        r["method"]
        for r in harness.server.requests[mark:]
        if r["method"] not in ("getUpdates", "getMe")
    ]
    assert sorted(calls) == ["answerCallbackQuery", "sendMessage"]
    prompt = buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
    assert prompt.text.startswith(buyer.needle("wizard.intro"))
    assert prompt.has_button(buyer.t("btn.cancel"))


async def test_a_step_costs_one_edit_and_one_message(harness: Harness) -> None:
    """A button answer keeps the prompt with "✓ answer" under it and sends the next prompt:
    the callback answer, one edit, one message. A typed answer: one message, headed by its
    ✓. (Each Bot API call is a round trip to Telegram for every buyer's tap.)"""
    await harness.start_bot()
    buyer = harness.buyer(7090, "en")
    await start_wizard(buyer)

    def calls_since(mark: int) -> list[str]:
        return [
            r["method"]
            for r in harness.server.requests[mark:]
            if r["method"] not in ("getUpdates", "getMe")
        ]

    mark = len(harness.server.requests)
    messages = await buyer.say("KM20261130000777")
    assert calls_since(mark) == ["sendMessage"]
    assert messages[0].text.startswith(buyer.text("wizard.chosen", value="KM20261130000777"))

    mark = len(harness.server.requests)
    messages = await buyer.choose("platform.aggregator")
    assert sorted(calls_since(mark)) == ["answerCallbackQuery", "editMessageText", "sendMessage"]
    answered = buyer.expect(messages, "wizard.chosen", value=buyer.t("platform.aggregator"))
    assert buyer.needle("wizard.platform_type") in answered.text  # the prompt, kept
    assert not answered.has_button(buyer.t("platform.aggregator"))  # and its buttons gone
    buyer.expect(messages, "wizard.order_status")
