"""/privacy (what is stored, why, for how long) and /delete_my_data (with a confirmation
button): the buyer's personal data removed, their cases kept anonymised."""

from __future__ import annotations

import logging
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.i18n import Translator
from bot.services.privacy import PrivacyService
from bot.services.users import UserService
from bot.telegram import keyboards
from bot.telegram.fsm import ScopedStorage

log = logging.getLogger(__name__)
router = Router(name="privacy")
router.message.filter(F.chat.type == "private")


class PrivacyAction(StrEnum):
    DELETE = "delete"
    KEEP = "keep"


class PrivacyCb(CallbackData, prefix="p1"):
    action: PrivacyAction


def confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    builder = keyboards.Builder()
    builder.button(
        text=t("privacy.delete_yes"), callback_data=PrivacyCb(action=PrivacyAction.DELETE)
    )
    builder.button(text=t("privacy.delete_no"), callback_data=PrivacyCb(action=PrivacyAction.KEEP))
    return builder.as_markup()


@router.message(Command("privacy"))
async def privacy(message: Message, t: Translator, settings: Settings) -> None:
    days = settings.retention_days
    await message.answer(t("privacy.info", days=days) if days > 0 else t("privacy.info_forever"))


@router.message(Command("delete_my_data"))
async def delete_my_data(message: Message, t: Translator) -> None:
    await message.answer(t("privacy.delete_confirm"), reply_markup=confirm_keyboard(t))


@router.callback_query(PrivacyCb.filter(F.action == PrivacyAction.KEEP))
async def keep(query: CallbackQuery, t: Translator) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("privacy.delete_cancelled"))


@router.callback_query(PrivacyCb.filter(F.action == PrivacyAction.DELETE))
async def delete(
    query: CallbackQuery,
    state: FSMContext,
    t: Translator,
    privacy: PrivacyService,
    users: UserService,
) -> None:
    user_id = query.from_user.id
    await state.clear()
    deleted = await privacy.delete_user(user_id)
    await users.forget(user_id)
    if isinstance(state.storage, ScopedStorage):  # rows deleted behind the storage's back
        state.storage.forget_user(user_id)
    log.info("user %s deleted their data: %d cases anonymised", user_id, deleted.cases)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t("privacy.deleted", cases=deleted.cases, files=deleted.files)
        )
