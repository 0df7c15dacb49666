"""Anything else during the wizard: a question is answered and the step asked again; a
sticker, a voice note or text where a button is expected gets a hint."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.services.refunds import RefundService
from bot.telegram import keyboards
from bot.telegram.handlers.wizard.flow import Flow
from bot.telegram.questions import try_answer_question
from bot.telegram.states import WIZARD_STATES, Wizard, step_name

router = Router(name="wizard-unexpected")
TEXT_STEPS = frozenset({"order_number", "cause_text", "amount", "payment_time", "completion_time"})


@router.message(Wizard.evidence, ~F.text.startswith("/"))
async def evidence_unexpected(message: Message, t: Translator, kb: KnowledgeBase) -> None:
    if message.text and await try_answer_question(message, t, kb, message.text):
        return
    await message.answer(t("hint.evidence"), reply_markup=keyboards.evidence_done(t))


@router.message(
    StateFilter(*[s for s in WIZARD_STATES if s is not Wizard.evidence]), ~F.text.startswith("/")
)
async def unexpected(message: Message, flow: Flow) -> None:
    if await flow.answered_question(message.text or ""):
        return
    key = (
        "hint.text_expected"
        if step_name(await flow.state.get_state()) in TEXT_STEPS
        else "hint.button_expected"
    )
    await message.answer(flow.t(key))
    await flow.reask()


async def resume(flow: Flow) -> bool:
    """Ask the wizard's current step again (after a scam warning, or when the warning is
    dismissed) so the buyer has working buttons; False outside the wizard."""
    current = await flow.state.get_state()
    if not current or not current.startswith("Wizard:"):
        return False
    await flow.reask()
    return True


async def resume_from(message: Message, data: dict[str, Any]) -> bool:
    """`resume` with a middleware's or handler's data (the hook the scam warning calls)."""
    state, t = data.get("state"), data.get("t")
    settings, refunds, kb = data.get("settings"), data.get("refunds"), data.get("kb")
    if not (
        isinstance(state, FSMContext)
        and isinstance(t, Translator)
        and isinstance(settings, Settings)
        and isinstance(refunds, RefundService)
        and isinstance(kb, KnowledgeBase)
    ):
        return False
    return await resume(Flow.of(message, data))
