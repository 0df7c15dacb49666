"""Questions over the real bot: small talk, the fact first with section titles, and the
unanswered questions kept anonymised for the knowledge report."""

from __future__ import annotations

from sqlmodel import select

from bot.storage.db import create_engine, session_factory
from bot.storage.models import UnansweredQuestion
from tests.conversation.conftest import Harness


async def stored_questions(database_url: str) -> list[UnansweredQuestion]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.exec(select(UnansweredQuestion))).all())
    finally:
        await engine.dispose()


async def test_greeting_thanks_and_order_number_get_short_right_answers(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(5101, "zh")
    greeting = buyer.find(await buyer.say("你好"), "您好！我是平台的退款助手")
    assert "依据" not in greeting.text  # small talk cites nothing
    buyer.find(await buyer.say("谢谢！"), "不客气")
    answer = buyer.find(await buyer.say("订单号在哪"), "我的订单")
    assert answer.text.splitlines()[0].startswith("订单号在")  # the fact asked, first
    assert "「订单号在哪里看」" in answer.text and "order-number" not in answer.text


async def test_unsure_questions_are_kept_anonymised(harness: Harness) -> None:
    running = await harness.start_bot()
    buyer = harness.buyer(5102, "zh")
    messages = await buyer.say("帮我看看13812345678这个号今天天气怎么样")
    buyer.expect(messages, "ask.not_sure")
    rows = await stored_questions(running.settings.database_url)
    assert len(rows) == 1
    row = rows[0]
    assert row.reason == "unsure" and row.lang == "zh"
    assert "13812345678" not in row.question and "***********" in row.question
    assert "5102" not in repr(row.model_dump())  # no user id anywhere


async def test_an_answer_marked_unhelpful_is_kept(harness: Harness) -> None:
    running = await harness.start_bot()
    buyer = harness.buyer(5103, "en")
    await buyer.say("/start")
    messages = await buyer.say(
        "how long does a refund to my bank card take? card 6222 0212 3456 7890 123"
    )
    answer = buyer.find(messages, "Refund arrival times")
    messages = await buyer.press(answer, buyer.t("knowledge.btn_unhelpful"))
    buyer.expect(messages, "knowledge.unhelpful_thanks")
    rows = await stored_questions(running.settings.database_url)
    assert [(r.reason, r.lang, r.sections) for r in rows] == [
        ("unhelpful", "en", ["arrival-times"])
    ]
    assert "6222" not in rows[0].question and "how long does a refund" in rows[0].question
