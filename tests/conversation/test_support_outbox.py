"""What reaches the topic or the buyer after a case is filed, through the outbox: a case
routed to a person gets its topic from the submit itself, evidence the buyer adds later is
posted into the topic (an album when several) and the card follows, and an operator's
messages reach the buyer in order, once, even when Telegram asks to slow down."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services.support import SupportService
from bot.storage.models import Evidence
from bot.storage.support_models import MessageLink, OutboxMessage, SupportTopic
from bot.telegram import render
from bot.telegram.console import plain
from tests.conversation.conftest import Harness
from tests.conversation.test_refund_wizard import fill_in
from tests.conversation.test_support_workspace import (
    PNG,
    PNG2,
    STAFF,
    Desk,
    desk,  # noqa: F401
    make_desk,
    rows,
    seed_case,
    staff,
    upload_photo,
)
from tests.fakeapi import BotMessage


def thread_of(message: BotMessage) -> Any:
    return message.raw.get("message_thread_id")


async def test_a_filed_case_routed_to_a_person_gets_its_topic_from_the_submit(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep is switched off: the topic job written with the case is enough."""

    async def no_sweep(self: SupportService, *, limit: int = 200) -> int:
        return 0

    monkeypatch.setattr(SupportService, "reconcile", no_sweep)
    d = await make_desk(harness)
    buyer = harness.buyer(5002, "en")
    await fill_in(
        buyer,
        order="KM20261121000777",
        group="payment",
        cause="duplicate_charge",
        channel="wechat",
        amount="20",
        paid="1h",
    )
    await buyer.choose("btn.evidence_done")
    await buyer.choose("btn.confirm")
    thread, card = await d.topic_card("KM20261121000777", wait=15)
    (topic,) = await rows(d.settings, SupportTopic)
    assert (topic.thread_id, topic.trigger, topic.user_id) == (thread, "route", 5002)
    await d.settle()
    assert len(await d.group.topics()) == 1  # opened once


async def test_evidence_added_later_is_posted_as_an_album_and_the_card_follows(
    desk: Desk,  # noqa: F811
) -> None:
    photo = await upload_photo(desk.harness)
    case_id = await seed_case(desk.settings, user_id=1001, number="RF-20261130-VVVV", photo=photo)
    thread, card = await desk.topic_card("RF-20261130-VVVV")
    await desk.group.wait_for_message(10, lambda m: m.photo is not None)  # the first file
    await desk.settle()

    # /cases -> add evidence -> two screenshots in a row
    buyer = desk.buyer
    messages = await buyer.say("/cases")
    listing = buyer.find(messages, buyer.needle("cases.title", count=1))
    opened = await buyer.press(listing, listing.button_texts()[0])
    await buyer.press(opened[-1], buyer.t("btn.add_evidence"))
    await buyer.user.send_photo(PNG2)
    await buyer.user.send_photo(PNG2 + b"second")  # another file (the content differs)
    album = await desk.group.wait_for_messages(
        2, 15, lambda m: m.photo is not None and thread_of(m) == thread
    )
    group_id = album[0].raw.get("media_group_id")
    assert group_id and album[1].raw.get("media_group_id") == group_id  # one album
    await desk.card_shows(card, staff("support.card_evidence", count=3))  # the checklist follows
    await desk.settle()

    # the buyer says what the first new file shows: the card's checklist ticks it
    acks = [
        m for m in buyer.user.messages() if m.has_button(buyer.text("evidence.order_screenshot"))
    ]
    await buyer.press(acks[0], buyer.t("evidence.order_screenshot"))
    from bot.domain.vocab import EvidenceKind

    kinds = [EvidenceKind.PAYMENT_RECORD, EvidenceKind.ORDER_SCREENSHOT]
    await desk.card_shows(card, plain(render.checklist(STAFF, kinds, kinds)))
    await desk.settle()
    await buyer.choose("btn.evidence_done")

    # a screenshot sent while a person has the case is evidence too, posted with its caption
    await buyer.user.send_photo(PNG + b"third", caption="退款页面")
    posted = await desk.group.wait_for_message(
        15, lambda m: m.photo is not None and "退款页面" in (m.text or "")
    )
    assert thread_of(posted) == thread
    stored = [e for e in await rows(desk.settings, Evidence) if e.case_id == case_id]
    assert len(stored) == 4
    await desk.card_shows(card, staff("support.card_evidence", count=4))
    await desk.settle()
    evidence_rows = [
        o for o in await rows(desk.settings, OutboxMessage) if o.key.startswith("evidence:")
    ]
    assert [len(o.payload["items"]) for o in evidence_rows] == [2, 1]
    assert all(o.state == "sent" for o in evidence_rows)


