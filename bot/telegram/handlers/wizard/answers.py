"""Typed answers: the order number (or a whole description), the cause in the buyer's own
words, the amount and the times. Each answer is taken by a `take_*` function, which the
"yes" to a model's reading of the answer (`understood.py`) calls too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from aiogram import F, Router
from aiogram.types import Message

from bot.domain.draft import Draft, Moment, Step
from bot.domain.intake import (
    classify_cause,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.domain.vocab import Cause
from bot.telegram import keyboards, render
from bot.telegram.handlers.wizard.entry import described, start_from
from bot.telegram.handlers.wizard.flow import Flow, now
from bot.telegram.states import Wizard

router = Router(name="wizard-answers")
MAX_CAUSE_TEXT = 1000
TYPED = (F.text, ~F.text.startswith("/"))


# --- taking an answer -------------------------------------------------------------------


async def take_order_number(flow: Flow, draft: Draft, value: str) -> None:
    draft.order_number = value
    await flow.advance(draft, chosen=value)


async def take_cause(flow: Flow, draft: Draft, cause: Cause) -> None:
    """A cause read from the description the buyer typed (which stays with it)."""
    draft.cause_text_pending = False
    draft.cause = cause
    await flow.advance(draft, chosen=flow.t(f"cause.{cause.value}"))


async def take_amount(flow: Flow, draft: Draft, amount: Decimal) -> None:
    draft.amount = amount
    await flow.advance(draft, chosen="¥" + render.money(amount))


async def take_payment_time(flow: Flow, draft: Draft, paid_at: datetime) -> None:
    draft.paid = Moment.typed(paid_at)
    if draft.completed is not None and not draft.completion_possible(draft.completed):
        draft.set_completion(None)  # asked again: it cannot be before the payment
        draft.completion_answered = False
    tz = flow.settings.tz
    await flow.advance(draft, chosen=render.local_time(paid_at, tz))


async def take_completion_time(flow: Flow, draft: Draft, completed_at: datetime) -> None:
    moment = Moment.typed(completed_at)
    if not draft.completion_possible(moment):
        await flow.message.answer(flow.t("error.completion.before_payment"))
        return
    draft.set_completion(moment)
    tz = flow.settings.tz
    await flow.advance(draft, chosen=render.local_time(completed_at, tz))


# --- the handlers -----------------------------------------------------------------------


@router.message(Wizard.order_number, *TYPED)
async def got_order_number(message: Message, flow: Flow) -> None:
    settings = flow.settings
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
        await take_order_number(flow, draft, value)


@router.message(Wizard.cause_text, *TYPED)
async def got_cause_text(message: Message, flow: Flow) -> None:
    t = flow.t
    text = (message.text or "").strip()
    if len(text) > MAX_CAUSE_TEXT:
        await message.answer(t("error.too_long", max=MAX_CAUSE_TEXT))
        return
    draft = await flow.draft()
    draft.cause_text = text
    await flow.save(draft)
    cause = classify_cause(text)
    if cause is not None:
        await message.answer(
            t("wizard.cause_guess", cause=t(f"cause.{cause.value}")),
            reply_markup=keyboards.confirm_cause(t, cause),
        )
    elif not await flow.offer_reading(text):
        await message.answer(
            t("wizard.cause_unknown"), reply_markup=keyboards.confirm_cause(t, Cause.OTHER)
        )


@router.message(Wizard.amount, *TYPED)
async def got_amount(message: Message, flow: Flow) -> None:
    maximum = flow.settings.max_amount
    amount = await flow.typed(lambda text: parse_amount(text, maximum), "error.amount")
    if amount is not None:
        await take_amount(flow, await flow.draft(), amount)


def _parse_time(flow: Flow) -> Callable[[str], datetime]:
    tz = flow.settings.tz
    return lambda text: parse_payment_time(text, now=now(), tz=tz)


@router.message(Wizard.payment_time, *TYPED)
async def got_payment_time(message: Message, flow: Flow) -> None:
    paid_at = await flow.typed(_parse_time(flow), "error.time")
    if paid_at is not None:
        await take_payment_time(flow, await flow.draft(), paid_at)


@router.message(Wizard.completion_time, *TYPED)
async def got_completion_time(message: Message, flow: Flow) -> None:
    completed_at = await flow.typed(_parse_time(flow), "error.time")
    if completed_at is not None:
        await take_completion_time(flow, await flow.draft(), completed_at)


__all__ = ["Step", "router"]
