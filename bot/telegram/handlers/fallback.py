"""Whatever no other handler took, in a private chat: a message that tells the whole
refund story starts a request from it; questions get an answer from the knowledge base;
anything else a short hint and the menu.

With a language model, a message the knowledge base has no answer for (outside any flow) is
classified (`classify_intent`) and routed: a refund request starts the wizard, a scam report
the link check, a wish for a person the button to one, small talk the menu; a question, or
no usable intent, gets today's "not sure" answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.llm import Gateway, IntentKind, classify_intent
from bot.services.questions import QuestionLog
from bot.services.refunds import RefundService
from bot.services.support import SupportService
from bot.telegram import keyboards
from bot.telegram.handlers.wizard.entry import described, start, start_from, tells_a_story
from bot.telegram.handlers.wizard.flow import Flow
from bot.telegram.questions import (
    MAX_QUESTION,
    answer_question,
    ask_kb_with_model,
    not_sure,
    reply_answer,
)
from bot.telegram.states import LinkCheck, has_draft

router = Router(name="fallback")
router.message.filter(F.chat.type == "private")


@router.message(F.text)
async def free_text(
    message: Message,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    support: SupportService,
    kb: KnowledgeBase,
    questions: QuestionLog,
    gateway: Gateway | None = None,
) -> None:
    text = (message.text or "").strip()
    if text.startswith("/"):
        await message.answer(t("hint.unknown_command"), reply_markup=keyboards.main_menu(t))
        return
    if len(text) > MAX_QUESTION * 8:
        await message.answer(t("error.too_long", max=MAX_QUESTION * 8))
        return
    found = described(text, settings)
    outside = await state.get_state() is None
    if tells_a_story(found) and outside:
        await start_from(Flow(message, state, t, settings, refunds, kb, gateway), found)
        return
    if gateway is None or kb is None or not outside:
        helped = await answer_question(message, t, kb, text, questions, gateway)
    else:
        answer = await ask_kb_with_model(kb, text[:MAX_QUESTION], t.lang, gateway)
        helped = answer.confident
        if helped:
            await reply_answer(message, t, answer, text, gateway)
        else:
            intent = await classify_intent(gateway, text)
            kind = intent.kind if intent is not None else IntentKind.QUESTION
            if kind is not IntentKind.QUESTION:
                flow = Flow(message, state, t, settings, refunds, kb, gateway)
                await route(flow, kind)
                return
            await not_sure(message, t, text, answer, questions)
    if message.from_user is not None:  # twice no help: a person takes the buyer's open case
        await support.bot_answered(user_id=message.from_user.id, helped=helped)


async def route(flow: Flow, kind: IntentKind) -> None:
    """Where a message the model read as `kind` leads: the same places the menu leads to."""
    message, t = flow.message, flow.t
    if kind is IntentKind.WANTS_REFUND:
        if await has_draft(flow.state):  # never drop what the buyer typed without asking
            await message.answer(
                t("wizard.unfinished"), reply_markup=keyboards.resume_or_restart(t)
            )
        else:
            await start(flow)
    elif kind is IntentKind.REPORTS_SCAM:
        await flow.state.set_state(LinkCheck.waiting)
        await message.answer(t("fraud.check_prompt"), reply_markup=keyboards.home_button(t))
    elif kind is IntentKind.WANTS_PERSON:
        await message.answer(t("llm.route_person"), reply_markup=keyboards.human_only(t))
    else:
        await message.answer(t("hint.menu"), reply_markup=keyboards.main_menu(t))


@router.message()
async def anything(message: Message, t: Translator) -> None:
    await message.answer(t("hint.menu"), reply_markup=keyboards.main_menu(t))


@router.callback_query()
async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("hint.stale"))
