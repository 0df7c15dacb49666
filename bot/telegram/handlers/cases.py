"""My cases: the list, a case's detail and timeline, adding evidence, appealing."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.domain.draft import Draft, Moment
from bot.domain.rules import Decision
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PaymentChannel, PlatformType
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.services.refunds import ActionNotAllowed, CaseNotFound, CaseView, RefundService
from bot.storage.models import Case
from bot.telegram import keyboards, render
from bot.telegram.callbacks import CaseAction, CaseCb, MenuAction, MenuCb
from bot.telegram.evidence import evidence_file
from bot.telegram.handlers.wizard.flow import basis
from bot.telegram.states import CaseFlow

router = Router(name="cases")
router.message.filter(F.chat.type == "private")

MAX_APPEAL_TEXT = 1000


def _now() -> datetime:
    return datetime.now(UTC)


async def show_list(message: Message, user_id: int, t: Translator, refunds: RefundService) -> None:
    cases = await refunds.list_cases(user_id=user_id)
    if not cases:
        await message.answer(t("cases.empty"), reply_markup=keyboards.main_menu(t))
        return
    labels = [
        (c.id or 0, t("cases.item", number=c.number, status=t(f"case_status.{c.status}")))
        for c in cases
    ]
    await message.answer(
        t("cases.title", count=len(cases)), reply_markup=keyboards.case_list(t, labels)
    )


async def _view(
    message: Message, user_id: int, case_id: int, t: Translator, refunds: RefundService
) -> CaseView | None:
    try:
        return await refunds.view(user_id=user_id, case_id=case_id, now=_now())
    except CaseNotFound:
        await message.answer(t("cases.not_found"))
        return None


def draft_of(case: Case) -> Draft:
    """A stored case's answers, typed as the wizard had them (for the same rendering)."""
    paid_at, completed_at = _aware(case.paid_at), _aware(case.completed_at)
    status = OrderStatus(case.order_status)
    return Draft(
        key=case.draft_key,
        order_number=case.order_number,
        platform_type=PlatformType(case.platform_type),
        order_status=status,
        cause=Cause(case.cause),
        cause_text=case.cause_text,
        payment_channel=PaymentChannel(case.payment_channel),
        amount=case.amount,
        paid=Moment.typed(paid_at) if paid_at else None,
        completed=Moment.typed(completed_at) if completed_at else None,
        completion_answered=True,
    )


