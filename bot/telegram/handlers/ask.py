"""Ask about the rules: answers from the knowledge base with their sources."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.llm import Gateway
from bot.services.questions import UNHELPFUL, QuestionLog
from bot.services.support import SupportService
from bot.telegram import keyboards
from bot.telegram.callbacks import FeedbackAction, FeedbackCb, MenuAction, MenuCb
from bot.telegram.questions import MAX_QUESTION, answer_question
from bot.telegram.states import Ask

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

router = Router(name="ask")
router.message.filter(F.chat.type == "private")


@router.message(Command("ask"))
async def ask_command(
    message: Message,
    state: FSMContext,
    t: Translator,
    kb: KnowledgeBase | None = None,
    questions: QuestionLog | None = None,
    gateway: Gateway | None = None,
) -> None:
    assert message.text is not None
    question = message.text.partition(" ")[2].strip()
    if question:
        await state.clear()
        await answer_question(message, t, kb, question, questions, gateway)
        return
    await state.set_state(Ask.question)
    await message.answer(t("ask.prompt"), reply_markup=keyboards.home_button(t))


@router.callback_query(MenuCb.filter(F.action == MenuAction.ASK))
async def ask_menu(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await query.answer()
    await state.set_state(Ask.question)
    if isinstance(query.message, Message):
        await query.message.answer(t("ask.prompt"), reply_markup=keyboards.home_button(t))


@router.message(Ask.question, F.text)
async def question(
    message: Message,
    state: FSMContext,
    t: Translator,
    support: SupportService,
    kb: KnowledgeBase,
    questions: QuestionLog,
    gateway: Gateway | None = None,
) -> None:
    assert message.text is not None
    helped = await answer_question(message, t, kb, message.text, questions, gateway)
    if message.from_user is not None:  # twice no help: a person takes the buyer's open case
        await support.bot_answered(user_id=message.from_user.id, helped=helped)
    await message.answer(t("ask.more"), reply_markup=keyboards.home_button(t))


@router.message(Ask.question)
async def question_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("hint.text_expected"), reply_markup=keyboards.home_button(t))


@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.HELPED))
async def helped(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("ask.thanks"))
    await _drop_buttons(query)


@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.UNHELPFUL))
async def unhelpful(
    query: CallbackQuery,
    callback_data: FeedbackCb,
    t: Translator,
    questions: QuestionLog | None = None,
) -> None:
    """The buyer says the answer did not help: keep the question (the answer quotes it) for
    the knowledge report, anonymised, and offer a person."""
    await query.answer(t("ask.thanks"))
    message = query.message
    asked = message.reply_to_message if isinstance(message, Message) else None
    text = (asked.text or "") if asked is not None else ""
    if text.startswith("/"):  # "/ask question"
        text = text.partition(" ")[2]
    if questions is not None and text.strip():
        sections = [callback_data.ref] if callback_data.ref else []
        await questions.record(
            question=text[:MAX_QUESTION], lang=t.lang, reason=UNHELPFUL, sections=sections
        )
    if isinstance(message, Message):
        with contextlib.suppress(TelegramAPIError):  # only cosmetic: the buttons stay
            await message.edit_reply_markup(reply_markup=None)
        await message.answer(t("knowledge.unhelpful_thanks"), reply_markup=keyboards.human_only(t))


async def _drop_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramAPIError):  # only cosmetic: the buttons stay
            await query.message.edit_reply_markup(reply_markup=None)
