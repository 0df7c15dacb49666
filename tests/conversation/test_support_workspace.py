"""The support workspace over HTTP: a forum supergroup on the fake Bot API with three
parties (a buyer, an operator, a plain member), a topic per case, the card and its
buttons, the relay both ways, notes, authorization and its audit trail."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.config import Settings
from bot.i18n import Translator
from bot.services.support import aware
from bot.storage import repo
from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case, CaseEvent
from bot.storage.support_models import MessageLink, OutboxMessage, SupportAudit, SupportTopic
from bot.telegram.console import plain
from tests.conversation.conftest import Buyer, Harness
from tests.fakeapi import BotMessage
from tests.fakeapi.client import FakeUser
from tests.fakeapi.forum import ForumGroup

DATA = Path(__file__).resolve().parents[1] / "data"
PNG = (DATA / "evidence.png").read_bytes()
PNG2 = (DATA / "evidence2.png").read_bytes()
SUPPORT = -1009000
STAFF = Translator("zh")


def staff(key: str, **values: Any) -> str:
    return plain(STAFF(key, **values))


def decision(outcome: str = "full_refund", route: str = "platform_review") -> dict[str, Any]:
    return {
        "outcome": outcome,
        "liable": "merchant",
        "route": route,
        "fee_percent": 0,
        "refund_amount": "98.50",
        "required_evidence": ["payment_record", "order_screenshot"],
        "missing_evidence": ["order_screenshot"],
        "deadlines": {"platform_response": {"amount": 48, "unit": "hours"}},
        "expected_arrival": None,
        "rule_id": "undelivered-merchant",
        "policy_version": "test",
        "policy_refs": ["undelivered"],
        "explanation": {"zh": "说明", "en": "explanation"},
    }


async def upload_photo(harness: Harness, data: bytes = PNG) -> tuple[str, str]:
    sizes = await harness.tg._call(
        "upload", kind="photo", data=__import__("base64").b64encode(data).decode()
    )
    return sizes[-1]["file_id"], sizes[-1]["file_unique_id"]


async def seed_case(
    settings: Settings,
    *,
    user_id: int,
    photo: tuple[str, str] | None = None,
    number: str,
    status: str = "in_review",
    route: str = "platform_review",
    outcome: str = "full_refund",
    lang: str = "zh",
    order: str = "KM20261130000512",
) -> int:
    """A case as the wizard stores it (the buyer's half is tested elsewhere)."""
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            await repo.upsert_user(session, user_id=user_id, first_name="李雷", username="lilei")
            case, _ = await repo.create_case(
                session,
                number=number,
                draft_key=f"draft-{number}",
                user_id=user_id,
                language=lang,
                order_number=order,
                platform_type="aggregator",
                order_status="paid_undelivered",
                cause="out_of_stock",
                cause_text=None,
                payment_channel="alipay",
                amount=Decimal("98.50"),
                paid_at=datetime.now(UTC),
                status=status,
                decision=decision(outcome, route),
                evidence=[
                    {
                        "file_id": photo[0],
                        "file_unique_id": photo[1],
                        "kind": "payment_record",
                        "mime_type": "image/png",
                        "size": 10,
                        "media": "photo",
                    },
                ]
                if photo
                else [],
                decided=False,
            )
            assert case.id is not None
            return case.id
    finally:
        await engine.dispose()


async def rows(settings: Settings, model: Any) -> list[Any]:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.exec(select(model))).all())
    finally:
        await engine.dispose()


