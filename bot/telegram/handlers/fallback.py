"""Whatever no other handler took, in a private chat: questions get an answer from the
knowledge base, anything else a short hint and the menu."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services.support import SupportService
from bot.telegram import keyboards
from bot.telegram.questions import MAX_QUESTION, answer_question

router = Router(name="fallback")
router.message.filter(F.chat.type == "private")


@router.message(F.text)
async def free_text(message: Message, t: Translator, support: SupportService, kb: Any = None) -> None:
    assert message.text is not None
    text = message.text.strip()
    if text.startswith("/"):
        await message.answer(t("hint.unknown_command"), reply_markup=keyboards.main_menu(t))
        return
    if len(text) > MAX_QUESTION * 8:
        await message.answer(t("error.too_long", max=MAX_QUESTION * 8))
        return
    helped = await answer_question(message, t, kb, text)
    if message.from_user is not None:  # twice no help: a person takes the buyer's open case
        await support.bot_answered(user_id=message.from_user.id, helped=helped)


@router.message()
async def anything(message: Message, t: Translator) -> None:
    await message.answer(t("hint.menu"), reply_markup=keyboards.main_menu(t))


@router.callback_query()
async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("hint.stale"))
