"""The refund wizard: order number -> platform -> status -> cause -> channel -> amount ->
payment time -> preliminary decision and evidence -> summary -> confirm."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from bot.config import Settings
from bot.domain.cases import CaseStatus
from bot.domain.intake import (
    QUICK_COMPLETION,
    QUICK_TIMES,
    InputError,
    classify_cause,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.domain.vocab import (
    Cause,
    CauseGroup,
    EvidenceKind,
    OrderStatus,
    PaymentChannel,
    PlatformType,
)
from bot.i18n import Translator
from bot.services.refunds import RefundService, evidence_kinds, missing_fields
from bot.telegram import keyboards, render
from bot.telegram.callbacks import MenuAction, MenuCb, WizardAction, WizardCb
from bot.telegram.evidence import EvidenceRefused, file_from_message, verify_document
from bot.telegram.questions import try_answer_question
from bot.telegram.states import (
    STEP_BY_NAME,
    WIZARD_STEPS,
    Wizard,
    applies,
    following_step,
    has_draft,
    previous_step,
    step_name,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
router = Router(name="refund")
router.message.filter(F.chat.type == "private")

CHOICES: dict[str, frozenset[str]] = {
    "platform_type": frozenset(p.value for p in PlatformType),
    "order_status": frozenset(s.value for s in OrderStatus),
    "cause": frozenset(c.value for c in Cause),
    "payment_channel": frozenset(c.value for c in PaymentChannel),
    "payment_time": frozenset(QUICK_TIMES),
    "completion_time": frozenset(QUICK_COMPLETION),
}
TEXT_STEPS = frozenset({"order_number", "cause_text", "amount", "payment_time", "completion_time"})


def _now() -> datetime:
    return datetime.now(UTC)


# --- asking a step ----------------------------------------------------------------------

async def ask(step: str, message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    """Send the prompt of `step` and move the conversation there."""
    data = await state.get_data()
    await state.set_state(STEP_BY_NAME[step])
    if step == "order_number":
        await message.answer(
            t("wizard.order_number", example=settings.order_number_example),
            reply_markup=keyboards.step_nav(t, step, back=bool(data.get("editing"))),
        )
    elif step == "platform_type":
        help_ = "\n".join(f"• <b>{t(f'platform.{p.value}')}</b>: {t(f'platform_help.{p.value}')}" for p in PlatformType)
        await message.answer(f"{t('wizard.platform_type')}\n\n{help_}", reply_markup=keyboards.platform_types(t))
    elif step == "order_status":
        help_ = "\n".join(f"• <b>{t(f'status.{s.value}')}</b>: {t(f'status_help.{s.value}')}" for s in OrderStatus)
        await message.answer(f"{t('wizard.order_status')}\n\n{help_}", reply_markup=keyboards.order_statuses(t))
    elif step == "cause":
        await message.answer(t("wizard.cause"), reply_markup=keyboards.cause_groups(t))
    elif step == "cause_text":
        await message.answer(t("wizard.cause_text"), reply_markup=keyboards.step_nav(t, step))
    elif step == "payment_channel":
        await message.answer(t("wizard.payment_channel"), reply_markup=keyboards.payment_channels(t))
    elif step == "amount":
        await message.answer(t("wizard.amount", max=render.money(settings.max_amount)), reply_markup=keyboards.step_nav(t, step))
    elif step == "payment_time":
        await message.answer(t("wizard.payment_time"), reply_markup=keyboards.payment_times(t))
    elif step == "completion_time":
        await message.answer(t("wizard.completion_time"), reply_markup=keyboards.completion_times(t))
    elif step == "evidence":
        decision = refunds.decide(data, _now()).model_dump(mode="json")
        fee_button = keyboards.fee_not_disclosed(t) if float(decision.get("fee_percent") or 0) > 0 else None
        await message.answer(render.decision(t, decision, data["amount"]), reply_markup=fee_button)
        await message.answer(_evidence_prompt(t, data, decision, settings), reply_markup=keyboards.evidence_done(t))
    elif step == "summary":
        await _show_summary(message, state, t, settings, refunds)


def _evidence_prompt(t: Translator, data: dict[str, Any], decision: dict[str, Any], settings: Settings) -> str:
    required = decision.get("required_evidence", [])
    have = evidence_kinds(data)
    lines = [t("wizard.evidence", max_files=settings.max_evidence_files, max_mb=settings.max_evidence_mb), "", render.checklist(t, required, have)]
    lines += ["", t("wizard.evidence_count", count=len(data.get("evidence", [])), max_files=settings.max_evidence_files)]
    return "\n".join(lines)


async def _show_summary(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    data = await state.get_data()
    await state.update_data(editing=False)
    decision = refunds.decide(data, _now()).model_dump(mode="json")
    lines = [t("summary.title"), "", *render.answers(t, data, settings.tz)]
    lines.append(t("field.evidence", count=len(data.get("evidence", []))))
    if data.get("fee_disclosed") is False:
        lines.append(t("decision.fee_waived"))
    lines += ["", t(f"outcome.{decision['outcome']}")]
    if decision["outcome"] in ("full_refund", "partial_refund"):
        lines.append(t("decision.amount", refund=render.money(decision["refund_amount"]), amount=render.money(data["amount"])))
    missing = decision.get("missing_evidence") or []
    if missing:
        lines += ["", t("summary.missing", items=render.join(t, [t(f"evidence.{k}") for k in missing]))]
    lines += ["", t("summary.confirm_hint")]
    await message.answer("\n".join(lines), reply_markup=keyboards.summary(t, completion=applies("completion_time", data)))


async def _next(step: str, message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    """After an answer: back to the summary when editing, else the following step."""
    data = await state.get_data()
    if data.get("editing") and not missing_fields(data):
        await ask("summary", message, state, t, settings, refunds)
        return
    await ask(following_step("cause" if step == "cause_text" else step, data), message, state, t, settings, refunds)


async def reask(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    current = step_name(await state.get_state())
    if current in STEP_BY_NAME:
        await ask(current, message, state, t, settings, refunds)


# --- entering ---------------------------------------------------------------------------

async def start_wizard(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    await state.clear()
    await state.set_data({"draft_key": uuid.uuid4().hex, "evidence": []})
    await message.answer(t("wizard.intro"))
    await ask("order_number", message, state, t, settings, refunds)


@router.callback_query(MenuCb.filter(F.action == MenuAction.REFUND))
async def menu_refund(query: CallbackQuery, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if await has_draft(state):  # never drop what the buyer typed without asking
        await query.message.answer(t("wizard.unfinished"), reply_markup=keyboards.resume_or_restart(t))
        return
    await start_wizard(query.message, state, t, settings, refunds)


@router.callback_query(MenuCb.filter(F.action == MenuAction.RESTART))
async def menu_restart(query: CallbackQuery, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _drop_keyboard(query.message)
        await start_wizard(query.message, state, t, settings, refunds)


@router.callback_query(MenuCb.filter(F.action == MenuAction.RESUME))
async def menu_resume(query: CallbackQuery, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    if not isinstance(query.message, Message) or not await has_draft(state):
        await query.answer(t("hint.stale"))
        return
    await query.answer()
    await _drop_keyboard(query.message)
    await reask(query.message, state, t, settings, refunds)


# --- buttons ----------------------------------------------------------------------------

@dataclass
class Press:
    """One press of a wizard button, with what its action needs."""

    query: CallbackQuery
    message: Message
    state: FSMContext
    t: Translator
    settings: Settings
    refunds: RefundService
    current: str
    value: str
    data: dict[str, Any]

    async def ask(self, step: str) -> None:
        await ask(step, self.message, self.state, self.t, self.settings, self.refunds)


@router.callback_query(WizardCb.filter())
async def wizard_button(
    query: CallbackQuery, callback_data: WizardCb, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService
) -> None:
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage):
        await query.answer(t("hint.stale"), show_alert=True)
        return
    current = step_name(await state.get_state())
    in_wizard = current in STEP_BY_NAME
    expected = (
        callback_data.step == current
        or (current == "cause_text" and callback_data.step == "cause")
        # the fee can still be corrected from the summary
        or (callback_data.action is WizardAction.FEE and current == "summary")
    )
    if callback_data.action is WizardAction.CANCEL and in_wizard:
        await query.answer()
        await _cancel(message, state, t)
        return
    if not in_wizard or not expected:
        await query.answer(t("hint.stale"))
        if in_wizard:
            await reask(message, state, t, settings, refunds)
        return
    await query.answer()
    press = Press(query, message, state, t, settings, refunds, current, callback_data.value, await state.get_data())
    await ACTIONS[callback_data.action](press)


async def _on_back(p: Press) -> None:
    await _drop_keyboard(p.message)
    if p.data.get("editing"):
        await p.ask("summary")
    elif p.current == "cause_text":
        await p.ask("cause")
    elif (previous := previous_step(p.current, p.data)) is None:
        await _cancel(p.message, p.state, p.t)
    else:
        await p.ask(previous)


async def _on_pick(p: Press) -> None:
    step = "cause" if p.current == "cause_text" else p.current
    if p.value not in CHOICES.get(step, frozenset()):
        await p.ask(p.current)
        return
    await _drop_keyboard(p.message)
    update: dict[str, Any] = {step: p.value}
    if step == "payment_time":
        update = {"paid_at": (_now() - QUICK_TIMES[p.value]).isoformat()}
    elif step == "completion_time":
        ago = QUICK_COMPLETION[p.value]
        completed_at = None if ago is None else _now() - ago
        if completed_at is not None and not completion_after_payment(p.data, completed_at):
            await p.message.answer(p.t("error.completion.before_payment"))
            await p.ask(p.current)
            return
        update = {"completed_at": completed_at.isoformat() if completed_at else None}
    elif step == "cause":
        # a description typed just before stays with the cause chosen after it
        keep_text = p.current == "cause_text" or p.data.get("cause_text_pending")
        update |= {"cause_text_pending": False} if keep_text else {"cause_text_pending": False, "cause_text": None}
    await p.state.update_data(update)
    await p.message.answer(p.t("wizard.chosen", value=p.t(f"{_PREFIX[step]}.{p.value}")))
    await _next(step, p.message, p.state, p.t, p.settings, p.refunds)


async def _on_group(p: Press) -> None:
    if p.value in CauseGroup.__members__.values():
        await p.message.edit_reply_markup(reply_markup=keyboards.causes_in_group(p.t, CauseGroup(p.value)))
    else:
        await p.state.set_state(Wizard.cause)
        await p.message.answer(p.t("wizard.cause"), reply_markup=keyboards.cause_groups(p.t))


async def _on_fee(p: Press) -> None:
    await p.state.update_data(fee_disclosed=False)
    p.data["fee_disclosed"] = False
    decision = p.refunds.decide(p.data, _now()).model_dump(mode="json")
    await p.message.edit_text(render.decision(p.t, decision, p.data["amount"]) + "\n\n" + p.t("decision.fee_waived"), reply_markup=None)
    if p.current == "summary":
        await p.ask("summary")


async def _on_type(p: Press) -> None:
    await _drop_keyboard(p.message)
    await p.ask("cause_text")


async def _on_kind(p: Press) -> None:
    await _label_evidence(p.message, p.value, p.state, p.t, p.refunds)


async def _on_done(p: Press) -> None:
    await _drop_keyboard(p.message)
    missing = p.refunds.decide(p.data, _now()).missing_evidence
    if missing:
        await p.message.answer(p.t("wizard.evidence_missing", items=render.join(p.t, [p.t(f"evidence.{k}") for k in missing])))
    await p.ask("summary")


async def _on_edit(p: Press) -> None:
    if p.value not in EDITABLE:
        await p.ask(p.current)
        return
    await _drop_keyboard(p.message)
    await p.state.update_data(editing=True)
    await p.ask(p.value)


async def _on_confirm(p: Press) -> None:
    await _confirm(p.query, p.message, p.state, p.t, p.settings, p.refunds)


async def _on_cancel(p: Press) -> None:  # reached only outside the wizard, handled above
    await _cancel(p.message, p.state, p.t)


ACTIONS: dict[WizardAction, Callable[[Press], Awaitable[None]]] = {
    WizardAction.BACK: _on_back,
    WizardAction.PICK: _on_pick,
    WizardAction.GROUP: _on_group,
    WizardAction.FEE: _on_fee,
    WizardAction.TYPE: _on_type,
    WizardAction.KIND: _on_kind,
    WizardAction.DONE: _on_done,
    WizardAction.EDIT: _on_edit,
    WizardAction.CONFIRM: _on_confirm,
    WizardAction.CANCEL: _on_cancel,
}
# wizard answers whose step has another name
FIELD_STEP = {"paid_at": "payment_time", "completed_at": "completion_time"}
EDITABLE = frozenset({"order_number", "platform_type", "order_status", "cause", "payment_channel", "amount", "payment_time", "completion_time", "evidence"})


_PREFIX = {
    "platform_type": "platform",
    "order_status": "status",
    "cause": "cause",
    "payment_channel": "channel",
    "payment_time": "quick_time",
    "completion_time": "quick_completion",
}


async def _drop_keyboard(message: Message) -> None:
    """Remove the buttons of an answered prompt so they cannot be pressed again."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except Exception:  # noqa: BLE001 - the message may be too old to edit; nothing is lost
        log.debug("could not remove keyboard", exc_info=True)


