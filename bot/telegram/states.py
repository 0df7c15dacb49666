"""Conversation states, one StatesGroup per flow."""

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.domain.draft import Step


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
    prefilled = State()  # the answers found in one description, waiting for "that's right"


class CaseFlow(StatesGroup):
    add_evidence = State()
    appeal_reason = State()


class Ask(StatesGroup):
    question = State()


class LinkCheck(StatesGroup):
    waiting = State()


def step_name(state: State | str | None) -> str:
    """`Wizard:amount` -> `amount`."""
    raw = state.state if isinstance(state, State) else state
    return (raw or "").split(":", 1)[-1]


# each step of the draft has its state; `cause_text` and `prefilled` are sub-steps
STATE_OF: dict[Step, State] = {step: getattr(Wizard, step.value) for step in Step}
WIZARD_STATES: tuple[State, ...] = (*STATE_OF.values(), Wizard.cause_text, Wizard.prefilled)


def step_of(state: str | None) -> Step | None:
    """The draft step a stored state stands for (`cause_text` belongs to `cause`)."""
    if not state or not state.startswith("Wizard:"):
        return None
    name = step_name(state)
    if name == "cause_text":
        return Step.CAUSE
    return Step(name) if name in Step.__members__.values() else None


async def has_draft(state: FSMContext) -> bool:
    """An unfinished refund request (the wizard with at least one answer)."""
    current = await state.get_state()
    if not (current and current.startswith("Wizard:")):
        return False
    draft = (await state.get_data()).get("draft") or {}
    return bool(draft.get("order_number"))
