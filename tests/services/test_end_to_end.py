"""The application built the real way on PostgreSQL and Redis: a repeated delivery of an
update (same update_id) is handled once."""

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
from bot.services.ledger import RedisLedger
from bot.storage import repo
from bot.storage.models import User as StoredUser
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
async def app(pg_url: str, redis_scope: RedisScope) -> AsyncIterator[tuple[Services, Dispatcher, Bot]]:
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
    assert isinstance(dp.storage, RedisStorage)  # REDIS_URL set: the Redis flavour of everything
    assert isinstance(dp.storage.key_builder, DefaultKeyBuilder) and dp.storage.key_builder.with_destiny

    await dp.feed_update(bot, start_update(700_001))
    await dp.feed_update(bot, start_update(700_001))  # Telegram delivers it again

    sent = session.sent(SendMessage)
    assert len(sent) == 1, [r.__class__.__name__ for r in session.requests]
    assert int(sent[0].chat_id) == USER_ID and sent[0].text

    await dp.feed_update(bot, start_update(700_002))  # a new update is handled
    assert len(session.sent(SendMessage)) == 2

    # the update ids went to Redis, the buyer to PostgreSQL
    assert await RedisLedger(services.redis).first_time(bot_id=bot.id, update_id=700_001) is False  # type: ignore[arg-type]
    async with services.sessions() as db:
        buyer = await db.get(StoredUser, USER_ID)
        assert buyer is not None and buyer.first_name == "Ming"
        assert await repo.mark_update_processed(db, bot_id=bot.id, update_id=700_001) is True  # the SQL ledger was not used
    key = StorageKey(bot_id=bot.id, chat_id=USER_ID, user_id=USER_ID)
    assert await dp.storage.get_state(key) is None  # /start leaves no wizard behind
