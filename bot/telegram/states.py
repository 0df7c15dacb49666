"""Conversation states, one StatesGroup per flow."""

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup


class Wizard(StatesGroup):
    order_number = State()
    platform_type = State()
    order_status = State()
    cause = State()
    cause_text = State()
    payment_channel = State()
    amount = State()
    payment_time = State()
    completion_time = State()  # only for redeemed or completed orders
    evidence = State()
    summary = State()


class CaseFlow(StatesGroup):
    add_evidence = State()
    appeal_reason = State()


class Ask(StatesGroup):
    question = State()


class LinkCheck(StatesGroup):
    waiting = State()


# the wizard's steps in order; "back" walks this list
WIZARD_STEPS: tuple[State, ...] = (
    Wizard.order_number,
    Wizard.platform_type,
    Wizard.order_status,
    Wizard.cause,
    Wizard.payment_channel,
    Wizard.amount,
    Wizard.payment_time,
    Wizard.completion_time,
    Wizard.evidence,
    Wizard.summary,
)


def step_name(state: State | str | None) -> str:
    """`Wizard:amount` -> `amount`."""
    raw = state.state if isinstance(state, State) else state
    return (raw or "").split(":", 1)[-1]


# orders whose goods were used: the policy's windows run from completion, so it is asked
COMPLETION_STATUSES = frozenset({"redeemed", "completed"})


def applies(step: str, data: dict[str, Any]) -> bool:
    """Whether a wizard step is asked for this draft."""
    return step != "completion_time" or data.get("order_status") in COMPLETION_STATUSES


def following_step(step: str, data: dict[str, Any]) -> str:
    order = [step_name(s) for s in WIZARD_STEPS]
    return next(name for name in order[order.index(step) + 1 :] if applies(name, data))


def previous_step(step: str, data: dict[str, Any]) -> str | None:
    order = [step_name(s) for s in WIZARD_STEPS]
    return next((name for name in reversed(order[: order.index(step)]) if applies(name, data)), None)


STEP_BY_NAME: dict[str, State] = {step_name(s): s for s in (*WIZARD_STEPS, Wizard.cause_text)}


async def has_draft(state: FSMContext) -> bool:
    """An unfinished refund request (the wizard with at least one answer)."""
    current = await state.get_state()
    return bool(current and current.startswith("Wizard:") and (await state.get_data()).get("order_number"))