async def test_operator_messages_reach_the_buyer_in_order_once_after_a_429(
    harness: Harness,
) -> None:
    """Without the Bot API retry layer's own waiting, the outbox honours retry_after and
    keeps the order: the second message waits for the first, the edit follows it."""
    d = await make_desk(harness, telegram_retry_seconds=0)
    await seed_case(d.settings, user_id=1001, number="RF-20261130-WWWW")
    thread, _card = await d.topic_card("RF-20261130-WWWW")
    await d.settle()
    await d.harness.tg.fail_next("sendMessage", 429, retry_after=2)
    await d.group.say(d.operator, thread, "第一条：我们在查")
    first_id = d.operator.last_sent_message_id
    await d.group.say(d.operator, thread, "第二条：请稍等")
    await d.group.edit(d.operator, first_id, "第一条：我们已查到")
    second = await d.buyer.user.wait_for_message(20, lambda m: "第二条" in (m.text or ""))
    texts = [m.text or "" for m in d.buyer.user.messages() if "条：" in (m.text or "")]
    assert len(texts) == 2 and "第一条" in texts[0] and "第二条" in texts[1], texts
    first = next(m for m in d.buyer.user.messages() if "第一条" in (m.text or ""))
    assert first.message_id < second.message_id
    edited = await d.buyer.user.wait_for_edit(first, 15)
    assert "已查到" in (edited.text or "")
    relays = [o for o in await rows(d.settings, OutboxMessage) if o.chat_id == 1001]
    assert [(o.payload["op"], o.state) for o in relays] == [
        ("relay", "sent"),
        ("relay", "sent"),
        ("edit", "sent"),
    ]
    assert relays[0].attempts == 2  # the 429, then delivered


async def test_a_buyers_message_waits_out_an_outage_and_reaches_the_topic_once_in_order(
    harness: Harness,
) -> None:
    """The buyer's side goes through the outbox too: a message the topic could not take
    (Telegram failing, no retry inside the call) is delivered later, once, before the next
    one, and the buyer is not told anything went wrong."""
    d = await make_desk(harness, telegram_retry_seconds=0)
    await seed_case(d.settings, user_id=1001, number="RF-20261130-OOOO")
    thread, _card = await d.topic_card("RF-20261130-OOOO")
    await d.settle()
    await d.harness.tg.fail_next("copyMessage", 502, times=2)
    await d.buyer.user.send_text("第一句：钱还没到")
    await d.buyer.user.send_text("第二句：订单号发您了")
    second = await d.group.wait_for_message(20, lambda m: "第二句" in (m.text or ""))
    copies = [m for m in d.group.messages() if "句：" in (m.text or "")]
    assert [m.text for m in copies] == ["第一句：钱还没到", "第二句：订单号发您了"]
    assert all(m.raw.get("message_thread_id") == thread for m in copies)
    assert copies[0].message_id < second.message_id
    await d.settle()
    assert not [
        m for m in d.buyer.user.messages() if d.buyer.text("support.unreachable") in (m.text or "")
    ]
    relays = [o for o in await rows(d.settings, OutboxMessage) if o.thread_id == thread]
    relays = [o for o in relays if o.payload.get("op") == "relay"]
    assert [o.state for o in relays] == ["sent", "sent"] and relays[0].attempts == 3
    links = await rows(d.settings, MessageLink)
    assert {(link.src_chat_id, link.dst_message_id) for link in links} >= {
        (1001, copies[0].message_id),
        (1001, copies[1].message_id),
    }


