"""Talk to a person: the request goes to the support team's group with a case card;
a support agent's reply to that card is passed on to the buyer."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InputMediaDocument, InputMediaPhoto, Message, User

from bot.config import Settings
from bot.i18n import Translator
from bot.services.refunds import ActionNotAllowed, CaseNotFound, RefundService
from bot.storage.models import Evidence
from bot.telegram import keyboards, render
from bot.telegram.callbacks import FeedbackAction, FeedbackCb, MenuAction, MenuCb, SupportCb

log = logging.getLogger(__name__)
router = Router(name="support")
BUYER_TAG = re.compile(r"#buyer(\d+)")


async def handoff(message: Message, user: User, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, bot: Bot) -> None:
    await state.clear()
    if settings.support_chat_id is None:
        await message.answer(t("support.no_team"), reply_markup=keyboards.main_menu(t))
        return
    cases = await refunds.list_cases(user_id=user.id)
    staff = staff_translator()
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
    markup = keyboards.support_card(staff, cases[0].id) if cases and cases[0].id is not None else None
    try:
        await bot.send_message(settings.support_chat_id, "\n".join(lines), reply_markup=markup)
        if cases and cases[0].id is not None:
            await send_evidence(bot, settings.support_chat_id, await refunds.evidence(case_id=cases[0].id), staff)
    except TelegramAPIError:
        log.exception("could not reach the support chat %s", settings.support_chat_id)
        await message.answer(t("support.unreachable"), reply_markup=keyboards.main_menu(t))
        return
    await message.answer(t("support.handed_over"), reply_markup=keyboards.main_menu(t))


async def send_evidence(bot: Bot, chat_id: int, evidence: Sequence[Evidence], staff: Translator) -> None:
    """The case's screenshots, as albums of at most ten (photos and documents apart)."""
    for media in ("photo", "document"):
        items = [e for e in evidence if e.media == media]
        for start in range(0, len(items), 10):
            chunk = items[start : start + 10]
            captions = [staff(f"evidence.{e.kind}") for e in chunk]
            if len(chunk) == 1:
                send = bot.send_photo if media == "photo" else bot.send_document
                await send(chat_id, chunk[0].file_id, caption=captions[0])
                continue
            album: list[Any] = [
                InputMediaPhoto(media=e.file_id, caption=c) if media == "photo" else InputMediaDocument(media=e.file_id, caption=c)
                for e, c in zip(chunk, captions, strict=True)
            ]
            await bot.send_media_group(chat_id, album)


def staff_translator() -> Translator:
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
    staff = staff_translator()
    try:
        await bot.send_message(int(match[1]), staff("support.agent_says", text=escape(message.text)))
    except TelegramAPIError:
        await message.reply(staff("support.delivery_failed"))
        return
    await message.reply(staff("support.delivered"))


@router.callback_query(SupportCb.filter())
async def support_action(query: CallbackQuery, callback_data: SupportCb, settings: Settings, refunds: RefundService, bot: Bot) -> None:
    """A support agent changes a case's status from its card; the buyer is told at once."""
    staff = staff_translator()
    message = query.message
    if settings.support_chat_id is None or not isinstance(message, Message) or message.chat.id != settings.support_chat_id:
        await query.answer(staff("hint.stale"), show_alert=True)
        return
    try:
        case = await refunds.set_status(case_id=callback_data.case_id, status=callback_data.action.value, actor=f"support:{query.from_user.id}")
    except (CaseNotFound, ActionNotAllowed):
        await query.answer(staff("support.not_allowed"), show_alert=True)
        return
    status = staff(f"case_status.{case.status}")
    await query.answer(staff("support.status_set", status=status))
    await message.reply(staff("support.status_by", number=case.number, status=status, agent=escape(query.from_user.full_name)))
    buyer = Translator(case.language)
    text = buyer("notify.status", number=case.number, status=buyer(f"case_status.{case.status}")) + "\n" + buyer(f"notify.{case.status}", days=refunds.policy.windows.appeal_days)
    try:
        await bot.send_message(case.user_id, text)
    except TelegramAPIError:
        await message.reply(staff("support.delivery_failed"))
