"""A language model's reading of a typed answer, waiting for the buyer's yes.

When the parser refuses an answer, `Flow.typed` may get a reading from the model
(`bot.llm.combine`); it is kept in the state data under `READING` and shown as "I understood
…" with two buttons. It is used only after "yes" (`understood.py`); "no" asks again."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from html import escape
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.config import Settings
from bot.i18n import Translator
from bot.llm.schemas import FieldStep
from bot.telegram import keyboards, render

READING = "llm_reading"  # the state data key of the reading waiting for an answer

# the wizard's text steps (state names) and the field the model reads from them
FIELD_OF: dict[str, FieldStep] = {
    "order_number": FieldStep.ORDER_NUMBER,
    "amount": FieldStep.AMOUNT,
    "payment_time": FieldStep.PAYMENT_TIME,
    "completion_time": FieldStep.PAYMENT_TIME,
    "cause_text": FieldStep.CAUSE,
}


class ReadingAction(StrEnum):
    YES = "yes"
    NO = "no"


class ReadingCb(CallbackData, prefix="l1"):
    action: ReadingAction
    step: str  # the state name the reading belongs to


def keyboard(t: Translator, step: str) -> InlineKeyboardMarkup:
    builder = keyboards.Builder()
    builder.button(
        text=t("llm.confirm_yes"), callback_data=ReadingCb(action=ReadingAction.YES, step=step)
    )
    builder.button(
        text=t("llm.confirm_no"), callback_data=ReadingCb(action=ReadingAction.NO, step=step)
    )
    builder.adjust(1)
    return builder.as_markup()


def shown(t: Translator, settings: Settings, step: str, value: str) -> str:
    """The reading as the buyer sees it: "I understood your amount as 120.00 yuan …"."""
    if step == "amount":
        text = render.money(Decimal(value))
    elif step in ("payment_time", "completion_time"):
        text = render.local_time(datetime.fromisoformat(value), settings.tz)
    elif step == "cause_text":
        text = t(f"cause.{value}")
        step = "cause"
    else:
        text = value
    return t(f"llm.understood_{step}", value=escape(text))


def stored(step: str, value: str) -> dict[str, Any]:
    return {READING: {"step": step, "value": value}}
