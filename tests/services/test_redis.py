"""Redis as the bot uses it with REDIS_URL: aiogram's RedisStorage and RedisEventIsolation
(the update inbox stays in the database: see tests/services/test_faults.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import Chat, Message, Update, User

from bot.telegram.states import Wizard
from tests.services.support import RecordingSession, RedisScope

pytestmark = pytest.mark.redis

USER_ID = 5_000_000_007


def key_builder(scope: RedisScope) -> DefaultKeyBuilder:
    """The app's key builder (with destiny), under this test's own prefix."""
    return DefaultKeyBuilder(with_destiny=True, prefix=scope.prefix)


async def test_redis_storage_keeps_the_wizard_across_a_restart(redis_scope: RedisScope) -> None:
    key = StorageKey(bot_id=redis_scope.bot_id, chat_id=USER_ID, user_id=USER_ID)
    data = {
        "draft_key": "3f1c",
        "cause_text": "卡密无效 🙁",
        "evidence": [{"file_unique_id": "AQAD"}],
        "amount": "88.50",
    }

    storage = RedisStorage(redis_scope.client(), key_builder=key_builder(redis_scope))
    await storage.set_state(key, Wizard.amount)
    await storage.set_data(key, data)
    await storage.close()  # the bot stops: its Redis client is gone

    restarted = RedisStorage(redis_scope.client(), key_builder=key_builder(redis_scope))
    try:
        assert await restarted.get_state(key) == Wizard.amount.state
        assert await restarted.get_data(key) == data
        other_destiny = StorageKey(
            bot_id=key.bot_id, chat_id=key.chat_id, user_id=key.user_id, destiny="other"
        )
        assert await restarted.get_state(other_destiny) is None
        assert all(k.startswith(redis_scope.prefix.encode()) for k in await redis_scope.keys())
        assert any(b":default:" in k for k in await redis_scope.keys())  # the destiny is in the key

        await restarted.set_state(key, None)
        await restarted.set_data(key, {})
        assert await restarted.get_state(key) is None
    finally:
        await restarted.close()


def message_update(update_id: int, user_id: int, text: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ming", language_code="zh-hans")
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=user,
            text=text,
        ),
    )


async def run_two(
    redis_scope: RedisScope, first_user: int, second_user: int
) -> list[tuple[str, str]]:
    """Two handlers (one per update) on a dispatcher with the app's Redis storage and
    isolation; returns the order in which they entered and left.

    For one key each handler holds on for a while; for two keys each waits until the other
    one is in as well (which never happens if they are serialised: then it gives up).
    """
    timeline: list[tuple[str, str]] = []
    both_in = asyncio.Event()
    router = Router()

    @router.message()
    async def slow(message: Message, state: FSMContext) -> None:
        name = message.text or ""
        timeline.append(("enter", name))
        await state.update_data({name: True})
        if first_user == second_user:
            await asyncio.sleep(0.3)
        else:
            if sum(step == "enter" for step, _ in timeline) == 2:
                both_in.set()
            try:
                await asyncio.wait_for(both_in.wait(), timeout=5)
            except TimeoutError:
                timeline.append(("gave up", name))
        timeline.append(("leave", name))

    client = redis_scope.client()
    storage = RedisStorage(client, key_builder=key_builder(redis_scope))
    isolation = RedisEventIsolation(
        client, key_builder=DefaultKeyBuilder(prefix=redis_scope.prefix)
    )
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.include_router(router)
    bot = Bot(token=redis_scope.token, session=RecordingSession())
    try:
        await asyncio.gather(
            dp.feed_update(bot, message_update(1, first_user, "a")),
            dp.feed_update(bot, message_update(2, second_user, "b")),
        )
        if first_user == second_user:
            key = StorageKey(bot_id=bot.id, chat_id=first_user, user_id=first_user)
            assert await storage.get_data(key) == {"a": True, "b": True}  # no lost update
    finally:
        await storage.close()
        await bot.session.close()
    return timeline


async def test_redis_event_isolation_serialises_handlers_for_one_key(
    redis_scope: RedisScope,
) -> None:
    timeline = await run_two(redis_scope, USER_ID, USER_ID)
    assert [step for step, _ in timeline] == ["enter", "leave", "enter", "leave"]
    assert timeline[0][1] == timeline[1][1] and timeline[2][1] == timeline[3][1]


async def test_redis_event_isolation_lets_other_keys_run_together(redis_scope: RedisScope) -> None:
    timeline = await run_two(redis_scope, USER_ID, USER_ID + 1)
    assert [step for step, _ in timeline] == ["enter", "enter", "leave", "leave"]