async def test_a_buyers_message_the_topic_refuses_is_given_up_and_the_buyer_told(
    harness: Harness,
) -> None:
    d = await make_desk(harness, telegram_retry_seconds=0)
    await seed_case(d.settings, user_id=1001, number="RF-20261130-PPPP")
    _thread, _card = await d.topic_card("RF-20261130-PPPP")
    await d.settle()
    await d.harness.tg.fail_next("copyMessage", 400, "Bad Request: message thread not found")
    await d.buyer.user.send_text("您好，还在吗")
    told = await d.buyer.user.wait_for_message(
        20, lambda m: d.buyer.text("support.unreachable") in (m.text or "")
    )
    assert told.text
    relays = [o for o in await rows(d.settings, OutboxMessage) if o.payload.get("op") == "relay"]
    assert [o.state for o in relays] == ["failed"]


async def test_leads_reassign_reopen_and_shadow_ban_with_agent_names_shown(
    harness: Harness,
) -> None:
    """The lead's rights (take over a taken case, reopen a closed one, shadow-ban), the
    card's view of the buyer's earlier cases, and SHOW_AGENT_NAMES signing relays."""
    d = await make_desk(harness, show_agent_names=True)
    await seed_case(
        d.settings, user_id=1001, number="RF-20261129-OLD1", status="closed", order="KM1"
    )
    case_id = await seed_case(d.settings, user_id=1001, number="RF-20261130-XXXX")
    thread, card = await d.topic_card("RF-20261130-XXXX")
    assert "RF-20261129-OLD1" in (card.text or "")  # who the buyer is to support
    await d.settle()

    await d.group.press(d.operator, card, staff("support.btn.take"))
    await d.settle()
    await d.group.press(d.lead, d.card_now(card), staff("support.btn.take"))  # reassigned
    await d.settle()
    await d.group.press(d.operator, d.card_now(card), staff("support.btn.take"))
    answer = await d.operator.last_callback_answer(10)
    assert answer is not None and answer.text == staff("support.refused.taken_by_other")
    (topic,) = [t for t in await rows(d.settings, SupportTopic) if t.case_id == case_id]
    assert topic.assignee_id == 7002

    # relays are signed with the agent's first name
    await d.group.say(d.lead, thread, "我是负责您案件的客服")
    signed = await d.buyer.user.wait_for_message(10, lambda m: "负责您案件" in (m.text or ""))
    assert d.buyer.text("support_notify.sign_agent", name="老张") in (signed.text or "")

    # closed, then reopened by the lead only
    await d.group.press(d.lead, d.card_now(card), staff("support.btn.close"))
    await d.buyer.user.wait_for_message(
        10, lambda m: d.buyer.text("case_status.closed") in (m.text or "")
    )
    await d.settle()
    assert (await d.group.topic_named("RF-20261130-XXXX"))["is_closed"] is True
    await d.group.say(d.operator, thread, "/reopen")
    await d.group.wait_for_message(
        10, lambda m: staff("support.refused.not_lead") in (m.text or "")
    )
    await d.group.say(d.lead, thread, "/reopen")
    await d.buyer.user.wait_for_message(
        15, lambda m: d.buyer.text("case_status.in_review") in (m.text or "")
    )

    async def reopened() -> bool:  # by the support worker, on its own turn after the command
        return (await d.group.topic_named("RF-20261130-XXXX"))["is_closed"] is False

    await d.until("the topic reopened in Telegram", reopened)
    await d.settle()

    # a shadow-banned buyer is ignored without being told
    await d.group.say(d.lead, thread, "/shadowban")
    await d.group.wait_for_message(10, lambda m: staff("support.ban_set.shadow") in (m.text or ""))
    await d.buyer.user.send_text("/start")
    await d.settle()
    assert not d.buyer.user.pending()


async def test_two_questions_the_bot_cannot_answer_bring_a_person(
    desk: Desk,  # noqa: F811
) -> None:
    await seed_case(
        desk.settings,
        user_id=1001,
        number="RF-20261130-YYYY",
        status="with_merchant",
        route="merchant_review",
    )
    await desk.settle()
    assert not await desk.group.topics()  # the merchant handles it: no person yet
    await desk.buyer.say("火星上今天的天气怎么样？")
    await desk.settle()
    assert not await desk.group.topics()  # once is not yet a pattern
    await desk.buyer.say("你们老板最喜欢什么颜色？")
    await desk.topic_card("RF-20261130-YYYY")
    (topic,) = await rows(desk.settings, SupportTopic)
    assert topic.trigger == "bot_failed"
