"""Fast handler tests: `Dispatcher.feed_update` with a session that records requests."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User
from sqlalchemy.exc import OperationalError

from bot.app import Services, create_dispatcher, create_services
from bot.config import Settings
from bot.i18n import Translator
from bot.telegram.console import plain
from tests.support.recording import RecordingSession

_ids = itertools.count(1)


@dataclass
class Chatter:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    services: Services
    user: User

    @property
    def chat(self) -> Chat:
        return Chat(id=self.user.id, type="private")

    async def say(self, text: str) -> None:
        entities = (
            [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
            if text.startswith("/")
            else None
        )
        message = Message(
            message_id=next(_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
            entities=entities,
        )
        await self.dp.feed_update(self.bot, Update(update_id=next(_ids), message=message))

    async def press(self, label: str) -> None:
        for message in reversed(self.session.messages()):
            for row in message.reply_markup.inline_keyboard if message.reply_markup else []:
                for button in row:
                    if button.text == label:
                        query = CallbackQuery(
                            id=str(next(_ids)),
                            from_user=self.user,
                            chat_instance="c",
                            message=message,
                            data=button.callback_data,
                        )
                        await self.dp.feed_update(
                            self.bot, Update(update_id=next(_ids), callback_query=query)
                        )
                        return
        raise AssertionError(f"no button {label!r}")

    def last_texts(self, n: int = 3) -> list[str]:
        return [plain(text) for text in self.session.texts()[-n:]]

    async def state(self) -> str | None:
        key = StorageKey(bot_id=self.bot.id, chat_id=self.user.id, user_id=self.user.id)
        return await self.dp.storage.get_state(key)


@pytest.fixture
async def chatter(make_settings: Callable[..., Settings]) -> AsyncIterator[Chatter]:
    services = await create_services(make_settings())
    dp = create_dispatcher(services)
    session = RecordingSession()
    bot = Bot("42:TEST", session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    user = User(id=77, is_bot=False, first_name="Wang", language_code="zh-hans")
    yield Chatter(dp, bot, session, services, user)
    await services.close()


def needle(lang: str, key: str, **values: Any) -> str:
    return plain(Translator(lang)(key, **values)).strip().splitlines()[0]


async def test_start_shows_the_promise_and_the_menu(chatter: Chatter) -> None:
    await chatter.say("/start")
    sent = chatter.session.calls(SendMessage)[-1]
    assert "绝不会" in sent.text
    labels = [b.text for row in sent.reply_markup.inline_keyboard for b in row]
    assert labels == [
        Translator("zh")(f"menu.{k}") for k in ("refund", "cases", "ask", "check", "human")
    ]


async def test_english_from_the_telegram_language(chatter: Chatter) -> None:
    chatter.user = User(id=78, is_bot=False, first_name="Ann", language_code="en-GB")
    await chatter.say("/start")
    assert needle("en", "start.welcome") in chatter.last_texts(1)[0]


async def walk_to_summary(chatter: Chatter) -> None:
    t = Translator("zh")
    await chatter.say("/start")
    await chatter.press(t("menu.refund"))
    await chatter.say("KM20261121000123")
    await chatter.press(t("platform.aggregator"))
    await chatter.press(t("status.delivered"))
    await chatter.press(t("cause_group.buyer"))
    await chatter.press(t("cause.wrong_product"))
    await chatter.press(t("channel.alipay"))
    await chatter.say("200")
    await chatter.press(t("quick_time.now"))
    await chatter.press(t("btn.evidence_done"))
    assert await chatter.state() == "Wizard:summary"


async def test_partial_refund_with_the_fee_shown(chatter: Chatter) -> None:
    await walk_to_summary(chatter)
    decision = next(
        text
        for text in map(plain, chatter.session.texts())
        if needle("zh", "decision.title") in text
    )
    assert needle("zh", "outcome.partial_refund") in decision
    assert "¥180.00" in decision and "10%" in decision


async def test_database_down_at_submission_loses_nothing(chatter: Chatter) -> None:
    await walk_to_summary(chatter)
    working = chatter.services.refunds.sessions

    def broken() -> Any:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("database is down"))

    chatter.services.refunds.sessions = broken  # type: ignore[assignment]
    await chatter.press(Translator("zh")("btn.confirm"))
    alert = chatter.session.calls(AnswerCallbackQuery)[-1]
    assert alert.text == Translator("zh")("error.unavailable") and alert.show_alert
    assert await chatter.state() == "Wizard:summary"  # the answers are still there

    chatter.services.refunds.sessions = working
    await chatter.press(Translator("zh")("btn.confirm"))
    assert any(needle("zh", "submitted.next") in text for text in chatter.last_texts(2))
    cases = await chatter.services.refunds.list_cases(user_id=77)
    assert len(cases) == 1 and cases[0].outcome == "partial_refund"


async def test_cancel_anywhere(chatter: Chatter) -> None:
    await chatter.say("/start")
    await chatter.press(Translator("zh")("menu.refund"))
    await chatter.say("KM20261121000123")
    await chatter.say("/cancel")
    assert await chatter.state() is None
    assert needle("zh", "wizard.cancelled") in chatter.last_texts(1)[0]


async def test_unknown_command_and_non_text_outside_a_flow(chatter: Chatter) -> None:
    await chatter.say("/frobnicate")
    assert needle("zh", "hint.unknown_command") in chatter.last_texts(1)[0]


async def test_huge_free_text_is_refused_politely(chatter: Chatter) -> None:
    await chatter.say("退款" * 3000)
    assert needle("zh", "error.too_long", max=4000) in chatter.last_texts(1)[0]


async def test_an_undisclosed_fee_is_not_charged(chatter: Chatter) -> None:
    await walk_to_summary(chatter)
    await chatter.press(Translator("zh")("btn.fee_not_disclosed"))
    edited = [
        plain(m.text or "")
        for m in chatter.session.messages()
        if needle("zh", "decision.fee_waived") in plain(m.text or "")
    ]
    assert edited and "¥200.00" in edited[0]
    summary = plain(chatter.session.messages()[-1].text or "")
    assert (
        needle("zh", "summary.title") in summary and needle("zh", "decision.fee_waived") in summary
    )
    await chatter.press(Translator("zh")("btn.confirm"))
    cases = await chatter.services.refunds.list_cases(user_id=77)
    assert cases[0].outcome == "full_refund" and cases[0].decision["fee_percent"] in (0, "0", 0.0)


async def test_a_flood_is_slowed_down(make_settings: Callable[..., Settings]) -> None:
    services = await create_services(make_settings(rate_limit=5, rate_window_seconds=60))
    try:
        session = RecordingSession()
        chatter = Chatter(
            create_dispatcher(services),
            Bot("42:TEST", session=session),
            session,
            services,
            User(id=79, is_bot=False, first_name="F"),
        )
        for _ in range(12):
            await chatter.say("/help")
        texts = [plain(m.text or "") for m in session.messages()]
        assert sum(needle("zh", "start.help") in text for text in texts) == 5
        assert sum(text == Translator("zh")("hint.slow_down") for text in texts) == 1
    finally:
        await services.close()


async def test_a_confirm_after_the_case_was_stored_finds_it_by_the_draft_key(
    chatter: Chatter,
) -> None:
    """The already-submitted path of confirm: the case was stored, but the conversation
    kept the draft (the process died before the state was cleared, or a second instance
    took a repeated press). Pressing "submit" again must find the case, not file another."""
    await walk_to_summary(chatter)
    key = StorageKey(bot_id=chatter.bot.id, chat_id=chatter.user.id, user_id=chatter.user.id)
    kept = await chatter.dp.storage.get_data(key)
    summary = chatter.session.messages()[-1]
    await chatter.press(Translator("zh")("btn.confirm"))
    cases = await chatter.services.refunds.list_cases(user_id=77)
    assert len(cases) == 1

    await chatter.dp.storage.set_state(key, "Wizard:summary")
    await chatter.dp.storage.set_data(key, kept)
    query = CallbackQuery(
        id="again",
        from_user=chatter.user,
        chat_instance="c",
        message=summary,
        data=summary.reply_markup.inline_keyboard[-2][0].callback_data,
    )  # type: ignore[union-attr]
    await chatter.dp.feed_update(chatter.bot, Update(update_id=next(_ids), callback_query=query))
    assert (
        needle("zh", "wizard.already_submitted", number=cases[0].number) in chatter.last_texts(1)[0]
    )
    assert len(await chatter.services.refunds.list_cases(user_id=77)) == 1
    assert await chatter.state() is None


async def test_a_missing_injection_fails_at_start(make_settings: Callable[..., Settings]) -> None:
    from bot.config import ConfigError

    services = await create_services(make_settings())
    try:
        services.kb = None
        dp = create_dispatcher(services)
        bot = Bot("42:TEST", session=RecordingSession())
        with pytest.raises(ConfigError, match="kb"):
            await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    finally:
        await services.close()


async def test_help_tells_how_to_switch_the_language(chatter: Chatter) -> None:
    await chatter.say("/help")
    assert "/language" in chatter.last_texts(1)[0]


async def test_an_unreadable_stored_draft_starts_over_instead_of_failing(chatter: Chatter) -> None:
    key = StorageKey(bot_id=chatter.bot.id, chat_id=chatter.user.id, user_id=chatter.user.id)
    await chatter.dp.storage.set_state(key, "Wizard:amount")
    await chatter.dp.storage.set_data(key, {"draft": {"amount": "not money", "paid": 5}})
    await chatter.say("100")
    assert (
        needle("zh", "wizard.order_number", example="KM20261121000123") in chatter.last_texts(1)[0]
    )
    assert needle("zh", "error.internal") not in " ".join(chatter.last_texts(3))
