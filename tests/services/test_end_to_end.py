"""The application built the real way on PostgreSQL and Redis: a repeated delivery of an
update (same update_id) is handled once (the inbox, in PostgreSQL, drops it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User

from bot.app import Services, create_bot, create_dispatcher, create_services
from bot.config import load_settings
from bot.storage.models import User as StoredUser
from bot.telegram.fsm import ScopedStorage
from bot.telegram.inbox import InboxWorker
from tests.services.support import RecordingSession, RedisScope

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

USER_ID = 5_000_000_042


def start_update(update_id: int) -> Update:
    buyer = User(id=USER_ID, is_bot=False, first_name="Ming", username="ming", language_code="en")
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime.now(UTC),
            chat=Chat(id=USER_ID, type="private"),
            from_user=buyer,
            text="/start",
        ),
    )


@pytest.fixture
async def app(
    pg_url: str, redis_scope: RedisScope
) -> AsyncIterator[tuple[Services, Dispatcher, Bot]]:
    # _env_file=None: a developer's .env (e.g. one made for docker compose) must not leak in
    settings = load_settings(database_url=pg_url, redis_url=redis_scope.url, _env_file=None)
    services = await create_services(settings)
    dp = create_dispatcher(services)
    bot = create_bot(settings, session=RecordingSession(), token=redis_scope.token)
    try:
        yield services, dp, bot
    finally:  # the order `refund-bot run` uses
        await bot.session.close()
        await dp.storage.close()
        await services.close()


async def test_a_repeated_update_is_handled_once(app: tuple[Services, Dispatcher, Bot]) -> None:
    services, dp, bot = app
    session = bot.session
    assert isinstance(session, RecordingSession)
    assert isinstance(dp.storage, ScopedStorage) and isinstance(
        dp.storage.inner, RedisStorage
    )  # REDIS_URL set: the Redis flavour of everything
    assert (
        isinstance(dp.storage.inner.key_builder, DefaultKeyBuilder)
        and dp.storage.inner.key_builder.with_destiny
    )

    worker = InboxWorker(bot, dp, services.inbox)
    assert await worker.accept([start_update(700_001)]) == 1
    assert await worker.accept([start_update(700_001)]) == 0  # Telegram delivers it again
    await worker.close()

    sent = session.sent(SendMessage)
    assert len(sent) == 1, [r.__class__.__name__ for r in session.requests]
    assert int(sent[0].chat_id) == USER_ID and sent[0].text

    worker = InboxWorker(bot, dp, services.inbox)
    assert await worker.accept([start_update(700_002)]) == 1  # a new update is handled
    await worker.close()
    assert len(session.sent(SendMessage)) == 2

    # the inbox and the buyer are in PostgreSQL, the conversation state in Redis
    assert await services.inbox.counts(bot.id) == {"done": 2}
    async with services.sessions() as db:
        buyer = await db.get(StoredUser, USER_ID)
        assert buyer is not None and buyer.first_name == "Ming"
    key = StorageKey(bot_id=bot.id, chat_id=USER_ID, user_id=USER_ID)
    assert await dp.storage.get_state(key) is None  # /start leaves no wizard behind
