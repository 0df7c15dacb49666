"""Typed answers: the order number (or a whole description), the cause in the buyer's own
words, the amount and the times."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.config import Settings
from bot.domain.draft import Moment, Step
from bot.domain.intake import (
    classify_cause,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.domain.vocab import Cause
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.services.refunds import RefundService
from bot.telegram import keyboards, render
from bot.telegram.handlers.wizard.entry import described, start_from
from bot.telegram.handlers.wizard.flow import Flow, now
from bot.telegram.states import Wizard

router = Router(name="wizard-answers")
MAX_CAUSE_TEXT = 1000
TYPED = (F.text, ~F.text.startswith("/"))


@router.message(Wizard.order_number, *TYPED)
async def got_order_number(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    flow = Flow(message, state, t, settings, refunds, kb)
    draft = await flow.draft()
    found = described(message.text or "", settings)
    if found.order_number is not None and found.count() > 1 and not draft.editing:
        draft.order_number = None
        await start_from(flow, found, draft)
        return
    value = await flow.typed(
        lambda text: parse_order_number(text, settings.order_number_pattern),
        "error.order_number",
    )
    if value is not None:
        draft.order_number = value
        await message.answer(t("wizard.chosen", value=value))  # echoed at once
        await flow.advance(draft)


@router.message(Wizard.cause_text, *TYPED)
async def got_cause_text(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    text = (message.text or "").strip()
    if len(text) > MAX_CAUSE_TEXT:
        await message.answer(t("error.too_long", max=MAX_CAUSE_TEXT))
        return
    flow = Flow(message, state, t, settings, refunds, kb)
    draft = await flow.draft()
    draft.cause_text = text
    await flow.save(draft)
    cause = classify_cause(text)
    if cause is None:
        await message.answer(
            t("wizard.cause_unknown"), reply_markup=keyboards.confirm_cause(t, Cause.OTHER)
        )
    else:
        await message.answer(
            t("wizard.cause_guess", cause=t(f"cause.{cause.value}")),
            reply_markup=keyboards.confirm_cause(t, cause),
        )


@router.message(Wizard.amount, *TYPED)
async def got_amount(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    flow = Flow(message, state, t, settings, refunds, kb)
    amount = await flow.typed(lambda text: parse_amount(text, settings.max_amount), "error.amount")
    if amount is not None:
        draft = await flow.draft()
        draft.amount = amount
        await message.answer(t("wizard.chosen", value="¥" + render.money(amount)))
        await flow.advance(draft)


@router.message(Wizard.payment_time, *TYPED)
async def got_payment_time(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    flow = Flow(message, state, t, settings, refunds, kb)
    paid_at = await flow.typed(
        lambda text: parse_payment_time(text, now=now(), tz=settings.tz), "error.time"
    )
    if paid_at is None:
        return
    draft = await flow.draft()
    draft.paid = Moment.typed(paid_at)
    if draft.completed is not None and not draft.completion_possible(draft.completed):
        draft.set_completion(None)  # asked again: it cannot be before the payment
        draft.completion_answered = False
    await message.answer(t("wizard.chosen", value=render.local_time(paid_at, settings.tz)))
    await flow.advance(draft)


@router.message(Wizard.completion_time, *TYPED)
async def got_completion_time(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    flow = Flow(message, state, t, settings, refunds, kb)
    completed_at = await flow.typed(
        lambda text: parse_payment_time(text, now=now(), tz=settings.tz), "error.time"
    )
    if completed_at is None:
        return
    draft = await flow.draft()
    moment = Moment.typed(completed_at)
    if not draft.completion_possible(moment):
        await message.answer(t("error.completion.before_payment"))
        return
    draft.set_completion(moment)
    await message.answer(t("wizard.chosen", value=render.local_time(completed_at, settings.tz)))
    await flow.advance(draft)


__all__ = ["Step", "router"]
