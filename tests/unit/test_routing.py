"""F and State filters run in the event loop, not in one of aiogram's worker threads each."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event import handler as aiogram_handler
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, Update

from bot.app import create_dispatcher, create_services
from bot.config import Settings
from bot.i18n import Translator
from bot.telegram.console import ConsoleChat
from bot.telegram.routing import run_filters_inline
from tests.unit.test_console import button_number


class Form(StatesGroup):
    name = State()


def count_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What aiogram hands to a worker thread from now on."""
    handed: list[str] = []

    async def to_thread(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        inner = getattr(call, "func", call)
        handed.append(getattr(inner, "__qualname__", repr(inner)))
        return await asyncio.to_thread(call, *args, **kwargs)

    proxy = types.SimpleNamespace(to_thread=to_thread)
    monkeypatch.setattr(aiogram_handler, "asyncio", proxy)
    return handed


def message(text: str, update_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "b"},
                "text": text,
            },
        }
    )


async def test_f_and_state_filters_run_inline_and_still_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    router = Router()

    @router.message(Command("start"))
    async def start(_message: Message, state: FSMContext) -> None:
        await state.set_state(Form.name)
        seen.append("start")

    @router.message(Form.name, F.text.startswith("x"))
    async def named(event: Message) -> None:
        seen.append(f"named {event.text}")

    def odd(event: Message) -> bool:  # a plain filter of our own keeps aiogram's thread
        return len(event.text or "") % 2 == 1

    @router.message(odd)
    async def other(event: Message) -> None:
        seen.append(f"other {event.text}")

    dp = Dispatcher()
    dp.include_router(router)
    assert run_filters_inline(dp) == 2
    handed = count_threads(monkeypatch)
    bot = Bot("42:TEST")
    try:
        for update_id, text in enumerate(["xy", "/start", "y", "xz"], start=1):
            await dp.feed_update(bot, message(text, update_id))
    finally:
        await bot.session.close()
    # "xy" before /start: no state, so the F filter's handler is not reached
    assert seen == ["start", "other y", "named xz"]
    assert handed and set(handed) == {
        "test_f_and_state_filters_run_inline_and_still_filter.<locals>.odd"
    }


async def test_the_bot_hands_no_filter_to_a_thread(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await create_services(make_settings())
    console = ConsoleChat(create_dispatcher(services), write=lambda _text: None)
    t = Translator("zh")
    handed = count_threads(monkeypatch)

    def number_of(label: str) -> str:
        return button_number(console, label)

    try:
        await console.handle_line("/start")
        await console.handle_line(number_of(t("menu.refund")))
        await console.handle_line("KM20261121000123")
        await console.handle_line(number_of(t("platform.official")))
        await console.handle_line(number_of(t("status.paid_undelivered")))
    finally:
        await console.close()
        await services.close()
    assert handed == []