async def _cancel(message: Message, state: FSMContext, t: Translator) -> None:
    await _drop_keyboard(message)
    await state.clear()
    await message.answer(t("wizard.cancelled"), reply_markup=keyboards.main_menu(t))


async def _confirm(query: CallbackQuery, message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    data = await state.get_data()
    missing = missing_fields(data)
    if missing:
        await state.update_data(editing=False)
        await ask(FIELD_STEP.get(missing[0], missing[0]), message, state, t, settings, refunds)
        return
    case, created = await refunds.submit(user_id=query.from_user.id, language=t.lang, draft=data, now=_now())
    await state.clear()
    await _drop_keyboard(message)
    if not created:
        await message.answer(t("wizard.already_submitted", number=case.number), reply_markup=keyboards.main_menu(t))
        return
    decision = case.decision
    lines = [t("submitted.title", number=case.number), "", t(f"outcome.{decision['outcome']}")]
    lines += ["", t("submitted.next"), t(_next_steps(case.status, decision["route"]), days=refunds.policy.windows.appeal_days)]
    deadlines = decision.get("deadlines") or {}
    if deadlines or decision["outcome"] in ("full_refund", "partial_refund", "needs_review"):
        lines += ["", t("submitted.timeline")]
        lines += [f"  • {t(f'deadline.{name}')}: {render.duration(t, spec)}" for name, spec in deadlines.items()]
        if decision["outcome"] in ("full_refund", "partial_refund", "needs_review"):
            lines.append(f"  • {t('decision.arrival', arrival=render.arrival(t, decision.get('expected_arrival')))}")
    missing_evidence = decision.get("missing_evidence") or []
    if missing_evidence:
        lines += ["", t("submitted.missing_evidence")]
    lines += ["", t("submitted.track"), "", t("scam.reminder")]
    await message.answer("\n".join(lines), reply_markup=keyboards.main_menu(t))


def completion_after_payment(data: dict[str, Any], completed_at: datetime) -> bool:
    """Goods are redeemed after they were paid for (five minutes' slack for clocks)."""
    paid_at = datetime.fromisoformat(data["paid_at"]) if data.get("paid_at") else None
    return paid_at is None or completed_at >= paid_at - timedelta(minutes=5)


def _next_steps(status: str, route: str) -> str:
    """What happens next: a case the rules closed at once says so; others follow the route."""
    if status in (CaseStatus.REJECTED, CaseStatus.CLOSED):
        return f"next.{status}"
    return f"next.{route}"


# --- typed answers ----------------------------------------------------------------------

async def _typed(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any, parse: Callable[[str], T], error: str) -> T | None:
    """Parse a typed answer. A refused one may be a question: answered, and the step asked
    again; otherwise the reason is told (`error` is the locale key prefix)."""
    assert message.text is not None
    try:
        return parse(message.text)
    except InputError as exc:
        if await try_answer_question(message, t, kb, message.text):
            await reask(message, state, t, settings, refunds)
        else:
            values = {"example": settings.order_number_example, "max": render.money(settings.max_amount)}
            await message.answer(t(f"{error}.{exc.problem.value}", **values))
        return None


@router.message(Wizard.order_number, F.text, ~F.text.startswith("/"))
async def got_order_number(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any = None) -> None:
    value = await _typed(message, state, t, settings, refunds, kb, lambda text: parse_order_number(text, settings.order_number_pattern), "error.order_number")
    if value is not None:
        await state.update_data(order_number=value)
        await _next("order_number", message, state, t, settings, refunds)


@router.message(Wizard.cause_text, F.text, ~F.text.startswith("/"))
async def got_cause_text(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    assert message.text is not None
    text = message.text.strip()
    if len(text) > 1000:
        await message.answer(t("error.too_long", max=1000))
        return
    await state.update_data(cause_text=text, cause_text_pending=True)
    cause = classify_cause(text)
    if cause is None:
        await message.answer(t("wizard.cause_unknown"), reply_markup=keyboards.confirm_cause(t, Cause.OTHER))
    else:
        await message.answer(t("wizard.cause_guess", cause=t(f"cause.{cause.value}")), reply_markup=keyboards.confirm_cause(t, cause))


@router.message(Wizard.amount, F.text, ~F.text.startswith("/"))
async def got_amount(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any = None) -> None:
    amount = await _typed(message, state, t, settings, refunds, kb, lambda text: parse_amount(text, settings.max_amount), "error.amount")
    if amount is not None:
        await state.update_data(amount=str(amount))
        await _next("amount", message, state, t, settings, refunds)


@router.message(Wizard.completion_time, F.text, ~F.text.startswith("/"))
async def got_completion_time(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any = None) -> None:
    completed_at = await _typed(message, state, t, settings, refunds, kb, lambda text: parse_payment_time(text, now=_now(), tz=settings.tz), "error.time")
    if completed_at is None:
        return
    if not completion_after_payment(await state.get_data(), completed_at):
        await message.answer(t("error.completion.before_payment"))
        return
    await state.update_data(completed_at=completed_at.isoformat())
    await message.answer(t("wizard.chosen", value=render.local_time(completed_at, settings.tz)))
    await _next("completion_time", message, state, t, settings, refunds)


@router.message(Wizard.payment_time, F.text, ~F.text.startswith("/"))
async def got_payment_time(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any = None) -> None:
    paid_at = await _typed(message, state, t, settings, refunds, kb, lambda text: parse_payment_time(text, now=_now(), tz=settings.tz), "error.time")
    if paid_at is not None:
        await state.update_data(paid_at=paid_at.isoformat())
        await message.answer(t("wizard.chosen", value=render.local_time(paid_at, settings.tz)))
        await _next("payment_time", message, state, t, settings, refunds)


# --- evidence ---------------------------------------------------------------------------

@router.message(Wizard.evidence, F.photo | F.document)
async def got_evidence(message: Message, bot: Bot, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService) -> None:
    data = await state.get_data()
    items: list[dict[str, Any]] = list(data.get("evidence", []))
    try:
        file = await verify_document(bot, file_from_message(message, max_bytes=settings.max_evidence_bytes))
    except EvidenceRefused as exc:
        await message.answer(t(f"error.evidence.{exc.reason}", max_mb=settings.max_evidence_mb))
        return
    if any(item["file_unique_id"] == file["file_unique_id"] for item in items):
        await message.answer(t("evidence.duplicate"))
        return
    if len(items) >= settings.max_evidence_files:
        await message.answer(t("error.evidence.too_many", max_files=settings.max_evidence_files), reply_markup=keyboards.evidence_done(t))
        return
    items.append({**file, "kind": None})
    await state.update_data(evidence=items)
    decision = refunds.decide(data, _now())
    kinds = _kind_choices(decision.required_evidence)
    await message.answer(
        t("evidence.received", n=len(items), max_files=settings.max_evidence_files),
        reply_markup=keyboards.evidence_kinds(t, kinds, len(items) - 1),
    )


def _kind_choices(required: list[Any]) -> list[str]:
    """The checklist's kinds first, then the rest."""
    ordered = [str(k) for k in required]
    return ordered + [k.value for k in EvidenceKind if k.value not in ordered]


async def _label_evidence(message: Message, value: str, state: FSMContext, t: Translator, refunds: RefundService) -> None:
    index_text, _, kind = value.partition("-")
    data = await state.get_data()
    items: list[dict[str, Any]] = list(data.get("evidence", []))
    if not index_text.isdigit() or int(index_text) >= len(items) or (kind != "other" and kind not in EvidenceKind.__members__.values()):
        return
    items[int(index_text)] = {**items[int(index_text)], "kind": kind}
    await state.update_data(evidence=items)
    data["evidence"] = items
    decision = refunds.decide(data, _now()).model_dump(mode="json")
    text = "\n".join(
        [
            t("evidence.labelled", n=int(index_text) + 1, kind=t(f"evidence.{kind}")),
            "",
            render.checklist(t, decision.get("required_evidence", []), evidence_kinds(data)),
            "",
            t("evidence.more_or_done"),
        ]
    )
    await message.edit_text(text, reply_markup=keyboards.evidence_done(t))


# --- anything else during the wizard ----------------------------------------------------

@router.message(Wizard.evidence, ~F.text.startswith("/"))
async def evidence_unexpected(message: Message, t: Translator, kb: Any = None) -> None:
    if message.text and await try_answer_question(message, t, kb, message.text):
        return
    await message.answer(t("hint.evidence"), reply_markup=keyboards.evidence_done(t))


@router.message(StateFilter(*[s for s in (*WIZARD_STEPS, Wizard.cause_text) if s is not Wizard.evidence]), ~F.text.startswith("/"))
async def unexpected(message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService, kb: Any = None) -> None:
    """A sticker, a voice note, a location, or text where a button is expected."""
    current = step_name(await state.get_state())
    if message.text and await try_answer_question(message, t, kb, message.text):
        await reask(message, state, t, settings, refunds)
        return
    key = "hint.text_expected" if current in TEXT_STEPS else "hint.button_expected"
    await message.answer(t(key))
    await reask(message, state, t, settings, refunds)

