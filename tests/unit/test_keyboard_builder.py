"""The keyboards' own builder lays buttons out exactly as aiogram's InlineKeyboardBuilder."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.callbacks import WizardAction, WizardCb
from bot.telegram.keyboards import Builder

operation = st.one_of(
    st.tuples(st.just("button"), st.integers(0, 99)),
    st.tuples(st.just("row"), st.integers(1, 11)),
    st.tuples(st.just("adjust"), st.lists(st.integers(1, 5), max_size=3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, min_size=1, max_size=16))
def test_the_same_rows_as_aiogram_for_any_sequence_of_calls(ops: list[tuple[str, object]]) -> None:
    theirs, ours = InlineKeyboardBuilder(), Builder()
    for index, (kind, arg) in enumerate(ops):
        if kind == "button":
            data = WizardCb(action=WizardAction.PICK, step="s", value=str(arg))
            theirs.button(text=str(arg), callback_data=data)
            ours.button(text=str(arg), callback_data=data)
        elif kind == "row":
            assert isinstance(arg, int)
            row = [InlineKeyboardButton(text=f"{index}.{i}", callback_data="x") for i in range(arg)]
            theirs.row(*row)
            ours.row(*row)
        else:
            assert isinstance(arg, list)
            theirs.adjust(*arg)
            ours.adjust(*arg)
    assert ours.as_markup() == theirs.as_markup()


def test_a_built_keyboard_is_not_changed_by_building_on() -> None:
    builder = Builder()
    builder.button(text="a", callback_data=WizardCb(action=WizardAction.PICK, step="s", value="a"))
    first = builder.as_markup()
    builder.button(text="b", callback_data=WizardCb(action=WizardAction.PICK, step="s", value="b"))
    assert [[b.text for b in row] for row in first.inline_keyboard] == [["a"]]