@dataclass
class Desk:
    harness: Harness
    settings: Settings
    group: ForumGroup
    operator: FakeUser
    lead: FakeUser
    member: FakeUser
    buyer: Buyer

    async def topic_card(self, number: str, wait: float = 15) -> tuple[int, BotMessage]:
        """The pinned card of the case's topic (waits for the worker to open it)."""
        card = await self.group.wait_for_message(
            wait, lambda m: not m.edited and number in (m.text or "") and bool(m.buttons)
        )
        return int(card.raw["message_thread_id"]), card

    async def settle(self, within: float = 20) -> None:
        """Every update handled to the end, and the support worker (which runs on its own
        turn, not on an update) done with every topic job and due outbox message in the
        database, then a quiet moment for the calls that follow the last row written."""
        deadline = time.monotonic() + within
        while True:
            left = max(1.0, deadline - time.monotonic())
            await self.harness.tg.wait_confirmed(timeout=left)
            await asyncio.wait_for(self.harness.tracker.idle.wait(), timeout=left)
            await self.harness.tg.wait_idle(quiet=0.3, timeout=left)
            backlog = await self.worker_backlog()
            if not backlog:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the support worker did not finish within {within}s: {backlog}"
                )

    async def worker_backlog(self) -> list[str]:
        """What the support worker still has to do now: topics to open or reopen, and
        outbox messages due (or being sent); a message waiting out a retry is not due."""
        now = datetime.now(UTC)
        jobs = [
            f"topic of case {t.case_id}: {t.state}"
            for t in await rows(self.settings, SupportTopic)
            if t.state in ("opening", "reopening")
        ]
        # one place's messages go out in order: one behind an unfinished one waits with it
        unfinished: set[tuple[int, int | None]] = set()
        for o in sorted(await rows(self.settings, OutboxMessage), key=lambda o: o.id):
            if o.state not in ("pending", "sending"):
                continue
            place = (o.chat_id, o.thread_id)
            due = o.state == "sending" or (aware(o.next_attempt_at) or now) <= now
            if due and place not in unfinished:
                jobs.append(f"outbox {o.id} ({o.payload.get('op')}): {o.state}")
            unfinished.add(place)
        return jobs

    async def until(
        self, what: str, check: Callable[[], Awaitable[bool]], within: float = 15
    ) -> None:
        """Wait for a condition of the fake Bot API or the database (not for a quiet moment,
        which a loaded machine stretches past any fixed window)."""
        deadline = time.monotonic() + within
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {within}s: {what}")
            await asyncio.sleep(0.05)
            await self.harness.tg.sync()

    def card_now(self, card: BotMessage) -> BotMessage:
        return self.group.message(card.message_id)

    async def card_shows(self, card: BotMessage, needle: str, within: float = 15) -> None:
        """The card, refreshed by the worker after what it delivered, comes to show `needle`."""

        async def shows() -> bool:
            return needle in (self.card_now(card).text or "")

        try:
            await self.until(f"the card shows {needle!r}", shows, within)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; it reads {self.card_now(card).text!r}") from None


@pytest.fixture
async def desk(harness: Harness) -> AsyncIterator[Desk]:
    yield await make_desk(harness)


async def make_desk(harness: Harness, **overrides: Any) -> Desk:
    """The support group with its three parties and a running bot (`overrides`: settings)."""
    tg = harness.tg
    operator = tg.user(7001, first_name="小王", language_code="zh")
    lead = tg.user(7002, first_name="老张", language_code="zh")
    member = tg.user(7003, first_name="路人", language_code="zh")
    group = ForumGroup(tg, SUPPORT, "客服工作台", owner=lead)
    await group.ensure()
    await group.set_bot_admin(True)
    await group.set_member(operator, "administrator")
    await group.set_member(member, "member")
    settings = harness.settings(
        support_chat_id=SUPPORT, operator_ids="7001", lead_ids="7002", **overrides
    )
    buyer = harness.buyer(1001, "zh")
    await buyer.user.open_chat()
    await harness.start_bot(settings)
    return Desk(harness, settings, group, operator, lead, member, buyer)


