"""The wizard's buttons: one handler checks the press belongs to the current step, then
one small action per kind of button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.domain.draft import Draft, Moment, Step
from bot.domain.intake import QUICK_COMPLETION, QUICK_TIMES
from bot.domain.vocab import Cause, CauseGroup, OrderStatus, PaymentChannel, PlatformType
from bot.i18n import Translator
from bot.telegram import keyboards, render
from bot.telegram.callbacks import WizardAction, WizardCb
from bot.telegram.handlers.wizard import evidence
from bot.telegram.handlers.wizard.flow import Flow, basis, drop_keyboard, now
from bot.telegram.states import Wizard, step_name

router = Router(name="wizard-buttons")

# the label of each choosable value: locale key prefix per step
PREFIX: dict[Step, str] = {
    Step.PLATFORM_TYPE: "platform",
    Step.ORDER_STATUS: "status",
    Step.CAUSE: "cause",
    Step.PAYMENT_CHANNEL: "channel",
    Step.PAYMENT_TIME: "quick_time",
    Step.COMPLETION_TIME: "quick_completion",
}
EDITABLE = frozenset(keyboards.EDIT_FIELDS)  # the answers the summary can change


@dataclass
class Press:
    """One press of a wizard button, with what its action needs."""

    query: CallbackQuery
    flow: Flow
    current: str  # the state's name: a step, `cause_text` or `prefilled`
    value: str
    draft: Draft

    @property
    def step(self) -> Step | None:
        if self.current == "cause_text":
            return Step.CAUSE
        return Step(self.current) if self.current in Step.__members__.values() else None


def _expected(press_step: str, action: WizardAction, current: str) -> bool:
    return (
        press_step == current
        or (current == "cause_text" and press_step == "cause")
        # the fee can still be corrected from the summary
        or (action is WizardAction.FEE and current == "summary")
    )


@router.callback_query(WizardCb.filter())
async def wizard_button(
    query: CallbackQuery, callback_data: WizardCb, t: Translator, flow: Flow | None = None
) -> None:
    if flow is None:  # the message the button is on can no longer be reached
        await query.answer(t("hint.stale"), show_alert=True)
        return
    raw = await flow.state.get_state()
    in_wizard = bool(raw and raw.startswith("Wizard:"))
    current = step_name(raw)
    if callback_data.action is WizardAction.CANCEL and in_wizard:
        await query.answer()
        await flow.cancel()
        return
    if not in_wizard or not _expected(callback_data.step, callback_data.action, current):
        await query.answer(t("hint.stale"))
        if in_wizard:
            await flow.reask()
        return
    await query.answer()
    await ACTIONS[callback_data.action](
        Press(query, flow, current, callback_data.value, await flow.draft())
    )


async def on_back(p: Press) -> None:
    await drop_keyboard(p.flow.message)
    if p.draft.editing:
        await p.flow.ask(Step.SUMMARY, p.draft)
    elif p.current == "cause_text":
        await p.flow.ask(Step.CAUSE, p.draft)
    elif p.step is None or (previous := p.draft.previous_step(p.step)) is None:
        await p.flow.cancel()
    else:
        await p.flow.ask(previous, p.draft)


def _valid(step: Step, value: str) -> bool:
    choices: dict[Step, frozenset[str]] = {
        Step.PLATFORM_TYPE: frozenset(PlatformType),
        Step.ORDER_STATUS: frozenset(OrderStatus),
        Step.CAUSE: frozenset(Cause),
        Step.PAYMENT_CHANNEL: frozenset(PaymentChannel),
        Step.PAYMENT_TIME: frozenset(QUICK_TIMES),
        Step.COMPLETION_TIME: frozenset(QUICK_COMPLETION),
    }
    return value in choices.get(step, frozenset())


async def on_pick(p: Press) -> None:
    step, draft, flow = p.step, p.draft, p.flow
    if step is None or not _valid(step, p.value):
        await flow.reask()
        return
    moment = now()
    if step is Step.PLATFORM_TYPE:
        draft.platform_type = PlatformType(p.value)
    elif step is Step.ORDER_STATUS:
        draft.set_status(OrderStatus(p.value))
    elif step is Step.CAUSE:
        # a description typed just before stays with the cause chosen after it
        if p.current != "cause_text" and not draft.cause_text_pending:
            draft.cause_text = None
        draft.cause_text_pending = False
        draft.cause = Cause(p.value)
    elif step is Step.PAYMENT_CHANNEL:
        draft.payment_channel = PaymentChannel(p.value)
    elif step is Step.PAYMENT_TIME:
        draft.paid = Moment.paid_choice(p.value, moment)
        if draft.completed is not None and not draft.completion_possible(draft.completed):
            draft.completed, draft.completion_answered = None, False
    elif step is Step.COMPLETION_TIME:
        completed = Moment.completion_choice(p.value, moment)
        if completed is not None and not draft.completion_possible(completed):
            await flow.message.answer(flow.t("error.completion.before_payment"))
            await flow.reask()
            return
        draft.set_completion(completed)
    await flow.mark_answered(flow.t(f"{PREFIX[step]}.{p.value}"))
    await flow.advance(draft)


async def on_group(p: Press) -> None:
    if p.value in CauseGroup.__members__.values():
        # the list of one group: its own title, in place of "pick a group first"
        await p.flow.message.edit_text(
            p.flow.t("draft.cause_in_group"),
            reply_markup=keyboards.causes_in_group(p.flow.t, CauseGroup(p.value)),
        )
    else:
        await p.flow.state.set_state(Wizard.cause)
        await p.flow.message.answer(
            p.flow.t("wizard.cause"), reply_markup=keyboards.cause_groups(p.flow.t)
        )


async def on_fee(p: Press) -> None:
    flow, draft = p.flow, p.draft
    draft.fee_disclosed = False
    await flow.save(draft)
    result = flow.refunds.decide(draft, now())
    assert draft.amount is not None
    text = render.decision(flow.t, result, draft.amount, basis(flow.kb, result, flow.t.lang))
    await flow.message.edit_text(text + "\n\n" + flow.t("decision.fee_waived"), reply_markup=None)
    if p.current == "summary":
        await flow.show_summary(draft)


async def on_type(p: Press) -> None:
    await drop_keyboard(p.flow.message)
    p.draft.cause_text_pending = True
    await p.flow.save(p.draft)
    await p.flow.ask_cause_text()


async def on_done(p: Press) -> None:
    flow, draft = p.flow, p.draft
    await drop_keyboard(flow.message)
    missing = flow.missing_evidence(draft)
    if missing:
        items = render.join(flow.t, [flow.t(f"evidence.{k.value}") for k in missing])
        await flow.message.answer(flow.t("wizard.evidence_missing", items=items))
    draft.evidence_done = True
    await flow.save(draft)
    await flow.show_summary(draft)


async def on_edit(p: Press) -> None:
    if p.value not in EDITABLE:
        await p.flow.reask()
        return
    step = Step(p.value)
    await drop_keyboard(p.flow.message)
    p.draft.editing = p.current == "summary"
    await p.flow.save(p.draft)
    await p.flow.ask(step, p.draft)


async def on_accept(p: Press) -> None:
    await drop_keyboard(p.flow.message)
    p.draft.prefilled = []
    await p.flow.advance(p.draft)


async def on_confirm(p: Press) -> None:
    await p.flow.submit(p.query.from_user.id)


async def on_cancel(p: Press) -> None:  # reached only outside the wizard, handled above
    await p.flow.cancel()


ACTIONS: dict[WizardAction, Callable[[Press], Awaitable[None]]] = {
    WizardAction.BACK: on_back,
    WizardAction.PICK: on_pick,
    WizardAction.GROUP: on_group,
    WizardAction.FEE: on_fee,
    WizardAction.TYPE: on_type,
    WizardAction.KIND: lambda p: evidence.label(p.flow, p.draft, p.value),
    WizardAction.RELABEL: lambda p: evidence.relabel(p.flow, p.draft, p.value),
    WizardAction.REMOVE: lambda p: evidence.remove(p.flow, p.draft, p.value),
    WizardAction.DONE: on_done,
    WizardAction.EDIT: on_edit,
    WizardAction.ACCEPT: on_accept,
    WizardAction.CONFIRM: on_confirm,
    WizardAction.CANCEL: on_cancel,
}
