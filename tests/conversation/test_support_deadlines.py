"""Deadlines in the running workspace: a second instance of the bot's worker with a
controllable clock fires them (the running bot's own worker keeps the real clock), and a
restart keeps the open topic and the pending timers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot.policy_files import DEFAULT_POLICY_PATH, load_policy
from bot.services.support import SupportService, local_day_start
from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case
from bot.storage.support_models import CaseTimer
from bot.telegram.handlers.support.workspace import Workspace
from tests.conversation.test_support_workspace import (  # noqa: F401
    PNG,
    Desk,
    desk,
    rows,
    seed_case,
    staff,
)
from tests.fakeapi import make_bot
from tests.unit.test_support_service import FakeClock

POLICY = load_policy(DEFAULT_POLICY_PATH)


@asynccontextmanager
async def clocked_instance(
    d: Desk, clock: FakeClock, name: str = "clocked"
) -> AsyncIterator[Workspace]:
    """Another instance of the bot's worker, on the same database, with a fake clock."""
    engine = create_engine(d.settings.database_url)
    bot = make_bot(d.harness.server)
    try:
        support = SupportService(
            sessions=session_factory(engine),
            policy=POLICY,
            chat_id=d.settings.support_chat_id,
            clock=clock,
            tz_name=d.settings.timezone,
        )
        yield Workspace(bot, support, d.settings, instance=name)
    finally:
        await bot.session.close()
        await engine.dispose()


async def status_of(d: Desk, number: str) -> str:
    (case,) = [c for c in await rows(d.settings, Case) if c.number == number]
    return case.status


async def test_a_merchant_who_lets_the_deadline_pass_is_held_responsible(desk: Desk) -> None:  # noqa: F811
    await seed_case(
        desk.settings,
        user_id=1001,
        number="RF-20261130-MMMM",
        status="with_merchant",
        route="merchant_review",
    )
    clock = FakeClock(datetime.now(UTC))
    async with clocked_instance(desk, clock) as other:
        await other.support.reconcile()
        clock.advance(hours=23)
        await other.tick()
        assert await status_of(desk, "RF-20261130-MMMM") == "with_merchant"
        clock.advance(hours=1, minutes=1)
        await other.tick()
        await other.tick()  # opens the topic the deadline asked for, delivers
    assert await status_of(desk, "RF-20261130-MMMM") == "approved"
    notice = await desk.buyer.user.wait_for_message(
        15, lambda m: "RF-20261130-MMMM" in (m.text or "")
    )
    assert desk.buyer.needle("support_notify.cause.merchant_silent") in (notice.text or "")
    thread, card = await desk.topic_card("RF-20261130-MMMM")
    assert (await desk.group.topic_named("RF-20261130-MMMM"))["name"].startswith("✅")


async def test_first_response_reminder_and_breach_in_the_topic(desk: Desk) -> None:  # noqa: F811
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-NNNN")
    thread, _card = await desk.topic_card("RF-20261130-NNNN")
    (first,) = [
        t for t in await rows(desk.settings, CaseTimer) if t.kind == "first_response_deadline"
    ]
    due = first.due_at if first.due_at.tzinfo else first.due_at.replace(tzinfo=UTC)
    clock = FakeClock(due - timedelta(hours=1))
    async with clocked_instance(desk, clock) as other:
        await other.tick()
        reminder = await desk.group.wait_for_message(15, lambda m: "⏰" in (m.text or ""))
        assert reminder.raw["message_thread_id"] == thread
        clock.advance(hours=1, seconds=1)
        await other.tick()
        breach = await desk.group.wait_for_message(
            15, lambda m: staff("support.first_response_breached") in (m.text or "")
        )
        assert breach.raw["message_thread_id"] == thread
        clock.advance(days=1)
        await other.tick()  # fired once: nothing more
    await desk.settle()
    assert not [m for m in desk.group.pending() if "🚨" in (m.text or "")]
    await desk.group.say(desk.operator, None, "/stats")
    stats = await desk.group.wait_for_message(10, lambda m: "📊" in (m.text or ""))
    day = local_day_start(datetime.now(UTC), desk.settings.timezone)[1].isoformat()
    assert staff("support.stats", day=day, new=1, decided=0, refunded=0, breached=1) in (
        stats.text or ""
    )


async def test_evidence_window_reminds_the_buyer_then_lapses(desk: Desk) -> None:  # noqa: F811
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-PPPP")
    thread, card = await desk.topic_card("RF-20261130-PPPP")
    await desk.group.press(desk.operator, card, staff("support.btn.evidence"))
    await desk.group.wait_for_message(10, lambda m: "小王" in (m.text or ""))
    await desk.group.say(desk.operator, thread, "订单详情页截图")
    await desk.buyer.user.wait_for_message(10, lambda m: "订单详情页截图" in (m.text or ""))
    clock = FakeClock(datetime.now(UTC))
    hours = POLICY.deadlines["evidence_supplement"].amount * 24
    async with clocked_instance(desk, clock) as other:
        clock.advance(hours=hours * 0.75 + 0.1)
        await other.tick()
        reminder = await desk.buyer.user.wait_for_message(15, lambda m: "⏰" in (m.text or ""))
        assert "RF-20261130-PPPP" in (reminder.text or "")
        clock.advance(hours=hours * 0.25)
        await other.tick()
        lapsed = await desk.buyer.user.wait_for_message(
            15,
            lambda m: desk.buyer.needle("support_notify.cause.evidence_lapsed") in (m.text or ""),
        )
        assert lapsed.has_button(desk.buyer.text("support_notify.rate_button", score=5))
    assert await status_of(desk, "RF-20261130-PPPP") == "closed"
    await desk.settle()
    assert (await desk.group.topic_named("RF-20261130-PPPP"))["is_closed"] is True