async def test_a_case_routed_to_a_person_gets_a_topic_with_a_pinned_card_and_its_evidence(
    desk: Desk,
) -> None:
    photo = await upload_photo(desk.harness)
    case_id = await seed_case(desk.settings, user_id=1001, number="RF-20261130-AAAA", photo=photo)
    thread, card = await desk.topic_card("RF-20261130-AAAA")
    text = card.text or ""
    for needle in (
        "KM20261130000512",
        "98.50",
        "undelivered-merchant",
        "undelivered",
        staff("support.lang.zh"),
        "@lilei",
        staff("evidence.payment_record"),
    ):
        assert needle in text, needle
    assert staff("support.card_deadlines") in text  # the first-response deadline runs
    topic = await desk.group.topic_named("RF-20261130-AAAA")
    assert topic["message_thread_id"] == thread and topic["name"].startswith("🔍")
    assert card.message_id in await desk.group.pinned()
    assert set(card.button_texts()) >= {
        staff("support.btn.take"),
        staff("support.btn.approve"),
        staff("support.btn.reject"),
        staff("support.btn.close"),
    }
    photo = await desk.group.wait_for_message(10, lambda m: m.photo is not None)
    assert photo.raw["message_thread_id"] == thread  # the evidence follows in the topic
    (stored,) = await rows(desk.settings, SupportTopic)
    assert (stored.case_id, stored.thread_id, stored.card_message_id, stored.user_id) == (
        case_id,
        thread,
        card.message_id,
        1001,
    )


async def test_relay_both_ways_with_text_photo_album_edits_and_an_internal_note(desk: Desk) -> None:
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-BBBB")
    thread, _card = await desk.topic_card("RF-20261130-BBBB")

    # operator -> buyer: signed as the team, never with the operator's name
    await desk.group.say(desk.operator, thread, "您好，我们正在核实订单")
    reply = await desk.buyer.user.wait_for_message(10)
    assert "您好，我们正在核实订单" in (reply.text or "") and desk.buyer.text(
        "support_notify.sign_team"
    ) in (reply.text or "")
    assert "小王" not in (reply.text or "")
    operator_message = desk.operator.last_sent_message_id

    # an internal note is stored, never relayed
    await desk.group.say(desk.operator, thread, "/note 买家之前有过两次退款")
    await desk.settle()
    assert not [m for m in desk.buyer.user.pending() if "两次退款" in (m.text or "")]
    assert (
        not [  # nor queued for later
            o for o in await rows(desk.settings, OutboxMessage) if "两次退款" in str(o.payload)
        ]
    )
    events = await rows(desk.settings, CaseEvent)
    assert any(e.kind == "note" and "两次退款" in e.payload["text"] for e in events)

    # buyer -> topic (a reply lands as a reply on the copy)
    await desk.buyer.user.send_text("好的，谢谢", reply_to=reply)
    copy = await desk.group.wait_for_message(10, lambda m: "好的，谢谢" in (m.text or ""))
    assert copy.raw["message_thread_id"] == thread
    assert copy.raw.get("reply_to_message", {}).get("message_id") is not None

    # buyer edits: the copy follows
    await desk.buyer.user.edit_text(desk.buyer.user.last_sent_message_id, "好的，非常感谢")
    edited = await desk.group.wait_for_edit(copy, 10)
    assert edited.text == "好的，非常感谢"

    # operator edits: the buyer's copy follows
    await desk.group.edit(desk.operator, operator_message, "您好，我们已核实订单")
    fixed = await desk.buyer.user.wait_for_edit(reply, 10)
    assert "已核实订单" in (fixed.text or "")

    # photos both ways, and an album
    await desk.buyer.user.send_photo(PNG, caption="付款截图")
    photo = await desk.group.wait_for_message(
        10,
        lambda m: (
            m.photo is not None
            and m.raw.get("message_thread_id") == thread
            and "付款截图" in (m.text or "")
        ),
    )
    assert photo.photo
    await desk.group.photo(desk.operator, thread, caption="请看这张")
    sent = await desk.buyer.user.wait_for_message(10, lambda m: m.photo is not None)
    assert "请看这张" in (sent.text or "") and desk.buyer.text("support_notify.sign_team") in (
        sent.text or ""
    )
    await desk.group.album(desk.operator, thread, [PNG, PNG2], caption="两张图")
    album = await desk.buyer.user.wait_for_messages(2, 10, lambda m: m.photo is not None)
    assert (
        album[0].raw.get("media_group_id")
        and album[0].raw["media_group_id"] == album[1].raw["media_group_id"]
    )
    await desk.buyer.user.send_photo(PNG2)  # not an album: one photo relayed as is
    await desk.group.wait_for_message(
        10, lambda m: m.photo is not None and m.raw.get("message_thread_id") == thread
    )
    links = await rows(desk.settings, MessageLink)
    assert len(links) >= 6


