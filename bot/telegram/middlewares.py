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
        chat = data.get("event_chat")
        chosen: str | None = None
        # buyers are recorded from their private chats; group members are not stored
        if user is not None and not user.is_bot and (chat is None or chat.type == "private"):
            try:
                chosen = await self.users.touch(user_id=user.id, first_name=user.first_name, username=user.username)
            except Exception:  # noqa: BLE001 - the error handler tells the user; pick a language anyway
                log.warning("could not record user %s", user.id, exc_info=True)
        lang = chosen or pick_language(user.language_code if user else None, self.default_language)
        data["lang"] = lang
        data["t"] = Translator(lang)
        return await handler(event, data)


class ScanPrivateMessages(BaseMiddleware):
    """Every message a buyer sends or forwards in a private chat is scanned first; a risky
    one gets the warning instead of being handled as an answer (the conversation keeps its
    place). `/check` shows its own verdict, so its waiting step is left alone."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from aiogram.types import Message

        from bot.telegram import keyboards
        from bot.telegram.fraud import WARN_AT, scan, warning_text
        from bot.telegram.states import LinkCheck

        if not isinstance(event, Message) or event.chat.type != "private":
            return await handler(event, data)
        state = data.get("state")
        if state is not None and await state.get_state() == LinkCheck.waiting.state:
            return await handler(event, data)
        verdict = scan(data.get("detector"), event)
        if verdict is None or not verdict.at_least(WARN_AT):
            return await handler(event, data)
        t: Translator = data["t"]
        log.info("risky message from %s: %s", event.chat.id, verdict.checks)
        await event.reply(warning_text(t, verdict), reply_markup=keyboards.scam_warning(t, str(event.message_id)))
        return None
