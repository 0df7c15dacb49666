"""Entering the wizard: from the menu, going on with an unfinished request, starting over,
or from one message that describes the whole problem."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.config import Settings
from bot.domain.draft import Draft, Step
from bot.domain.intake import Described, describe
from bot.i18n import Translator
from bot.telegram import keyboards
from bot.telegram.callbacks import MenuAction, MenuCb
from bot.telegram.handlers.wizard.flow import Flow, drop_keyboard, now
from bot.telegram.states import has_draft

router = Router(name="wizard-entry")

# a description starts a request when it names the order and at least this many other answers
MIN_OTHER_ANSWERS = 2
MAX_DESCRIPTION = 1000


async def start(flow: Flow) -> None:
    await flow.state.clear()
    draft = Draft()
    await flow.save(draft)
    flow.lead = flow.t("wizard.intro")  # heads the first prompt: one message, not two
    await flow.ask(Step.ORDER_NUMBER, draft)


def described(text: str, settings: Settings) -> Described:
    return describe(
        text,
        pattern=settings.order_number_pattern,
        maximum=settings.max_amount,
        now=now(),
        tz=settings.tz,
    )


def tells_a_story(found: Described) -> bool:
    """One message that names the order and more: enough to start a request from it."""
    return found.order_number is not None and found.count() - 1 >= MIN_OTHER_ANSWERS


async def start_from(flow: Flow, found: Described, draft: Draft | None = None) -> None:
    """Fill a draft with everything one description contains and show it to confirm; the
    buyer's own words stay with the cause found in them."""
    if draft is None:
        await flow.state.clear()
        draft = Draft()
    filled = draft.fill(found)
    if Step.CAUSE in filled:
        draft.cause_text = (flow.message.text or "").strip()[:MAX_DESCRIPTION] or None
    if filled == [Step.ORDER_NUMBER]:  # only the number: the wizard simply goes on
        await flow.advance(draft, chosen=draft.order_number)
        return
    await flow.show_prefilled(draft, filled)


@router.callback_query(MenuCb.filter(F.action == MenuAction.REFUND))
async def menu_refund(query: CallbackQuery, flow: Flow | None = None) -> None:
    await query.answer()
    if flow is None:
        return
    if await has_draft(flow.state):  # never drop what the buyer typed without asking
        await flow.message.answer(
            flow.t("wizard.unfinished"), reply_markup=keyboards.resume_or_restart(flow.t)
        )
        return
    await start(flow)


@router.callback_query(MenuCb.filter(F.action == MenuAction.RESTART))
async def menu_restart(query: CallbackQuery, flow: Flow | None = None) -> None:
    await query.answer()
    if flow is not None:
        await drop_keyboard(flow.message)
        await start(flow)


@router.callback_query(MenuCb.filter(F.action == MenuAction.RESUME))
async def menu_resume(
    query: CallbackQuery, state: FSMContext, t: Translator, flow: Flow | None = None
) -> None:
    if flow is None or not await has_draft(state):
        await query.answer(t("hint.stale"))
        return
    await query.answer()
    await drop_keyboard(flow.message)
    await flow.reask()
