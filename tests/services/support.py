"""Helpers for the service tests: a Redis key scope and a Bot session that records."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message, User
from redis.asyncio import Redis


class RedisScope:
    """What one test may touch in Redis: keys under `prefix`, or keys naming `bot_id`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"refundbot-test-{secrets.token_hex(6)}"
        # a random, realistic bot id: keys built by aiogram and the ledger contain it
        self.bot_id = 9_000_000_000 + secrets.randbelow(999_999_999)
        self.token = f"{self.bot_id}:TEST-{secrets.token_urlsafe(24)}"

    def client(self) -> Redis:
        return Redis.from_url(self.url)

    async def keys(self) -> list[bytes]:
        client = self.client()
        try:
            found: list[bytes] = []
            for pattern in (f"{self.prefix}*", f"*:{self.bot_id}:*", f"*:{self.bot_id}"):
                found += [key async for key in client.scan_iter(match=pattern, count=500)]
            return sorted(set(found))
        finally:
            await client.aclose()

    async def cleanup(self) -> None:
        keys = await self.keys()
        if keys:
            client = self.client()
            try:
                await client.delete(*keys)
            finally:
                await client.aclose()


# --- a Bot that records its requests --------------------------------------------------


class RecordingSession(BaseSession):
    """Answers every Bot API call locally: sendMessage with a plausible Message, anything
    else with True; keeps the calls in `requests`."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_id = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> Any:
        self.requests.append(method)
        if isinstance(method, SendMessage):
            self._message_id += 1
            chat_id = int(method.chat_id)
            return Message(
                message_id=self._message_id,
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="private" if chat_id > 0 else "group"),
                from_user=User(id=bot.id, is_bot=True, first_name="refund-bot"),
                text=method.text,
            ).as_(bot)
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncIterator[bytes]:
        yield b""

    async def close(self) -> None:
        pass

    def sent(self, method: type[TelegramMethod[Any]] = SendMessage) -> list[Any]:
        return [request for request in self.requests if isinstance(request, method)]
