"""/start, the main menu, /help, /language and /cancel."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services.users import UserService
from bot.telegram import keyboards
from bot.telegram.callbacks import LanguageCb, MenuAction, MenuCb
from bot.telegram.states import has_draft

router = Router(name="start")
router.message.filter(F.chat.type == "private")


@router.message(CommandStart())
async def start(message: Message, state: FSMContext, t: Translator) -> None:
    draft = await has_draft(state)
    if not draft:  # another flow (a question, a link check) simply ends; a draft is kept
        await state.clear()
    await message.answer(t("start.welcome"), reply_markup=keyboards.main_menu(t, resume=draft))


@router.message(Command("menu"))
@router.message(Command("help"))
async def help_(message: Message, t: Translator) -> None:
    await message.answer(
        f"{t('start.help')}\n{t('draft.help_language')}", reply_markup=keyboards.main_menu(t)
    )


@router.callback_query(MenuCb.filter(F.action == MenuAction.HOME))
async def home(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await query.answer()
    draft = await has_draft(state)
    if not draft:
        await state.clear()
    if isinstance(query.message, Message):
        await query.message.answer(
            t("start.menu"), reply_markup=keyboards.main_menu(t, resume=draft)
        )


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    await message.answer(
        t("wizard.cancelled" if had_state else "start.nothing_to_cancel"),
        reply_markup=keyboards.main_menu(t),
    )


@router.message(Command("language"))
async def language(message: Message, t: Translator) -> None:
    await message.answer(t("start.choose_language"), reply_markup=keyboards.languages())


@router.callback_query(LanguageCb.filter())
async def set_language(query: CallbackQuery, callback_data: LanguageCb, users: UserService) -> None:
    lang = callback_data.lang if callback_data.lang in ("zh", "en") else "zh"
    await users.set_language(user_id=query.from_user.id, language=lang)
    t = Translator(lang)
    await query.answer(t("start.language_set"))
    if isinstance(query.message, Message):
        await query.message.answer(t("start.language_set"), reply_markup=keyboards.main_menu(t))