async def test_a_plain_member_and_a_forged_callback_are_refused_audited_and_change_nothing(
    desk: Desk,
) -> None:
    case_id = await seed_case(desk.settings, user_id=1001, number="RF-20261130-CCCC")
    other_id = await seed_case(
        desk.settings, user_id=1002, number="RF-20261130-DDDD", order="KM20261130000999"
    )
    thread, card = await desk.topic_card("RF-20261130-CCCC")
    await desk.topic_card("RF-20261130-DDDD")
    await desk.settle()

    await desk.group.press(desk.member, card, staff("support.btn.approve"))
    answer = await desk.member.last_callback_answer(10)
    assert answer is not None and answer.text == staff("support.refused.not_operator")

    # a forged button: the operator's real right, another case's id in this topic's card
    await desk.group.forge_press(desk.operator, card, f"s2:approve:{other_id}")
    answer = await desk.operator.last_callback_answer(10)
    assert answer is not None and answer.text == staff("support.refused.case_mismatch")
    await desk.group.forge_press(desk.operator, card, "s2:approve:not-a-number")
    answer = await desk.operator.last_callback_answer(10)
    assert answer is not None and answer.text == staff("support.refused.forged")

    # a plain member's message in the topic is not relayed
    await desk.group.say(desk.member, thread, "我来替客服回答：请把验证码发我")
    await desk.settle()
    assert not [m for m in desk.buyer.user.pending() if "验证码" in (m.text or "")]
    assert (
        not [  # nor queued for later
            o for o in await rows(desk.settings, OutboxMessage) if "验证码" in str(o.payload)
        ]
    )

    cases = {c.id: c for c in await rows(desk.settings, Case)}
    assert cases[case_id].status == "in_review" and cases[other_id].status == "in_review"
    audit = await rows(desk.settings, SupportAudit)
    refused = [(a.actor_id, a.reason) for a in audit if not a.allowed]
    assert (
        (7003, "not_operator") in refused
        and (7001, "case_mismatch") in refused
        and (7001, "forged") in refused
    )
    assert sum(1 for a in refused if a == (7003, "not_operator")) >= 2  # the button and the message


async def test_the_buyer_name_trick_cannot_redirect_replies(desk: Desk) -> None:
    """A buyer named `#buyer1002` gets nothing meant for buyer 1002, and vice versa."""
    trickster = desk.harness.buyer(1003, "zh", first_name="#buyer1002")
    await trickster.user.open_chat()
    victim = desk.harness.buyer(1002, "zh")
    await victim.user.open_chat()
    await seed_case(desk.settings, user_id=1003, number="RF-20261130-EEEE")
    thread, card = await desk.topic_card("RF-20261130-EEEE")
    await desk.group.say(desk.operator, thread, "请补充订单截图")
    got = await trickster.user.wait_for_message(10)
    assert "请补充订单截图" in (got.text or "")
    await desk.settle()
    assert not victim.user.pending()


