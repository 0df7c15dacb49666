"""A buyer files a complete refund case, over HTTP, in Chinese (polling) and English (webhook)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case, CaseEvent, Evidence
from tests.conversation.conftest import Buyer, Harness
from tests.fakeapi import BotMessage

DATA = Path(__file__).resolve().parents[1] / "data"
PNG = (DATA / "evidence.png").read_bytes()
PNG2 = (DATA / "evidence2.png").read_bytes()
CASE_NUMBER = re.compile(r"RF-\d{8}-[0-9A-HJKMNP-TV-Z]{4}")
INTERNAL_ID = re.compile(r"[a-z]+(?:-[a-z]+)+")


async def stored_cases(database_url: str) -> tuple[list[Case], list[Evidence], list[CaseEvent]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            cases = list((await session.exec(select(Case))).all())
            evidence = list((await session.exec(select(Evidence))).all())
            events = list((await session.exec(select(CaseEvent))).all())
            return cases, evidence, events
    finally:
        await engine.dispose()


async def start_wizard(buyer: Buyer) -> None:
    messages = await buyer.say("/start")
    welcome = buyer.expect(messages, "start.welcome")
    assert buyer.text("menu.refund") in welcome.button_texts()
    messages = await buyer.press(welcome, buyer.t("menu.refund"))
    buyer.expect(messages, "wizard.order_number", example="KM20261121000123")


async def answer_until_cause(
    buyer: Buyer, *, order: str, platform: str = "aggregator", status: str = "paid_undelivered"
) -> list[BotMessage]:
    """Start the wizard, type the order number and pick the platform and the order status;
    returns what the status brought (the cause step)."""
    await start_wizard(buyer)
    await buyer.say(order)
    await buyer.choose(f"platform.{platform}")
    return await buyer.choose(f"status.{status}")


async def answer_through_amount(
    buyer: Buyer,
    *,
    order: str,
    platform: str = "aggregator",
    status: str = "paid_undelivered",
    group: str = "merchant",
    cause: str = "out_of_stock",
    channel: str = "alipay",
    amount: str = "100",
) -> list[BotMessage]:
    """`answer_until_cause`, then the cause and the payment channel by buttons and the
    amount typed; returns what the amount brought."""
    await answer_until_cause(buyer, order=order, platform=platform, status=status)
    await buyer.choose(f"cause_group.{group}")
    await buyer.choose(f"cause.{cause}")
    await buyer.choose(f"channel.{channel}")
    return await buyer.say(amount)


async def fill_in(
    buyer: Buyer, *, order: str, paid: str = "now", completed: str = "now", **answers: str
) -> list[BotMessage]:
    """Answer every step up to the payment time (and, for used goods, the completion time)
    by buttons (`answers`: those of `answer_through_amount`); returns the decision and
    evidence prompt messages."""
    messages = await answer_through_amount(buyer, order=order, **answers)
    status = answers.get("status")
    if status != "unpaid":  # an unpaid order has no payment time
        messages = await buyer.choose(f"quick_time.{paid}")
    if status in ("redeemed", "completed"):
        buyer.expect(messages, "draft.completion_time", n=8)
        messages = await buyer.choose(f"quick_completion.{completed}")
    return messages


async def answer_until_amount(buyer: Buyer) -> None:
    messages = await buyer.say("KM20261121000123")
    buyer.expect(messages, "wizard.platform_type")
    messages = await buyer.choose("platform.aggregator")
    buyer.expect(messages, "wizard.order_status")
    messages = await buyer.choose("status.paid_undelivered")
    buyer.expect(messages, "wizard.cause")
    messages = await buyer.choose("cause_group.merchant")
    assert messages and messages[-1].edited  # the group opens in place
    messages = await buyer.choose("cause.delivery_timeout")
    buyer.expect(messages, "wizard.payment_channel")
    messages = await buyer.choose("channel.alipay")
    buyer.expect(messages, "wizard.amount", max="50,000.00")


async def test_full_wizard_in_chinese_over_polling(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(1001, "zh")

    await start_wizard(buyer)
    # a wrong order number is refused with an example, and nothing is lost
    messages = await buyer.say("abc")
    buyer.expect(messages, "error.order_number.bad_format", example="KM20261121000123")
    await answer_until_amount(buyer)

    # absurd amounts are refused, the buyer's way of writing one is accepted
    for typed, key in (
        ("0", "error.amount.not_positive"),
        ("-5", "error.amount.not_positive"),
        ("999999", "error.amount.too_large"),
        ("一百块", "error.amount.not_a_number"),
    ):
        messages = await buyer.say(typed)
        buyer.expect(messages, key, max="50,000.00")
    messages = await buyer.say("¥100")
    buyer.expect(messages, "wizard.payment_time")

    # the preliminary decision comes at once, then the evidence checklist
    messages = await buyer.choose("quick_time.now")
    decision = buyer.expect(messages, "decision.title")
    assert buyer.text("outcome.full_refund") in decision.text
    assert "¥100.00" in decision.text
    assert buyer.text("route.merchant_review") in decision.text
    # the rules it rests on by their titles, never an internal id such as undelivered-timeout
    assert "已付款未发货" in decision.text
    assert not INTERNAL_ID.search(decision.text)
    checklist = buyer.expect(messages, "draft.evidence", n=8, max_files=10, max_mb=10)
    assert "⬜ " + buyer.text("evidence.order_screenshot") in checklist.text

    # a photo is acknowledged and ticked against the checklist
    await buyer.user.send_photo(PNG)
    messages = await buyer.settle()
    ack = buyer.expect(messages, "evidence.received", n=1, max_files=10)
    messages = await buyer.press(ack, buyer.t("evidence.order_screenshot"))
    ticked = messages[-1]
    assert ticked.edited and "✅ " + buyer.text("evidence.order_screenshot") in ticked.text

    # the same photo again is stored once; other files are refused with the reason
    await buyer.user.send_photo(PNG)
    buyer.expect(await buyer.settle(), "evidence.duplicate")
    await buyer.user.send_document(
        b"%PDF-1.4 fake", file_name="receipt.pdf", mime_type="application/pdf"
    )
    buyer.expect(await buyer.settle(), "error.evidence.type")
    await buyer.user.send_document(
        PNG2, file_name="big.png", mime_type="image/png", file_size=11 * 1024 * 1024
    )
    buyer.expect(await buyer.settle(), "error.evidence.too_big", max_mb=10)
    await buyer.user.send_document(PNG2, file_name="chat.png", mime_type="image/png")
    ack = buyer.expect(await buyer.settle(), "evidence.received", n=2, max_files=10)
    await buyer.press(ack, buyer.t("evidence.chat_record"))

    messages = await buyer.choose("btn.evidence_done")
    summary = buyer.expect(messages, "summary.title")
    assert "KM20261121000123" in summary.text and "¥100.00" in summary.text
    assert buyer.text("field.evidence", count=2) in summary.text

    messages = await buyer.choose("btn.confirm")
    done = buyer.expect(messages, "submitted.next")
    number = CASE_NUMBER.search(done.text or "")
    assert number is not None
    assert buyer.needle("scam.reminder")[:10] in done.text

    cases, evidence, events = await stored_cases(settings.database_url)
    assert [c.number for c in cases] == [number.group()]
    case = cases[0]
    assert (
        case.order_number,
        case.platform_type,
        case.order_status,
        case.cause,
        case.payment_channel,
    ) == (
        "KM20261121000123",
        "aggregator",
        "paid_undelivered",
        "delivery_timeout",
        "alipay",
    )
    assert (
        str(case.amount) == "100.00"
        and case.status == "with_merchant"
        and case.outcome == "full_refund"
    )
    assert case.rule_id == case.decision["rule_id"] and case.policy_version
    assert sorted(e.kind for e in evidence) == ["chat_record", "order_screenshot"]
    assert all(e.file_unique_id and e.mime_type and e.size for e in evidence)
    # the screenshots sent in the wizard are part of the submission, not "added evidence"
    assert [e.kind for e in events] == ["submitted", "status"] and events[0].payload[
        "evidence"
    ] == 2

    # my cases: the list, then the detail with decision, evidence and timeline
    messages = await buyer.say("/cases")
    listing = buyer.expect(messages, "cases.title", count=1)
    messages = await buyer.press(listing, listing.button_texts()[0])
    detail = buyer.expect(messages, "cases.detail_title", number=case.number)
    assert buyer.text("case_status.with_merchant") in detail.text
    assert buyer.text("cases.evidence", count=2) in detail.text
    assert buyer.needle("cases.timeline") in detail.text
    assert buyer.text("btn.add_evidence") in detail.button_texts()


async def test_english_wizard_over_webhook_with_own_words_and_edits(harness: Harness) -> None:
    settings = harness.settings(webhook=True)
    await harness.start_bot(settings)
    buyer = harness.buyer(2002, "en")

    await start_wizard(buyer)
    messages = await buyer.say("KM-ORDER-778899")
    messages = await buyer.choose("platform.official")
    messages = await buyer.choose("status.delivered")
    messages = await buyer.choose("btn.describe")
    buyer.expect(messages, "wizard.cause_text")
    messages = await buyer.say("the code does not work, activation failed")
    guess = buyer.expect(messages, "wizard.cause_guess", cause=buyer.t("cause.invalid_product"))
    messages = await buyer.press(
        guess, buyer.t("btn.yes_cause", cause=buyer.t("cause.invalid_product"))
    )
    buyer.expect(messages, "wizard.payment_channel")
    messages = await buyer.choose("channel.bank_card")
    messages = await buyer.say("88.50元")
    messages = await buyer.say("yesterday 14:30")
    decision = buyer.expect(messages, "decision.title")
    assert buyer.text("outcome.full_refund") in decision.text
    assert buyer.text("arrival.working_days", low=2, high=5) in decision.text

    # finish without evidence: told what is missing and that it slows the review
    messages = await buyer.choose("btn.evidence_done")
    warning = buyer.find(messages, "Still missing")
    assert buyer.text("evidence.error_screenshot") in warning.text
    summary = buyer.expect(messages, "summary.title")
    assert "88.50" in summary.text

    # edit the amount from the summary: back to the summary afterwards
    messages = await buyer.choose("edit.amount")
    buyer.expect(messages, "wizard.amount", max="50,000.00")
    messages = await buyer.say("90")
    summary = buyer.expect(messages, "summary.title")
    assert "¥90.00" in summary.text

    messages = await buyer.choose("btn.confirm")
    buyer.expect(messages, "submitted.next")
    cases, _, _ = await stored_cases(settings.database_url)
    assert len(cases) == 1 and cases[0].language == "en" and cases[0].cause == "invalid_product"
    assert cases[0].cause_text == "the code does not work, activation failed"

    # the webhook carried every update with the secret header
    deliveries = harness.tg.webhook_deliveries()
    assert deliveries and all(d.get("status") == 200 for d in deliveries)


async def test_nothing_to_refund_for_an_unpaid_order(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(3003, "zh")
    messages = await fill_in(
        buyer,
        order="KM20261121000999",
        status="unpaid",
        group="buyer",
        cause="changed_mind",
        channel="wechat",
        amount="30",
    )
    decision = buyer.expect(messages, "decision.title")
    assert buyer.needle("outcome.nothing_to_refund") in decision.text
    checklist = buyer.expect(
        messages, "draft.evidence", n=7, max_files=10, max_mb=10
    )  # no payment time step
    assert buyer.text("evidence.none_required") in checklist.text


async def test_used_goods_are_judged_from_their_completion_time(harness: Harness) -> None:
    """Paid ten days ago, the code failed on activation yesterday: within the window."""
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(3004, "en")
    await answer_through_amount(
        buyer, order="KM20261121000321", status="redeemed", cause="invalid_product", amount="60"
    )
    messages = await buyer.say("10 days ago")
    buyer.expect(messages, "draft.completion_time", n=8)  # the completion step is numbered
    messages = await buyer.say("3 days ago")
    decision = buyer.expect(messages, "decision.title")
    assert buyer.needle("outcome.needs_review") in decision.text
    assert buyer.text("route.platform_review") in decision.text

    # a completion before the payment is refused, the step asked again
    await buyer.choose("btn.back")
    messages = await buyer.say("11 days ago")
    buyer.expect(messages, "error.completion.before_payment")
    messages = await buyer.choose("quick_completion.8d")
    assert buyer.needle("outcome.no_refund") in buyer.expect(messages, "decision.title").text

    await buyer.choose("btn.evidence_done")
    summary = buyer.seen[-1]
    assert buyer.text("edit.completion_time") in summary.button_texts()
    await buyer.choose("btn.confirm")
    cases, _, _ = await stored_cases(settings.database_url)
    assert cases[0].completed_at is not None and cases[0].paid_at is not None
    assert cases[0].completed_at > cases[0].paid_at