async def show_case(
    message: Message,
    user_id: int,
    case_id: int,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    view = await _view(message, user_id, case_id, t, refunds)
    if view is None:
        return
    case = view.case
    result = Decision.model_validate(case.decision)
    lines = [
        t("cases.detail_title", number=case.number),
        t("cases.status", status=t(f"case_status.{case.status}")),
        "",
    ]
    lines += render.answers(t, draft_of(case), settings.tz)
    lines += ["", render.decision(t, result, case.amount, basis(kb, result, t.lang))]
    lines += ["", t("cases.evidence", count=view.evidence_count)]
    have = [
        EvidenceKind(kind)
        for kind in view.evidence_kinds
        if kind in EvidenceKind.__members__.values()
    ]
    lines.append(render.checklist(t, result.required_evidence, have))
    if view.appeal_deadline is not None:
        deadline = render.local_time(view.appeal_deadline, settings.tz)
        if view.can_appeal:
            key = "cases.appeal_until"
        elif view.appeal_deadline > _now():  # already appealed: the window is still open
            key = "case.appeal_ends"
        else:
            key = "cases.appeal_closed"
        lines += ["", t(key, deadline=deadline)]
    lines += ["", t("cases.timeline"), render.timeline(t, view.events, settings.tz)]
    await message.answer(
        "\n".join(lines),
        reply_markup=keyboards.case_detail(
            t, case_id, can_add_evidence=view.can_add_evidence, can_appeal=view.can_appeal
        ),
    )


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for UTC columns."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.message(Command("cases"))
async def cases_command(message: Message, t: Translator, refunds: RefundService) -> None:
    assert message.from_user is not None
    await show_list(message, message.from_user.id, t, refunds)


@router.callback_query(MenuCb.filter(F.action == MenuAction.CASES))
async def cases_menu(query: CallbackQuery, t: Translator, refunds: RefundService) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_list(query.message, query.from_user.id, t, refunds)


@router.callback_query(CaseCb.filter())
async def case_button(
    query: CallbackQuery,
    callback_data: CaseCb,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
    kb: KnowledgeBase,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("hint.stale"), show_alert=True)
        return
    user_id, case_id = query.from_user.id, callback_data.case_id
    action = callback_data.action
    if action is CaseAction.LIST:
        await query.answer()
        await state.clear()
        await show_list(message, user_id, t, refunds)
    elif action is CaseAction.OPEN:
        await query.answer()
        await state.clear()
        await show_case(message, user_id, case_id, t, settings, refunds, kb)
    elif action is CaseAction.EVIDENCE:
        await query.answer()
        view = await _view(message, user_id, case_id, t, refunds)
        if view is None:
            return
        if not view.can_add_evidence:
            await message.answer(t("cases.closed_for_evidence"))
            return
        await state.set_state(CaseFlow.add_evidence)
        await state.set_data({"case_id": case_id, "files": []})
        await message.answer(
            t("cases.send_evidence", number=view.case.number, max_mb=settings.max_evidence_mb),
            reply_markup=keyboards.case_flow_done(t, case_id),
        )
    elif action is CaseAction.APPEAL:
        await query.answer()
        view = await _view(message, user_id, case_id, t, refunds)
        if view is None:
            return
        if not view.can_appeal:
            await message.answer(
                t("cases.appeal_not_allowed", days=refunds.policy.windows.appeal_days)
            )
            return
        await state.set_state(CaseFlow.appeal_reason)
        await state.set_data({"case_id": case_id})
        await message.answer(
            t("cases.appeal_reason", number=view.case.number),
            reply_markup=keyboards.case_flow_cancel(t, case_id),
        )
    elif action is CaseAction.DONE:
        await query.answer()
        await state.clear()
        await show_case(message, user_id, case_id, t, settings, refunds, kb)
    elif action is CaseAction.KIND:
        index, _, kind = callback_data.value.partition("-")
        data = await state.get_data()
        files = data.get("files", [])
        if (
            await state.get_state() != CaseFlow.add_evidence.state
            or not index.isdigit()
            or int(index) >= len(files)
            or (kind != "other" and kind not in EvidenceKind.__members__.values())
        ):
            await query.answer(t("hint.stale"))
            return
        await query.answer()
        await refunds.label_evidence(
            user_id=user_id, case_id=case_id, file_unique_id=files[int(index)], kind=kind
        )
        await message.edit_text(
            t("evidence.labelled", n=int(index) + 1, kind=t(f"evidence.{kind}"))
            + "\n\n"
            + t("evidence.more_or_done"),
            reply_markup=keyboards.case_flow_done(t, case_id),
        )


@router.message(CaseFlow.add_evidence, F.photo | F.document)
async def case_evidence(
    message: Message,
    bot: Bot,
    state: FSMContext,
    t: Translator,
    settings: Settings,
    refunds: RefundService,
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    case_id = int(data["case_id"])
    file = await evidence_file(message, bot, t, settings)
    if file is None:
        return
    count = await refunds.evidence_count(case_id=case_id)
    if count >= settings.max_evidence_files * 2:
        await message.answer(
            t("error.evidence.too_many", max_files=settings.max_evidence_files * 2)
        )
        return
    try:
        added = await refunds.add_evidence(
            user_id=message.from_user.id, case_id=case_id, file={**file, "kind": "other"}
        )
    except (CaseNotFound, ActionNotAllowed):
        await state.clear()
        await message.answer(t("cases.closed_for_evidence"))
        return
    if not added:
        await message.answer(t("evidence.duplicate"))
        return
    files = [*data.get("files", []), file["file_unique_id"]]
    await state.update_data(files=files)
    case = await refunds.view(user_id=message.from_user.id, case_id=case_id, now=_now())
    kinds = [str(k) for k in case.case.decision.get("required_evidence", [])]
    kinds += [k.value for k in EvidenceKind if k.value not in kinds]
    await message.answer(
        t("evidence.received_case", n=len(files), total=count + 1),
        reply_markup=keyboards.evidence_kinds(t, kinds, len(files) - 1, case_id=case_id),
    )


@router.message(CaseFlow.add_evidence)
async def case_evidence_unexpected(message: Message, state: FSMContext, t: Translator) -> None:
    data = await state.get_data()
    await message.answer(
        t("hint.evidence"), reply_markup=keyboards.case_flow_done(t, int(data["case_id"]))
    )


@router.message(CaseFlow.appeal_reason, F.text)
async def appeal_reason(
    message: Message, state: FSMContext, t: Translator, settings: Settings, refunds: RefundService
) -> None:
    assert message.from_user is not None and message.text is not None
    reason = message.text.strip()
    if len(reason) < 5:
        await message.answer(t("cases.appeal_too_short"))
        return
    if len(reason) > MAX_APPEAL_TEXT:
        await message.answer(t("error.too_long", max=MAX_APPEAL_TEXT))
        return
    case_id = int((await state.get_data())["case_id"])
    try:
        case = await refunds.appeal(
            user_id=message.from_user.id, case_id=case_id, reason=reason, now=_now()
        )
    except (CaseNotFound, ActionNotAllowed):
        await state.clear()
        await message.answer(t("cases.appeal_not_allowed", days=refunds.policy.windows.appeal_days))
        return
    await state.set_state(CaseFlow.add_evidence)
    await state.set_data({"case_id": case_id, "files": []})
    await message.answer(
        t("cases.appealed", number=case.number), reply_markup=keyboards.case_flow_done(t, case_id)
    )


@router.message(CaseFlow.appeal_reason)
async def appeal_unexpected(message: Message, t: Translator) -> None:
    await message.answer(t("hint.text_expected"))
