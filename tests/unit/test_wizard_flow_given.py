"""The wizard's handlers are given `flow` (`bot.telegram.handlers.wizard.inject`): made from
the update's message and the injections, or left out when a button's message can no
longer be reached."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, User

from bot.telegram.handlers.wizard.flow import Flow
from bot.telegram.handlers.wizard.inject import GiveFlow

CHAT = Chat(id=42, type="private")
BUYER = User(id=42, is_bot=False, first_name="Li")


def injections(**more: Any) -> dict[str, Any]:
    return {"state": "S", "t": "T", "settings": "C", "refunds": "R", "kb": "K", **more}


async def given(event: Any, data: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def handler(_: Any, handed: dict[str, Any]) -> str:
        seen.update(handed)
        return "handled"

    assert await GiveFlow()(handler, event, data) == "handled"
    return seen


async def test_a_message_is_given_its_flow_with_the_model_when_there_is_one() -> None:
    message = Message(message_id=1, date=datetime.now(UTC), chat=CHAT, text="KM1")
    flow = (await given(message, injections(gateway="G")))["flow"]
    assert isinstance(flow, Flow) and flow.message is message
    assert (flow.state, flow.t, flow.settings, flow.refunds, flow.kb, flow.gateway) == (
        "S",
        "T",
        "C",
        "R",
        "K",
        "G",
    )
    assert (await given(message, injections()))["flow"].gateway is None


async def test_a_press_is_given_the_flow_of_the_message_its_button_is_on() -> None:
    shown = Message(message_id=7, date=datetime.now(UTC), chat=CHAT, text="prompt")
    press = CallbackQuery(id="1", from_user=BUYER, chat_instance="c", message=shown, data="x")
    assert (await given(press, injections()))["flow"].message is shown


async def test_a_press_on_a_message_out_of_reach_has_no_flow() -> None:
    gone = InaccessibleMessage(chat=CHAT, message_id=7)
    press = CallbackQuery(id="1", from_user=BUYER, chat_instance="c", message=gone, data="x")
    assert "flow" not in await given(press, injections())
