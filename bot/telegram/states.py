"""Conversation states, one StatesGroup per flow."""

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
    Wizard.evidence,
    Wizard.summary,
)


def step_name(state: State | str | None) -> str:
    """`Wizard:amount` -> `amount`."""
    raw = state.state if isinstance(state, State) else state
    return (raw or "").split(":", 1)[-1]


STEP_BY_NAME: dict[str, State] = {step_name(s): s for s in (*WIZARD_STEPS, Wizard.cause_text)}


async def has_draft(state: FSMContext) -> bool:
    """An unfinished refund request (the wizard with at least one answer)."""
    current = await state.get_state()
    return bool(current and current.startswith("Wizard:") and (await state.get_data()).get("order_number"))
