"""Middlewares: drop repeated updates, pick the user's language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update, User

from bot.i18n import Translator, pick_language
from bot.services.users import UserService

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateLedger(Protocol):
    async def first_time(self, *, bot_id: int, update_id: int) -> bool: ...


class DeduplicateUpdates(BaseMiddleware):
    """Telegram may deliver an update again (a webhook retry, a restart before the offset
    was confirmed); each update id is handled once."""

    def __init__(self, ledger: UpdateLedger) -> None:
        self.ledger = ledger

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            bot: Bot = data["bot"]
            try:
                first = await self.ledger.first_time(bot_id=bot.id, update_id=event.update_id)
            except Exception:  # noqa: BLE001 - a ledger outage must not drop the buyer's message
                log.warning("update ledger unavailable; handling update %s without the duplicate check", event.update_id, exc_info=True)
                first = True
            if not first:
                log.info("dropping repeated update %s", event.update_id)
                return None
        return await handler(event, data)


class Language(BaseMiddleware):
    """Records the user and injects `t` (a Translator) and `lang`."""

    def __init__(self, users: UserService, default_language: str) -> None:
        self.users = users
        self.default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chosen: str | None = None
        if user is not None and not user.is_bot:
            try:
                chosen = await self.users.touch(user_id=user.id, first_name=user.first_name, username=user.username)
            except Exception:  # noqa: BLE001 - the error handler tells the user; pick a language anyway
                log.warning("could not record user %s", user.id, exc_info=True)
        lang = chosen or pick_language(user.language_code if user else None, self.default_language)
        data["lang"] = lang
        data["t"] = Translator(lang)
        return await handler(event, data)
