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
from bot.telegram.routing import (
    GATED,
    Need,
    gate_routers,
    gates_of,
    gates_out_of_sync,
    need_of,
    run_filters_inline,
)
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


# --- router gates ----------------------------------------------------------------------


def example_of(need: Need) -> tuple[str | None, str | None, str | None]:
    """(callback data, raw state, text) that meets a handler's known conditions."""
    data = None
    if need.callback_prefix is not None:
        prefix, separator = need.callback_prefix
        data = f"{prefix}{separator}x"
    state = None if need.states is None else sorted(need.states, key=str)[0]
    text = None if need.command_prefixes is None else f"{need.command_prefixes[0]}anything"
    return data, state, text


def handlers_with_chain(root: Router, update_type: str) -> list[tuple[Any, list[Router]]]:
    found = []
    for router in root.chain_tail:
        chain = list(router.chain_head)
        found += [(handler, chain) for handler in router.observers[update_type].handlers]
    return found


async def test_every_handler_is_let_through_by_the_gates_above_it(
    make_settings: Callable[..., Settings],
) -> None:
    """A gate may skip a router only when no handler under it could match: an event that
    meets any handler's conditions passes every gate between it and the root."""
    services = await create_services(make_settings(support_chat_id=-100))
    try:
        dp = create_dispatcher(services)
        dp = create_dispatcher(services)  # a second tree (console restart) takes the routers over
        assert gates_out_of_sync(dp) == []
        checked = 0
        for update_type in GATED:
            for handler, chain in handlers_with_chain(dp, update_type):
                need = need_of(handler)
                if need is None:
                    continue
                data, state, text = example_of(need)
                for router in chain:
                    for gate in gates_of(router, update_type):
                        assert any(n.admits(data, state, text) for n in gate.needs), (
                            f"{router.name} hides {handler.callback.__name__}"
                        )
                        checked += 1
        assert checked > 30
    finally:
        await services.close()


async def test_a_wizard_button_skips_the_routers_before_the_wizard(
    make_settings: Callable[..., Settings],
) -> None:
    from bot.telegram.callbacks import WizardCb

    services = await create_services(make_settings())
    try:
        dp = create_dispatcher(services)
        press = WizardCb.__prefix__ + WizardCb.__separator__ + "x"
        routers = {router.name: router for router in dp.chain_tail}
        for name in ("start", "privacy", "support", "links", "cases", "ask", "wizard-entry"):
            (gate,) = gates_of(routers[name], "callback_query")
            assert not any(n.admits(press, None, None) for n in gate.needs), name
        (gate,) = gates_of(routers["refund"], "callback_query")
        assert any(n.admits(press, None, None) for n in gate.needs)
        # a typed answer in the wizard: no command, a wizard state
        state = "Wizard:order_number"
        for name in ("privacy", "web", "cases", "ask"):
            (gate,) = gates_of(routers[name], "message")
            assert not any(n.admits(None, state, "KM123") for n in gate.needs), name
            assert any(n.admits(None, state, "/x") for n in gate.needs), name
    finally:
        await services.close()


async def test_a_handler_added_after_the_gates_is_found_out() -> None:
    root = Router(name="root")
    inner = Router(name="inner")
    root.include_router(inner)

    @inner.message(Form.name)
    async def named(_message: Message) -> None: ...

    assert gate_routers(root) > 0
    assert gates_out_of_sync(root) == []

    @inner.message(Command("late"))
    async def late(_message: Message) -> None: ...

    assert gates_out_of_sync(root) == ["root message", "inner message"]
    gate_routers(root)
    assert gates_out_of_sync(root) == []
    (gate,) = gates_of(root, "message")
    assert any(n.admits(None, None, "/late") for n in gate.needs)
    assert not any(n.admits(None, None, "late") for n in gate.needs)


async def test_a_gated_tree_routes_as_aiogram_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same updates through a tree with and without gates reach the same handlers."""

    def tree(seen: list[str]) -> Dispatcher:
        dp = Dispatcher()
        first, second = Router(name="first"), Router(name="second")

        @first.message(Command("go"))
        async def go(_message: Message, state: FSMContext) -> None:
            await state.set_state(Form.name)
            seen.append("go")

        @first.message(Form.name, F.text == "stop")
        async def stop(_message: Message, state: FSMContext) -> None:
            await state.clear()
            seen.append("stop")

        @second.message(Form.name)
        async def name(event: Message) -> None:
            seen.append(f"name {event.text}")

        @second.message()
        async def anything(event: Message) -> None:
            seen.append(f"anything {event.text}")

        dp.include_routers(first, second)
        return dp

    texts = ["hi", "/go", "Ann", "stop", "/go", "/other", "stop", "x"]
    results = []
    entered: list[str | None] = []
    plain = Router._propagate_event

    async def counted(self: Router, *args: Any, **kwargs: Any) -> Any:
        entered.append(self.name)
        return await plain(self, *args, **kwargs)

    monkeypatch.setattr(Router, "_propagate_event", counted)
    visits = []
    for gated in (False, True):
        seen: list[str] = []
        dp = tree(seen)
        if gated:
            assert gate_routers(dp) > 0
        bot = Bot("42:TEST")
        entered.clear()
        for index, text in enumerate(texts):
            await dp.feed_update(bot, message(text, index + 1))
        await bot.session.close()
        results.append(seen)
        visits.append(entered.count("first"))
    assert results[0] == results[1]
    assert results[1][:4] == ["anything hi", "go", "name Ann", "stop"]
    # "hi" and "x" (no state, no command) are not even taken into the first router
    assert visits == [len(texts), len(texts) - 2]