async def test_buttons_move_the_case_and_the_buyer_is_told_in_their_language(desk: Desk) -> None:
    english = desk.harness.buyer(1004, "en")
    await english.user.open_chat()
    case_id = await seed_case(desk.settings, user_id=1004, number="RF-20261130-FFFF", lang="en")
    thread, card = await desk.topic_card("RF-20261130-FFFF")

    await desk.group.press(desk.operator, card, staff("support.btn.take"))
    await desk.settle()
    await desk.group.press(desk.operator, card, staff("support.btn.evidence"))
    prompt = await desk.group.wait_for_message(
        10, lambda m: "小王" in (m.text or "") and not m.buttons
    )
    assert prompt.raw["message_thread_id"] == thread
    await desk.group.say(desk.operator, thread, "order page showing 待发货")
    notice = await english.user.wait_for_message(10, lambda m: "RF-20261130-FFFF" in (m.text or ""))
    assert english.text("case_status.needs_evidence") in (
        notice.text or ""
    ) and "order page showing" in (notice.text or "")
    topic = await desk.group.topic_named("RF-20261130-FFFF")
    assert topic["name"].startswith("📎")

    await desk.group.press(desk.operator, desk.card_now(card), staff("support.btn.approve"))
    notice = await english.user.wait_for_message(
        10, lambda m: english.text("case_status.approved") in (m.text or "")
    )
    assert english.needle("support_notify.next.approved") in (notice.text or "")
    # /cases shows the same status
    messages = await english.say("/cases")
    assert any(
        english.text("case_status.approved") in b for m in messages for b in m.button_texts()
    )

    await desk.group.press(desk.operator, desk.card_now(card), staff("support.btn.refunded"))
    await english.user.wait_for_message(
        10, lambda m: english.text("case_status.refunded") in (m.text or "")
    )
    await desk.group.press(desk.operator, desk.card_now(card), staff("support.btn.close"))
    closing = await english.user.wait_for_message(
        10, lambda m: english.text("case_status.closed") in (m.text or "")
    )
    assert closing.has_button(english.text("support_notify.rate_button", score=5))
    await desk.settle()
    topic = await desk.group.topic_named("RF-20261130-FFFF")
    assert topic["is_closed"] is True

    await english.press(closing, english.text("support_notify.rate_button", score=4))
    answer = await english.user.last_callback_answer(10)
    assert answer is not None and answer.text == english.text("support_notify.rated")

    await desk.group.say(desk.operator, None, "/stats")
    stats = await desk.group.wait_for_message(10, lambda m: "📊" in (m.text or ""))
    assert staff("support.stats_rating", operator=7001, count=1, average="4.0") in (
        stats.text or ""
    )
    statuses = [
        e.payload["status"]
        for e in await rows(desk.settings, CaseEvent)
        if e.kind == "status" and e.case_id == case_id
    ]
    assert statuses[-4:] == ["needs_evidence", "approved", "refunded", "closed"]


async def test_a_buyer_who_asks_for_a_person_gets_a_topic(desk: Desk) -> None:
    await seed_case(
        desk.settings,
        user_id=1001,
        number="RF-20261130-GGGG",
        status="with_merchant",
        route="merchant_review",
    )
    await desk.settle()
    assert not await desk.group.topics()  # the merchant handles it: no person yet
    messages = await desk.buyer.say("/human")
    desk.buyer.expect(messages, "support.handed_over", number="RF-20261130-GGGG")
    thread, card = await desk.topic_card("RF-20261130-GGGG")
    assert (await desk.group.topic_named("RF-20261130-GGGG"))["message_thread_id"] == thread
    messages = await desk.buyer.say("/human")
    desk.buyer.expect(messages, "support_notify.already_with_person", number="RF-20261130-GGGG")
    # while a person has it, what the buyer writes goes into the topic
    await desk.buyer.user.send_text("请问什么时候能退款？")
    await desk.group.wait_for_message(
        10,
        lambda m: "什么时候能退款" in (m.text or "") and m.raw.get("message_thread_id") == thread,
    )


