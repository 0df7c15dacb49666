"""Bad input gets a clear, polite answer and loses nothing: unexpected messages, stale
buttons, /cancel, restarts mid-conversation, repeated updates, double taps."""

from __future__ import annotations

import asyncio

from tests.conversation.conftest import Harness
from tests.conversation.test_refund_wizard import (
    PNG,
    answer_until_amount,
    start_wizard,
    stored_cases,
)


async def test_unexpected_input_at_a_button_step_is_hinted_and_the_step_asked_again(
    harness: Harness,
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4001, "zh")
    await start_wizard(buyer)
    await buyer.say("KM20261121000123")  # now at the platform step (buttons)

    for send in (buyer.user.send_sticker, buyer.user.send_voice):
        await send()
        messages = await buyer.settle()
        buyer.expect(messages, "hint.button_expected")
        buyer.expect(messages, "wizard.platform_type")
    await buyer.user.send_location(31.2, 121.4)
    buyer.expect(await buyer.settle(), "hint.button_expected")
    messages = await buyer.say("聚合平台吧")
    buyer.expect(messages, "hint.button_expected")
    buyer.expect(messages, "wizard.platform_type")

    # nothing typed so far was lost: the order number is still in the summary later
    await buyer.choose("platform.official")
    messages = await buyer.choose("btn.back")
    buyer.expect(messages, "wizard.platform_type")
    messages = await buyer.choose("btn.back")
    buyer.expect(messages, "wizard.order_number", example="KM20261121000123")


async def test_unexpected_input_at_a_text_step(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4002, "en")
    await start_wizard(buyer)
    await buyer.user.send_photo(PNG)
    messages = await buyer.settle()
    buyer.expect(messages, "hint.text_expected")
    buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
    messages = await buyer.say("x" * 4000)
    buyer.expect(messages, "error.order_number.too_long", example="KM20261121000123")


async def test_stale_buttons_and_cancel(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4003, "zh")
    await start_wizard(buyer)
    await buyer.say("KM20261121000123")
    old_prompt = buyer.with_button(buyer.t("platform.official"))
    await buyer.user.send_sticker()  # the step is asked again in a new message
    await buyer.settle()
    await buyer.choose("platform.official")  # answered on the newest prompt
    # the older prompt still shows its buttons; pressing one now is refused politely
    await buyer.user.press(old_prompt, buyer.t("platform.aggregator"))
    answer = await buyer.user.last_callback_answer()
    assert answer is not None and answer.text == buyer.t("hint.stale")
    messages = await buyer.settle()
    buyer.expect(messages, "wizard.order_status")  # the current step is asked again

    messages = await buyer.say("/cancel")
    buyer.expect(messages, "wizard.cancelled")
    messages = await buyer.say("/cancel")
    buyer.expect(messages, "start.nothing_to_cancel")
    # a button of the cancelled wizard no longer does anything harmful
    await buyer.user.press(buyer.with_button(buyer.t("status.unpaid")), buyer.t("status.unpaid"))
    answer = await buyer.user.last_callback_answer()
    assert answer is not None and answer.text == buyer.t("hint.stale")


async def test_a_restart_in_the_middle_of_the_wizard_loses_nothing(harness: Harness) -> None:
    settings = harness.settings()
    first = await harness.start_bot(settings)
    buyer = harness.buyer(4004, "zh")
    await start_wizard(buyer)
    await answer_until_amount(buyer)
    await first.stop()

    await buyer.user.send_text("66.6")  # typed while the bot is down
    await harness.start_bot(settings)
    messages = await buyer.settle()
    buyer.expect(messages, "wizard.payment_time")
    messages = await buyer.choose("quick_time.1h")
    await buyer.choose("btn.evidence_done")
    summary = buyer.expect(buyer.seen[-3:], "summary.title")
    assert "KM20261121000123" in summary.text and "¥66.60" in summary.text
    assert buyer.text("cause.delivery_timeout") in summary.text


