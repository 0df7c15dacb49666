"""The buyer's answer to "I understood …": a model's reading of a typed answer is used only
after "yes"; "no" drops it and asks the step again, as without a model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.domain.vocab import Cause
from bot.i18n import Translator
from bot.telegram import keyboards
from bot.telegram.handlers.wizard import answers
from bot.telegram.handlers.wizard.flow import Flow, drop_keyboard
from bot.telegram.handlers.wizard.reading import READING, ReadingAction, ReadingCb
from bot.telegram.states import step_name

router = Router(name="wizard-understood")


@router.callback_query(ReadingCb.filter())
async def reading_answer(
    query: CallbackQuery, callback_data: ReadingCb, t: Translator, flow: Flow | None = None
) -> None:
    if flow is None:  # the message the buttons are on can no longer be reached
        await query.answer(t("hint.stale"), show_alert=True)
        return
    message, state = flow.message, flow.state
    raw = await state.get_state()
    data = await state.get_data()
    pending = data.get(READING) or {}
    step = step_name(raw)
    # a reading counts only for the step it was made for, and only once
    if not (raw or "").startswith("Wizard:") or pending.get("step") != callback_data.step:
        await query.answer(t("hint.stale"))
        return
    if step != callback_data.step:
        await query.answer(t("hint.stale"))
        await flow.reask()
        return
    await query.answer()
    await state.update_data({READING: None})
    await drop_keyboard(message)
    value = str(pending.get("value") or "")
    if callback_data.action is ReadingAction.NO:
        if step == "cause_text":  # as without a model: "other", or the list
            await message.answer(
                t("wizard.cause_unknown"), reply_markup=keyboards.confirm_cause(t, Cause.OTHER)
            )
        else:
            await flow.reask()
        return
    draft = await flow.draft()
    if step == "order_number":
        await answers.take_order_number(flow, draft, value)
    elif step == "amount":
        await answers.take_amount(flow, draft, Decimal(value))
    elif step == "payment_time":
        await answers.take_payment_time(flow, draft, datetime.fromisoformat(value))
    elif step == "completion_time":
        await answers.take_completion_time(flow, draft, datetime.fromisoformat(value))
    elif step == "cause_text":
        await answers.take_cause(flow, draft, Cause(value))
