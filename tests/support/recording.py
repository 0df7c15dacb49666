"""A Bot API session that records every request and answers it locally, for fast handler
tests through `Dispatcher.feed_update` (the conversation tests use the fake server)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message, User

BOT_USER = User(id=42, is_bot=True, first_name="refund-bot", username="refund_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.sent: dict[int, Message] = {}
        self._ids = itertools.count(5000)

    async def close(self) -> None:
        return None

    async def stream_content(
        self, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> TelegramType:
        self.requests.append(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage | SendPhoto | SendDocument):
            text = getattr(method, "text", None)
            result = Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                text=text,
                reply_markup=method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None,
            )
            self.sent[result.message_id] = result
        elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
            old = self.sent.get(int(method.message_id or 0))
            if old is not None:
                update: dict[str, Any] = {"reply_markup": method.reply_markup}
                if isinstance(method, EditMessageText):
                    update["text"] = method.text
                result = old.model_copy(update=update)
                self.sent[old.message_id] = result
        return result  # type: ignore[no-any-return]

    def messages(self) -> list[Message]:
        """Every message the bot sent, in order, as it looks now."""
        return [self.sent[m.message_id] for m in self.sent.values()]

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages()]

    def calls(self, kind: type) -> list[Any]:
        return [r for r in self.requests if isinstance(r, kind)]