async def test_operator_commands_queue_case_find(desk: Desk) -> None:
    await seed_case(
        desk.settings, user_id=1001, number="RF-20261130-HHHH", order="KM20261130000777"
    )
    await desk.topic_card("RF-20261130-HHHH")
    await desk.group.say(desk.operator, None, "/queue")
    queue = await desk.group.wait_for_message(
        10, lambda m: staff("support.queue_title", count=1) in (m.text or "")
    )
    assert "RF-20261130-HHHH" in (queue.text or "")
    await desk.group.say(desk.operator, None, "/case RF-20261130-HHHH")
    found = await desk.group.wait_for_message(10, lambda m: "t.me/c/" in (m.text or ""))
    assert "RF-20261130-HHHH" in (found.text or "")
    await desk.group.say(desk.operator, None, "/find KM20261130000777")
    await desk.group.wait_for_message(
        10, lambda m: staff("support.find_title", order="KM20261130000777") in (m.text or "")
    )
    await desk.group.say(desk.member, None, "/queue")
    refused = await desk.group.wait_for_message(
        10, lambda m: staff("support.refused.not_operator") in (m.text or "")
    )
    assert "RF-20261130-HHHH" not in (refused.text or "")


async def test_a_lead_bans_a_buyer_who_is_told_once(desk: Desk) -> None:
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-JJJJ")
    thread, _ = await desk.topic_card("RF-20261130-JJJJ")
    await desk.group.say(desk.operator, thread, "/ban")
    await desk.group.wait_for_message(
        10, lambda m: staff("support.refused.not_lead") in (m.text or "")
    )
    await desk.group.say(desk.lead, thread, "/ban")
    await desk.group.wait_for_message(10, lambda m: staff("support.ban_set.ban") in (m.text or ""))
    messages = await desk.buyer.say("/start")
    desk.buyer.expect(messages, "support_notify.banned")
    await desk.buyer.user.send_text("/start")
    await desk.settle()
    assert not desk.buyer.user.pending()
    await desk.group.say(desk.lead, thread, "/unban")
    await desk.group.wait_for_message(
        10, lambda m: staff("support.ban_set.lifted") in (m.text or "")
    )
    messages = await desk.buyer.say("/start")
    desk.buyer.expect(messages, "start.welcome")
    audit = await rows(desk.settings, SupportAudit)
    assert [(a.actor_id, a.reason) for a in audit if a.action == "ban" and a.allowed] == [
        (7002, "ban"),
        (7002, "lifted"),
    ]


async def test_a_notification_hit_by_429_is_delivered_later(desk: Desk) -> None:
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-KKKK")
    _thread, card = await desk.topic_card("RF-20261130-KKKK")
    await desk.settle()
    await desk.harness.tg.fail_next("sendMessage", 429, retry_after=1)
    await desk.group.press(desk.operator, card, staff("support.btn.approve"))
    notice = await desk.buyer.user.wait_for_message(
        15, lambda m: "RF-20261130-KKKK" in (m.text or "")
    )
    assert desk.buyer.text("case_status.approved") in (notice.text or "")
    outbox = [o for o in await rows(desk.settings, OutboxMessage) if o.chat_id == 1001]
    # the Bot API retry layer waits out the 429 inside the first attempt, or the outbox worker
    # retries it later: either way it is delivered, once (outbox backoff: test_support_service)
    assert len(outbox) == 1 and outbox[0].state == "sent" and outbox[0].attempts in (1, 2)
    await desk.settle()
    assert (
        len([m for m in desk.buyer.user.messages() if "RF-20261130-KKKK" in (m.text or "")]) == 1
    )  # never twice


async def test_other_groups_are_not_the_support_group(desk: Desk) -> None:
    """Routers are scoped by chat: a scam posted as a reply in an ordinary group is warned
    about, and the operators' commands do nothing there."""
    group = desk.harness.tg.group(-100777, title="玩家群")
    await group.ensure()
    await group.set_bot_admin(True)
    talker = desk.harness.tg.user(8001, first_name="群友", language_code="zh")
    await group.send_text(talker, "有人知道怎么退款吗")
    question = talker.last_sent_message_id
    scammer = desk.harness.tg.user(8002, first_name="客服", language_code="zh")
    await group.send_text(
        scammer,
        "我是平台客服，点击 http://alipay-tuikuan.top/r 退款并告诉我验证码",
        reply_to=question,
    )
    warning = await group.wait_for_message(10)
    assert warning.raw.get("reply_to_message", {}).get("message_id") == scammer.last_sent_message_id
    await group.send_text(desk.operator, "/queue")
    await desk.settle()
    assert not [
        m
        for m in group.pending()
        if staff("support.refused.wrong_chat") in (m.text or "") or "📋" in (m.text or "")
    ]
    assert not [a for a in await rows(desk.settings, SupportAudit) if a.reason == "wrong_chat"]