async def test_a_repeated_update_is_handled_once(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4005, "zh")
    await buyer.say("/start")
    update = {
        "update_id": 777001,
        "message": {
            "message_id": 9001,
            "date": 1763700000,
            "chat": {"id": buyer.user.id, "type": "private", "first_name": "李雷"},
            "from": buyer.user.info,
            "text": "/cases",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    await harness.tg.raw_update(update)
    await harness.tg.raw_update(update)
    messages = await buyer.settle()
    assert len([m for m in messages if m.text and buyer.text("cases.empty") in m.text]) == 1


async def test_double_tap_on_confirm_makes_one_case(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(4006, "zh")
    await start_wizard(buyer)
    await answer_until_amount(buyer)
    await buyer.say("100")
    await buyer.choose("quick_time.now")
    await buyer.choose("btn.evidence_done")
    summary = buyer.with_button(buyer.t("btn.confirm"))
    await asyncio.gather(
        buyer.user.press(summary, buyer.t("btn.confirm")),
        buyer.user.press(summary, buyer.t("btn.confirm")),
    )
    messages = await buyer.settle()
    assert len([m for m in messages if m.text and buyer.needle("submitted.next") in m.text]) == 1
    cases, _, _ = await stored_cases(settings.database_url)
    assert len(cases) == 1


async def test_a_question_in_the_middle_of_the_wizard_keeps_its_place(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4007, "zh")
    await start_wizard(buyer)
    await buyer.say("KM20261121000123")
    messages = await buyer.say("退款到银行卡要多久？")
    answer = buyer.find(messages, "「退款到账时间」")  # cited by title
    assert "arrival-times" not in answer.text  # never by internal id
    assert buyer.text("btn.helped") in answer.button_texts()
    buyer.expect(messages, "wizard.platform_type")  # still at the same step
    await buyer.choose("platform.aggregator")


async def test_more_files_than_allowed_are_refused(harness: Harness) -> None:
    import struct
    import zlib

    def png(seed: int) -> bytes:
        raw = b"".join(b"\x00" + bytes((seed, 90, 200)) * 8 for _ in range(8))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (
                struct.pack(">I", len(data))
                + kind
                + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
            )

        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b"")
        )

    await harness.start_bot(max_evidence_files=3)
    buyer = harness.buyer(4008, "en")
    await start_wizard(buyer)
    await answer_until_amount(buyer)
    await buyer.say("100")
    await buyer.choose("quick_time.now")
    for seed in range(3):
        await buyer.user.send_photo(png(seed))
        buyer.expect(await buyer.settle(), "evidence.received", n=seed + 1, max_files=3)
    await buyer.user.send_photo(png(99))
    refusal = buyer.expect(await buyer.settle(), "error.evidence.too_many", max_files=3)
    assert buyer.t("btn.evidence_done") in refusal.button_texts()
    messages = await buyer.press(refusal, buyer.t("btn.evidence_done"))
    assert buyer.text("field.evidence", count=3) in buyer.expect(messages, "summary.title").text


async def test_a_file_that_only_pretends_to_be_an_image_is_refused(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4009, "zh")
    await start_wizard(buyer)
    await answer_until_amount(buyer)
    await buyer.say("100")
    await buyer.choose("quick_time.now")
    await buyer.user.send_document(
        b"%PDF-1.7 renamed", file_name="receipt.png", mime_type="image/png"
    )
    buyer.expect(await buyer.settle(), "error.evidence.type")
    await buyer.user.send_document(PNG, file_name="receipt.png", mime_type="image/png")
    buyer.expect(await buyer.settle(), "evidence.received", n=1, max_files=10)
    downloads = {r.params["file_id"] for r in harness.tg.requests("getFile")}
    assert (
        len(downloads) == 2
    )  # both documents were looked at, not trusted by their name (the picture check may fetch them too)


async def test_start_or_the_menu_in_the_middle_never_drops_the_draft(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(4010, "zh")
    await start_wizard(buyer)
    await buyer.say("KM20261121000123")
    await buyer.choose("platform.official")
    welcome = buyer.expect(await buyer.say("/start"), "start.welcome")
    assert welcome.button_texts()[0] == buyer.t("menu.resume")
    messages = await buyer.press(welcome, buyer.t("menu.resume"))
    buyer.expect(messages, "wizard.order_status")  # where the buyer left off

    menu = buyer.expect(await buyer.say("/start"), "start.welcome")
    messages = await buyer.press(menu, buyer.t("menu.refund"))
    choice = buyer.expect(messages, "wizard.unfinished")
    messages = await buyer.press(choice, buyer.t("menu.restart"))
    buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
