"""The wizard's handlers are given `flow`: a `Flow` of the update's message (for a button,
the message the button is on) made from the injected state, translator and services, so a
handler names only what it really uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.telegram.handlers.wizard.flow import Flow

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class GiveFlow(BaseMiddleware):
    """An inner middleware: it runs only once a handler's filters have matched. A press on
    a message the bot can no longer reach has no `flow` (the handler tells it is stale)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        message = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(message, Message):
            data["flow"] = Flow.of(message, data)
        return await handler(event, data)
