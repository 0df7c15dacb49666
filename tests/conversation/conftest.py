"""Conversation tests: the real bot (`bot.commands.run.serve`, the same code path as
`refund-bot run`) talks HTTP to the project's fake Telegram Bot API server, and the test
plays the buyer through the server's user side."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import BaseMiddleware

from bot.commands.run import serve
from bot.config import Settings
from bot.i18n import Translator
from bot.telegram.console import plain
from tests.fakeapi import BotMessage, FakeTelegramClient, FakeTelegramServer
from tests.fakeapi.client import FakeUser

TOKEN = "123456:TEST-TOKEN"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class UpdateTracker(BaseMiddleware):
    """Outermost update middleware of the bot under test: knows when every update the bot
    took has been handled completely, so a test waits for the bot's whole reaction instead
    of guessing from a quiet moment."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.in_flight += 1
        self.idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()


@dataclass
class RunningBot:
    settings: Settings
    tg: FakeTelegramClient
    tracker: UpdateTracker
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def start(self) -> RunningBot:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(
            serve(self.settings, stop=self.stop_event, observers=[self.tracker])
        )
        polling = asyncio.create_task(self.tg.wait_polling(timeout=20))
        # a bot that fails to start (a bad setting) ends its task: no need to wait 20 s
        await asyncio.wait({polling, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            self.task.result()  # surfaces the bot's own error
            raise AssertionError("the bot stopped before it started polling")
        try:
            polling.result()
        except AssertionError:
            if self.task.done():
                self.task.result()  # surfaces the bot's own error
            raise
        return self

    async def stop(self) -> None:
        if self.task is None:
            return
        self.stop_event.set()
        await asyncio.wait_for(self.task, timeout=20)
        self.task = None


@dataclass
class Harness:
    server: FakeTelegramServer
    tg: FakeTelegramClient
    base_url: str
    make_settings: Callable[..., Settings]
    bots: list[RunningBot] = field(default_factory=list)
    tracker: UpdateTracker = field(default_factory=UpdateTracker)

    def settings(self, *, webhook: bool = False, **overrides: Any) -> Settings:
        # a test buyer is faster than any person: the flood limit has its own test
        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "telegram_api_url": self.base_url,
            "rate_limit": 10_000,
        }
        if webhook:
            port = free_port()
            values |= {
                "webhook_url": f"http://127.0.0.1:{port}/webhook",
                "webhook_host": "127.0.0.1",
                "webhook_port": port,
                "webhook_secret": "s3cret-token-for-tests",
            }
        values.update(overrides)
        return self.make_settings(**values)

    async def start_bot(self, settings: Settings | None = None, **overrides: Any) -> RunningBot:
        running = await RunningBot(
            settings or self.settings(**overrides), self.tg, self.tracker
        ).start()
        self.bots.append(running)
        return running

    def buyer(self, user_id: int = 1001, lang: str = "zh", **kwargs: Any) -> Buyer:
        user = self.tg.user(
            user_id,
            first_name=kwargs.pop("first_name", "李雷" if lang == "zh" else "Li"),
            language_code=lang,
            **kwargs,
        )
        return Buyer(user, Translator(lang), self)


class Buyer:
    """A buyer in a private chat; waits for the bot's answers and finds them by catalog key."""

    def __init__(self, user: FakeUser, t: Translator, harness: Harness) -> None:
        self.user = user
        self.t = t
        self.harness = harness
        self.seen: list[BotMessage] = []

    def text(self, key: str, **values: Any) -> str:
        return plain(self.t(key, **values))

    def needle(self, key: str, **values: Any) -> str:
        return next(line.strip() for line in self.text(key, **values).splitlines() if line.strip())

    async def settle(self) -> list[BotMessage]:
        """The bot's whole reaction to what the buyer just did: every update delivered (the
        server saw its offset confirmed) and handled to the end, then the messages and
        edits it produced in this chat."""
        await self.harness.tg.wait_confirmed(timeout=20)
        await asyncio.wait_for(self.harness.tracker.idle.wait(), timeout=20)
        messages = await self.user.wait_idle(quiet=0.05, timeout=20)
        if not messages:  # a reaction still on its way through the server
            messages = [
                await self.user.wait_for_message(timeout=20),
                *await self.user.wait_idle(quiet=0.05, timeout=20),
            ]
        self.seen.extend(messages)
        return messages

    async def say(self, text: str, **kwargs: Any) -> list[BotMessage]:
        await self.user.send_text(text, **kwargs)
        return await self.settle()

    async def press(self, message: BotMessage, text: str) -> list[BotMessage]:
        await self.user.press(message, text)
        return await self.settle()

    async def choose(self, key: str, **values: Any) -> list[BotMessage]:
        """Press the button labelled by catalog `key` on the newest message showing it."""
        label = self.t(key, **values)
        message = self.with_button(label)
        return await self.press(message, label)

    def with_button(self, label: str) -> BotMessage:
        current = {m.message_id: m for m in self.user.messages()}
        for message in reversed(self.user.messages()):
            if current[message.message_id].has_button(label):
                return current[message.message_id]
        raise AssertionError(
            f"no message shows a button {label!r}; last: {[m.text for m in self.user.messages()[-3:]]}"
        )

    @staticmethod
    def find(messages: list[BotMessage], needle: str) -> BotMessage:
        for message in messages:
            if message.text and needle in message.text:
                return message
        raise AssertionError(f"no message contains {needle!r}; got {[m.text for m in messages]}")

    def expect(self, messages: list[BotMessage], key: str, **values: Any) -> BotMessage:
        return self.find(messages, self.needle(key, **values))


@pytest.fixture
async def harness(make_settings: Callable[..., Settings]) -> AsyncIterator[Harness]:
    server = FakeTelegramServer(token=TOKEN)
    base_url = await server.start()
    async with FakeTelegramClient(base_url) as tg:
        running = Harness(server, tg, base_url, make_settings)
        try:
            yield running
        finally:
            for bot in running.bots:
                await bot.stop()
    await server.stop()


PNG = Path(__file__).resolve().parents[1] / "data" / "evidence.png"