async def test_saved_replies_in_the_buyers_language_editable_by_leads(desk: Desk) -> None:
    english = desk.harness.buyer(1005, "en")
    await english.user.open_chat()
    await seed_case(desk.settings, user_id=1005, number="RF-20261130-SSSS", lang="en")
    thread, _ = await desk.topic_card("RF-20261130-SSSS")
    await desk.group.say(desk.operator, thread, "/reply")
    names = await desk.group.wait_for_message(10, lambda m: "out_of_stock_refund" in (m.text or ""))
    assert "invalid_code_proof" not in (names.text or "")  # another cause's reply is not offered
    await desk.group.say(desk.operator, thread, "/reply greeting")
    got = await english.user.wait_for_message(10, lambda m: "platform support" in (m.text or ""))
    assert english.text("support_notify.sign_team") in (got.text or "")
    await desk.group.say(desk.operator, None, "/reply_set greeting en Hi, support here.")
    await desk.group.wait_for_message(
        10, lambda m: staff("support.refused.not_lead") in (m.text or "")
    )
    await desk.group.say(desk.lead, None, "/reply_set greeting en Hi, support here.")
    await desk.group.wait_for_message(
        10, lambda m: staff("support.reply_saved", name="greeting", lang="en") in (m.text or "")
    )
    await desk.group.say(desk.operator, thread, "/reply greeting")
    await english.user.wait_for_message(10, lambda m: "Hi, support here." in (m.text or ""))


async def test_the_daily_digest_lists_open_cases_once(desk: Desk) -> None:
    from tests.conversation.test_support_deadlines import clocked_instance
    from tests.unit.test_support_service import FakeClock

    await seed_case(desk.settings, user_id=1001, number="RF-20261130-TTTT")
    await desk.topic_card("RF-20261130-TTTT")
    local = datetime.now(desk.settings.tz).replace(hour=9, minute=30) + __import__(
        "datetime"
    ).timedelta(days=1)
    clock = FakeClock(local.astimezone(UTC))
    async with clocked_instance(desk, clock) as other:
        await other.tick()
        digest = await desk.group.wait_for_message(15, lambda m: "🗓" in (m.text or ""))
        assert "RF-20261130-TTTT" in (digest.text or "") and "message_thread_id" not in digest.raw
        await desk.settle()
        count = len([m for m in desk.group.messages() if "🗓" in (m.text or "")])
        clock.advance(hours=3)
        await other.tick()
        await desk.settle()
        assert (
            len([m for m in desk.group.messages() if "🗓" in (m.text or "")]) == count
        )  # once a day


async def test_an_undeliverable_message_says_why(desk: Desk) -> None:
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-UUUU")
    thread, card = await desk.topic_card("RF-20261130-UUUU")
    await desk.group.say(desk.operator, thread, "您" * 4100)
    await desk.group.wait_for_message(
        10,
        lambda m: (
            staff("support.undeliverable", reason=staff("support.why.too_long")) in (m.text or "")
        ),
    )
    await desk.buyer.user.block()
    await desk.group.say(desk.operator, thread, "您好")
    await desk.group.wait_for_message(
        10,
        lambda m: (
            staff("support.undeliverable", reason=staff("support.why.blocked")) in (m.text or "")
        ),
    )
    # a status change's notification: given up at once, and the topic is told why
    await desk.group.press(desk.operator, card, staff("support.btn.approve"))
    told = await desk.group.wait_for_message(
        15,
        lambda m: (
            "⚠️" in (m.text or "")
            and staff("support.why.blocked") in (m.text or "")
            and m.raw.get("message_thread_id") == thread
        ),
    )
    assert staff("support.notify_failed", reason=staff("support.why.blocked")) in (told.text or "")
