"""Fake Telegram Bot API server + user-side client for end-to-end bot tests."""

from .aiogram_helpers import PlainHttpSession, make_bot, run_polling, run_webhook
from .client import (
    ApiCall,
    BotMessage,
    Button,
    CallbackAnswer,
    FakeGroup,
    FakeTelegramClient,
    FakeTelegramError,
    FakeUser,
)
from .server import FakeTelegramServer, TelegramError

__all__ = [
    "ApiCall",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "FakeGroup",
    "FakeTelegramClient",
    "FakeTelegramError",
    "FakeTelegramServer",
    "FakeUser",
    "PlainHttpSession",
    "TelegramError",
    "make_bot",
    "run_polling",
    "run_webhook",
]
