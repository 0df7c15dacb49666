"""Whatever no other handler took, in a private chat: a message that tells the whole
refund story starts a request from it; questions get an answer from the knowledge base;
anything else a short hint and the menu."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.services.questions import QuestionLog
from bot.services.refunds import RefundService
from bot.services.support import SupportService
from bot.telegram import keyboards
from bot.telegram.handlers.wizard.entry import described, start_from, tells_a_story
from bot.telegram.handlers.wizard.flow import Flow
from bot.telegram.questions import MAX_QUESTION, answer_question

router = Router(name="fallback")
router.message.filter(F.chat.type == "private")


@router.message(F.text)
async def free_text(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    support: SupportService,
    kb: KnowledgeBase,
    questions: QuestionLog,
) -> None:
    text = (message.text or "").strip()
    if text.startswith("/"):
        await message.answer(t("hint.unknown_command"), reply_markup=keyboards.main_menu(t))
        return
    if len(text) > MAX_QUESTION * 8:
        await message.answer(t("error.too_long", max=MAX_QUESTION * 8))
        return
    found = described(text, settings)
    if tells_a_story(found) and await state.get_state() is None:
        await start_from(Flow(message, state, t, settings, refunds, kb), found)
        return
    helped = await answer_question(message, t, kb, text, questions)
    if message.from_user is not None:  # twice no help: a person takes the buyer's open case
        await support.bot_answered(user_id=message.from_user.id, helped=helped)


@router.message()
async def anything(message: Message, t: Translator) -> None:
    await message.answer(t("hint.menu"), reply_markup=keyboards.main_menu(t))


@router.callback_query()
async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("hint.stale"))
