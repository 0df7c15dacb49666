"""The model's budget per buyer message: one `turn` around each update (see bot.llm.budget).

Registered as an update middleware after aiogram's own (which find the chat and the state),
so every handler of the update shares one model call. The case key the tokens are counted
under is the refund draft's key while the buyer is in the wizard, else the chat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, TelegramObject, Update

from bot.llm import Gateway, turn

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


async def case_key_of(state: FSMContext | None, chat: Chat | None) -> str | None:
    """`draft:<key>` inside the wizard, `chat:<id>` elsewhere (None without a chat)."""
    if state is not None:
        try:
            draft = (await state.get_data()).get("draft") or {}
        except Exception:  # noqa: BLE001 - the storage's own errors surface in the handler
            log.debug("no state data for the case key", exc_info=True)
            draft = {}
        if isinstance(draft, dict) and draft.get("key"):
            return f"draft:{draft['key']}"
    return f"chat:{chat.id}" if chat is not None else None


class LLMTurn(BaseMiddleware):
    """Opens `turn(f"{chat_id}:{update_id}", case_key=...)` around each update."""

    def __init__(self, gateway: Gateway | None) -> None:
        self.gateway = gateway

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if self.gateway is None or not isinstance(event, Update):
            return await handler(event, data)
        chat: Chat | None = data.get("event_chat")
        case_key = await case_key_of(data.get("state"), chat)
        with turn(f"{chat.id if chat else 0}:{event.update_id}", case_key=case_key):
            return await handler(event, data)
