"""Check a link or a message on request (/check), and what the buyer does with a warning:
report it to support, or dismiss it."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.i18n import Translator
from bot.llm import Gateway
from bot.ops.metrics import record_fraud_findings
from bot.telegram import keyboards
from bot.telegram.callbacks import FeedbackAction, FeedbackCb, MenuAction, MenuCb
from bot.telegram.fraud import WARN_AT, has_content, message_input, second_opinion, warning_text
from bot.telegram.states import LinkCheck

log = logging.getLogger(__name__)
router = Router(name="links")


async def show_verdict(
    message: Message, t: Translator, detector: Any, gateway: Gateway | None = None
) -> None:
    data = message_input(message)
    if detector is None or not has_content(data):
        await message.answer(t("fraud.nothing_to_check"))
        return
    verdict = detector.scan(data)
    record_fraud_findings(verdict.checks)
    # unsure: the model's second opinion, when one is configured (the message's one call)
    text = "\n".join(part for part in (data.text, data.caption) if part)
    verdict = await second_opinion(detector, verdict, text, gateway)
    if verdict.at_least(WARN_AT):
        await message.reply(
            warning_text(t, verdict),
            reply_markup=keyboards.scam_warning(t, str(message.message_id)),
        )
    elif verdict.findings:
        await message.reply(
            t(
                "fraud.low",
                details="\n".join(
                    f"• {f.explain.get(t.lang) or f.detail}" for f in verdict.findings
                ),
            )
        )
    else:
        await message.reply(t("fraud.clean"))


@router.message(Command("check"), F.chat.type == "private")
async def check_command(
    message: Message,
    state: FSMContext,
    t: Translator,
    detector: Any = None,
    gateway: Gateway | None = None,
) -> None:
    assert message.text is not None
    rest = message.text.partition(" ")[2].strip()
    if rest:
        clean = message.model_copy(update={"text": rest, "entities": None})
        await show_verdict(clean, t, detector, gateway)
        return
    await state.set_state(LinkCheck.waiting)
    await message.answer(t("fraud.check_prompt"), reply_markup=keyboards.home_button(t))


@router.callback_query(MenuCb.filter(F.action == MenuAction.CHECK))
async def check_menu(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await query.answer()
    await state.set_state(LinkCheck.waiting)
    if isinstance(query.message, Message):
        await query.message.answer(t("fraud.check_prompt"), reply_markup=keyboards.home_button(t))


@router.message(LinkCheck.waiting, F.chat.type == "private", ~F.text.startswith("/"))
async def check_message(
    message: Message,
    state: FSMContext,
    t: Translator,
    detector: Any = None,
    gateway: Gateway | None = None,
) -> None:
    await state.clear()
    await show_verdict(message, t, detector, gateway)
    await message.answer(t("fraud.check_more"), reply_markup=keyboards.main_menu(t))


@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.DISMISS))
async def dismiss(query: CallbackQuery, t: Translator, **data: Any) -> None:
    await query.answer(t("fraud.dismissed"))
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramAPIError):
            await query.message.edit_reply_markup(reply_markup=None)
        # in the middle of the refund wizard: the step comes back with working buttons
        from bot.telegram.handlers.wizard import resume_from

        await resume_from(query.message, {**data, "t": t})


@router.callback_query(FeedbackCb.filter(F.action == FeedbackAction.REPORT))
async def report(
    query: CallbackQuery, callback_data: FeedbackCb, t: Translator, settings: Settings, bot: Bot
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"), show_alert=True)
        return
    if settings.support_chat_id is None:
        await query.answer(t("fraud.reported_no_team"), show_alert=True)
    else:
        staff = Translator("zh")
        try:
            await bot.send_message(
                settings.support_chat_id, staff("fraud.report_card", user_id=query.from_user.id)
            )
            if callback_data.ref.isdigit():
                await bot.forward_message(
                    settings.support_chat_id, message.chat.id, int(callback_data.ref)
                )
        except TelegramAPIError:
            log.exception("could not forward a scam report to the support chat")
            await query.answer(t("support.unreachable"), show_alert=True)
            return
        await query.answer(t("fraud.reported"), show_alert=True)
    with contextlib.suppress(TelegramAPIError):
        await message.edit_reply_markup(reply_markup=None)