async def test_an_appeal_in_the_window_reopens_the_topic(  # noqa: F811
    desk: Desk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-QQQQ")
    thread, card = await desk.topic_card("RF-20261130-QQQQ")
    await desk.group.press(desk.operator, card, staff("support.btn.reject"))
    await desk.group.wait_for_message(10, lambda m: "小王" in (m.text or ""))
    await desk.group.say(desk.operator, thread, "订单已发货")
    await desk.buyer.user.wait_for_message(10, lambda m: "订单已发货" in (m.text or ""))
    await desk.settle()
    await desk.group.press(desk.operator, desk.card_now(card), staff("support.btn.close"))
    await desk.buyer.user.wait_for_message(
        10, lambda m: desk.buyer.text("case_status.closed") in (m.text or "")
    )
    await desk.settle()
    assert (await desk.group.topic_named("RF-20261130-QQQQ"))["is_closed"] is True
    # the buyer appeals from /cases
    messages = await desk.buyer.say("/cases")
    listing = desk.buyer.find(messages, desk.buyer.needle("cases.title", count=1))
    opened = await desk.buyer.press(listing, listing.button_texts()[0])
    detail = opened[-1]

    # the sweep that reopens appealed cases' topics waits until the appeal's screenshot is in
    async def no_sweep(self: SupportService, *, limit: int = 200) -> int:
        return 0

    monkeypatch.setattr(SupportService, "reconcile", no_sweep)
    await desk.buyer.press(detail, desk.buyer.t("btn.appeal"))
    await desk.buyer.say("商家明明没有发货，请重新审核")
    await desk.buyer.user.send_photo(PNG + b"appeal")  # added while the topic is closed
    await desk.buyer.settle()
    await desk.buyer.choose("btn.evidence_done")
    monkeypatch.undo()
    card2 = await desk.group.wait_for_message(
        20, lambda m: "RF-20261130-QQQQ" in (m.text or "") and bool(m.buttons) and not m.edited
    )
    assert card2.raw["message_thread_id"] == thread  # the same topic, reopened
    assert (await desk.group.topic_named("RF-20261130-QQQQ"))["is_closed"] is False
    posted = await desk.group.wait_for_message(15, lambda m: m.photo is not None)
    assert posted.raw["message_thread_id"] == thread  # the appeal's evidence follows


async def test_a_restart_keeps_the_open_topic_and_the_pending_timers(desk: Desk) -> None:  # noqa: F811
    await seed_case(desk.settings, user_id=1001, number="RF-20261130-RRRR")
    thread, _card = await desk.topic_card("RF-20261130-RRRR")
    pending = [t for t in await rows(desk.settings, CaseTimer) if t.fired_at is None]
    assert pending
    await desk.harness.bots[-1].stop()
    desk.harness.bots.pop()
    await desk.harness.start_bot(desk.settings)
    # the relay still knows the topic's buyer
    await desk.group.say(desk.operator, thread, "重启之后我们继续处理")
    reply = await desk.buyer.user.wait_for_message(15, lambda m: "重启之后" in (m.text or ""))
    assert reply.text
    # the timers are still pending and fire after the restart (the first answer stopped
    # the first-response clock, so they end as cancelled, not fired by mistake)
    after = {t.id: t for t in await rows(desk.settings, CaseTimer)}
    assert all(t.id in after for t in pending)
    assert {after[t.id].fired_by for t in pending} <= {None, "answered"}
    assert await desk.group.topics() and len(await desk.group.topics()) == 1  # not opened twice


async def test_the_setup_check_names_the_missing_right(harness) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from bot.config import ConfigError
    from tests.fakeapi.forum import ForumGroup

    group = ForumGroup(harness.tg, -1009100, "Support")
    await group.ensure()
    await group.set_bot_admin(True, can_manage_topics=False)
    with pytest.raises(
        ConfigError, match="SUPPORT_CHAT_ID: the bot lacks the admin right to manage topics"
    ):
        await harness.start_bot(support_chat_id=-1009100)
    await group.set_bot_admin(True, can_pin_messages=False)
    with pytest.raises(ConfigError, match="pin messages"):
        await harness.start_bot(support_chat_id=-1009100)
    plain = harness.tg.group(-1009200, title="Not a forum")
    await plain.ensure()
    await plain.set_bot_admin(True)
    with pytest.raises(ConfigError, match="not a forum supergroup"):
        await harness.start_bot(support_chat_id=-1009200)


def test_the_cli_stops_with_one_line_and_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.commands import run
    from bot.config import ConfigError

    async def failing(settings: object) -> None:
        raise ConfigError(
            "invalid setting SUPPORT_CHAT_ID: the bot lacks the admin right to pin messages in chat -1"
        )

    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setattr(run, "serve", failing)
    monkeypatch.setattr(run, "configure_logging", lambda: None)
    assert run.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "refund-bot: invalid setting SUPPORT_CHAT_ID: the bot lacks the admin right to pin messages in chat -1"
    ]
