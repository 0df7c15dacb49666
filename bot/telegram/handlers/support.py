"""Talk to a person: the request goes to the support team's group with a case card;
a support agent's reply to that card is passed on to the buyer."""

from __future__ import annotations

import logging
import re
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User

from bot.config import Settings
from bot.i18n import Translator
from bot.services.refunds import RefundService
from bot.telegram import keyboards, render
from bot.telegram.callbacks import FeedbackAction, FeedbackCb, MenuAction, MenuCb

log = logging.getLogger(__name__)
router = Router(name="support")
BUYER_TAG = re.compile(r"#buyer(\d+)")


async def handoff(message: Message, user: User, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, bot: Bot) -> None:
    await state.clear()
    if settings.support_chat_id is None:
        await message.answer(t("support.no_team"), reply_markup=keyboards.main_menu(t))
        return
    cases = await refunds.list_cases(user_id=user.id)
    staff = Translator_for_staff()
    lines = [staff("support.card_title"), staff("support.card_buyer", name=escape(user.full_name), user_id=user.id, lang=t.lang)]
    if cases:
        case = cases[0]
        lines.append(
            staff(
                "support.card_case",
                number=case.number,
                status=staff(f"case_status.{case.status}"),
                order=escape(case.order_number),
                amount=render.money(case.amount),
                outcome=staff(f"outcome.{case.outcome}"),
            )
        )
        if case.id is not None:
            await refunds.note(case_id=case.id, actor=f"buyer:{user.id}", kind="handoff")
    lines.append(staff("support.card_reply_hint"))
    try:
        await bot.send_message(settings.support_chat_id, "\n".join(lines))
    except TelegramAPIError:
        log.exception("could not reach the support chat %s", settings.support_chat_id)
        await message.answer(t("support.unreachable"), reply_markup=keyboards.main_menu(t))
        return
    await message.answer(t("support.handed_over"), reply_markup=keyboards.main_menu(t))


def Translator_for_staff() -> Translator:  # noqa: N802 - reads as a constructor
    """Support cards are written in the platform's default language (zh)."""
    return Translator("zh")


@router.message(Command("human"), F.chat.type == "private")
async def human_command(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, bot: Bot) -> None:
    assert message.from_user is not None
    await handoff(message, message.from_user, state, t, settings, refunds, bot)


@router.callback_query(MenuCb.filter(F.action == MenuAction.HUMAN))
@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.HUMAN))
async def human_button(query: CallbackQuery, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, bot: Bot) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await handoff(query.message, query.from_user, state, t, settings, refunds, bot)


@router.message(F.chat.type.in_({"group", "supergroup"}), F.reply_to_message, F.text)
async def support_reply(message: Message, settings: Settings, bot: Bot) -> None:
    """An agent in the support group replies to a card: pass the text to the buyer."""
    if settings.support_chat_id is None or message.chat.id != settings.support_chat_id:
        return
    original = message.reply_to_message
    assert original is not None and message.text is not None
    match = BUYER_TAG.search(original.text or "")
    if match is None or original.from_user is None or original.from_user.id != bot.id:
        return
    staff = Translator_for_staff()
    try:
        await bot.send_message(int(match[1]), staff("support.agent_says", text=escape(message.text)))
    except TelegramAPIError:
        await message.reply(staff("support.delivery_failed"))
        return
    await message.reply(staff("support.delivered"))
