"""Two instances' inbox workers on one PostgreSQL database and one Redis: a chat's lock is
held from before its state is read until after its state and inbox row are committed, and
an update that one instance is handling is not handled again by another one that picks it
up from the database (a sweep, a start-up).

In one process the two workers share the dispatcher (its routers are built once per
process) but have their own queues and their own Bot; what they share otherwise is what
two processes share: the database and Redis. tests/scale runs two real processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User

from bot.app import Services, create_bot, create_dispatcher, create_services
from bot.config import load_settings
from bot.i18n import Translator
from bot.telegram.inbox import InboxWorker
from bot.telegram.states import Wizard
from tests.services.support import RecordingSession, RedisScope

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

USER_ID = 5_000_000_077


def text_update(update_id: int, text: str) -> Update:
    buyer = User(id=USER_ID, is_bot=False, first_name="Li", language_code="en")
    return Update(
        update_id=update_id,
        message=Message(
            message_id=update_id,
            date=datetime.now(UTC),
            chat=Chat(id=USER_ID, type="private"),
            from_user=buyer,
            text=text,
        ),
    )


class SlowSession(RecordingSession):
    """Bot API calls that take `delay` seconds (the instance is busy with the update)."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().make_request(bot, method, timeout)


@dataclass
class Instance:
    services: Services
    dp: Dispatcher
    bot: Bot
    session: SlowSession
    worker: InboxWorker


@pytest.fixture
async def instances(
    migrated_url: str, redis_scope: RedisScope
) -> AsyncIterator[tuple[Instance, Instance]]:
    settings = load_settings(database_url=migrated_url, redis_url=redis_scope.url, _env_file=None)
    services = await create_services(settings)
    dp = create_dispatcher(services)
    made: list[Instance] = []
    try:
        for _ in range(2):
            session = SlowSession()
            bot = create_bot(settings, session=session, token=redis_scope.token)
            made.append(Instance(services, dp, bot, session, InboxWorker(bot, dp, services.inbox)))
        yield made[0], made[1]
    finally:
        for instance in made:
            await instance.worker.close()
            await instance.bot.session.close()
        # aiogram's Redis keys name the chat, not the bot: this test's buyer's, gone
        if services.redis is not None:
            async for key in services.redis.scan_iter(match=f"fsm:{USER_ID}:*"):
                await services.redis.delete(key)
        await dp.storage.close()
        await services.close()


async def until(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("never happened")
        await asyncio.sleep(0.02)


async def test_an_update_another_instance_is_handling_is_not_handled_again(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    a.session.delay = 0.5  # A is in the middle of the update when B looks
    assert await a.worker.accept([text_update(4_100_001, "/start")]) == 1
    # B's sweep finds the row still pending and queues it too
    assert await b.worker.recover() == 1
    inbox = a.services.inbox

    async def done() -> bool:
        return await inbox.status(a.bot.id, 4_100_001) == "done" and not (
            a.worker.busy or b.worker.busy
        )

    await until(done)
    # A answered the buyer; B, which found the update done once it had the chat's lock,
    # said nothing
    assert a.session.sent(SendMessage)
    assert b.session.requests == []
    assert b.worker.skipped == 1


async def test_an_update_handled_by_another_instance_first_is_not_handled_again_here(
    instances: tuple[Instance, Instance],
) -> None:
    """A stored the update; before A's queue reaches it, B's sweep recovers and handles it.
    A must notice (B raised the recovery flag), although it reads no row for its own fresh
    updates otherwise."""
    a, b = instances
    gate = asyncio.Event()
    acquire = a.worker._acquire

    async def late_acquire(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()  # A is busy elsewhere for a moment
        return await acquire(*args, **kwargs)

    a.worker._acquire = late_acquire  # type: ignore[method-assign]
    accepted = asyncio.create_task(a.worker.accept([text_update(4_300_001, "/start")]))
    await until(lambda: _pending(a, 4_300_001))
    assert await b.worker.recover() == 1

    async def b_done() -> bool:
        return await a.services.inbox.status(a.bot.id, 4_300_001) == "done"

    await until(b_done)
    gate.set()
    await accepted
    await until(lambda: _idle(a, b))
    assert b.session.sent(SendMessage)
    assert a.session.requests == []
    assert a.worker.skipped == 1


async def _pending(a: Instance, update_id: int) -> bool:
    return await a.services.inbox.status(a.bot.id, update_id) == "pending"


async def _quiet(worker: InboxWorker) -> bool:
    return not worker.busy


async def _idle(a: Instance, b: Instance) -> bool:
    return not (a.worker.busy or b.worker.busy)


def press_update(update_id: int, sent: Any, label: str) -> Update:
    buyer = User(id=USER_ID, is_bot=False, first_name="Li", language_code="en")
    for row in sent.reply_markup.inline_keyboard:
        for button in row:
            if button.text == label:
                message = Message(
                    message_id=update_id,
                    date=datetime.now(UTC),
                    chat=Chat(id=USER_ID, type="private"),
                    text=sent.text,
                    reply_markup=sent.reply_markup,
                )
                return Update.model_validate(
                    {
                        "update_id": update_id,
                        "callback_query": {
                            "id": str(update_id),
                            "from": buyer.model_dump(exclude_none=True),
                            "chat_instance": "x",
                            "message": message.model_dump(exclude_none=True),
                            "data": button.callback_data,
                        },
                    }
                )
    raise AssertionError(f"no button {label!r}")


async def test_the_next_update_on_another_instance_starts_from_this_ones_state(
    instances: tuple[Instance, Instance],
) -> None:
    a, b = instances
    inbox = a.services.inbox
    key = StorageKey(bot_id=a.bot.id, chat_id=USER_ID, user_id=USER_ID, destiny="default")

    async def all_done(*update_ids: int) -> bool:
        statuses = [await inbox.status(a.bot.id, i) for i in update_ids]
        return statuses == ["done"] * len(update_ids) and not (a.worker.busy or b.worker.busy)

    await a.worker.accept([text_update(4_200_001, "/start")])
    await until(lambda: all_done(4_200_001))
    menu = next(m for m in a.session.sent(SendMessage) if m.reply_markup is not None)

    # A writes the state of the next update late (a slow Redis, a busy loop): B, given the
    # buyer's following update meanwhile, must wait for it instead of reading the old state
    storage = a.worker.storage
    assert storage is not None
    commit = storage.commit

    async def slow_commit(scope: Any) -> None:
        await asyncio.sleep(0.5)
        await commit(scope)

    storage.commit = slow_commit  # type: ignore[method-assign]
    await a.worker.accept([press_update(4_200_002, menu, Translator("en")("menu.refund"))])
    await asyncio.sleep(0.05)
    await b.worker.accept([text_update(4_200_003, "KM20261121000555")])
    await until(lambda: all_done(4_200_002, 4_200_003))

    # B took the order number as the answer to the wizard's first question: it moved on
    assert await b.dp.storage.get_state(key) == Wizard.platform_type.state
    assert "KM20261121000555" in str(await b.dp.storage.get_data(key))


async def test_the_state_comes_with_the_chat_lock(
    instances: tuple[Instance, Instance], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The script that takes the chat's lock reads the update's conversation state too (no
    round trip of its own), and the update goes on from that state."""
    from redis.asyncio.client import Redis

    a, _b = instances
    inbox = a.services.inbox
    key = StorageKey(bot_id=a.bot.id, chat_id=USER_ID, user_id=USER_ID, destiny="default")
    await a.worker.accept([text_update(4_400_001, "/start")])
    await until(lambda: _idle(a, a))
    menu = next(m for m in a.session.sent(SendMessage) if m.reply_markup is not None)
    await a.worker.accept([press_update(4_400_002, menu, Translator("en")("menu.refund"))])
    await until(lambda: _idle(a, a))
    assert await a.dp.storage.get_state(key) == Wizard.order_number.state

    sent: list[str] = []
    plain = Redis.execute_command

    async def counted(self: Any, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return await plain(self, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counted)
    await a.worker.accept([text_update(4_400_003, "KM20261121000556")])
    await until(lambda: _idle(a, a))
    monkeypatch.undo()
    assert await inbox.status(a.bot.id, 4_400_003) == "done"
    assert await a.dp.storage.get_state(key) == Wizard.platform_type.state
    assert "MGET" not in sent, sent
    # the lock with the state, the buyer's generation and the flood count; the release
    assert sent.count("EVALSHA") == 2, sent
    assert "GET" not in sent, sent


async def test_a_language_chosen_elsewhere_reaches_the_next_update_through_the_lock(
    instances: tuple[Instance, Instance],
) -> None:
    """The buyer's generation counter is read by the script that takes the chat's lock:
    a language chosen through another instance (its own cache, the same database and Redis)
    applies to the very next update here, though this instance saw the buyer a moment ago."""
    from bot.services.users import UserService
    from bot.storage.db import session_factory

    a, _b = instances
    t_en, t_zh = Translator("en"), Translator("zh")
    await a.worker.accept([text_update(4_500_001, "/start")])
    await until(lambda: _idle(a, a))
    assert a.session.sent(SendMessage)[-1].text == t_en("start.welcome")
    elsewhere = UserService(sessions=session_factory(a.services.engine), redis=a.services.redis)
    await elsewhere.set_language(user_id=USER_ID, language="zh")
    await a.worker.accept([text_update(4_500_002, "/start")])
    await until(lambda: _idle(a, a))
    assert a.session.sent(SendMessage)[-1].text == t_zh("start.welcome")


async def test_the_flood_limit_is_counted_with_the_chat_lock(
    migrated_url: str, redis_scope: RedisScope
) -> None:
    """Past RATE_LIMIT updates in the window the buyer is told once and the rest are
    dropped, the count made by the script that takes the chat's lock."""
    settings = load_settings(
        database_url=migrated_url, redis_url=redis_scope.url, rate_limit=2, _env_file=None
    )
    services = await create_services(settings)
    dp = create_dispatcher(services)
    session = SlowSession()
    bot = create_bot(settings, session=session, token=redis_scope.token)
    worker = InboxWorker(bot, dp, services.inbox)
    try:
        for index in range(5):
            await worker.accept([text_update(4_600_001 + index, "/help")])
            await until(lambda: _quiet(worker))
        texts = [m.text for m in session.sent(SendMessage)]
        assert len(texts) == 3, texts  # two answers, then "slow down" once
        assert texts[-1] == Translator("en")("hint.slow_down")
        for index in range(5):
            assert await services.inbox.status(bot.id, 4_600_001 + index) == "done"
    finally:
        await worker.close()
        await bot.session.close()
        if services.redis is not None:
            async for key in services.redis.scan_iter(match=f"fsm:{USER_ID}:*"):
                await services.redis.delete(key)
            async for key in services.redis.scan_iter(match=f"throttle:*:{USER_ID}*"):
                await services.redis.delete(key)
        await dp.storage.close()
        await services.close()


@pytest.fixture
async def two_instances_users(
    migrated_url: str, redis_scope: RedisScope
) -> AsyncIterator[tuple[Any, Any, Any, int]]:
    """Two instances' buyer caches on one database and one Redis: (here, there, their
    sessions, a buyer's id); the buyer's generation key is removed afterwards."""
    from bot.services.users import UserService
    from bot.storage.db import create_engine, session_factory

    engine = create_engine(migrated_url)
    redis = redis_scope.client()
    user_id = 5_000_000_000 + redis_scope.bot_id % 1_000_000
    sessions = session_factory(engine)
    here, there = (UserService(sessions=sessions, redis=redis) for _ in range(2))
    try:
        yield here, there, sessions, user_id
    finally:
        await redis.delete(f"users:generation:{user_id}")
        await redis.aclose()
        await engine.dispose()


async def test_a_language_chosen_on_one_instance_applies_on_the_other_at_once(
    two_instances_users: tuple[Any, Any, Any, int],
) -> None:
    here, there, _sessions, user_id = two_instances_users
    assert await here.touch(user_id=user_id, first_name="Li", username=None) is None
    assert await there.touch(user_id=user_id, first_name="Li", username=None) is None
    await here.set_language(user_id=user_id, language="en")
    # `there` remembered the user a moment ago, and still knows at once
    assert await there.touch(user_id=user_id, first_name="Li", username=None) == "en"
    await there.set_language(user_id=user_id, language="zh")
    assert await here.touch(user_id=user_id, first_name="Li", username=None) == "zh"


async def test_a_ban_set_on_one_instance_applies_on_the_other_at_once(
    two_instances_users: tuple[Any, Any, Any, int],
) -> None:
    """Bans are read with the buyer's language (no query per update); a ban or a lift made
    through either instance's support service reaches the other's very next update."""
    from bot.policy_files import load_policy
    from bot.services.support import SupportService

    here, there, sessions, user_id = two_instances_users
    desk = SupportService(
        sessions=sessions, policy=load_policy(), chat_id=None, ban_changed=here.moved_on
    )

    async def ban_there() -> str | None:
        return (await there.profile(user_id=user_id, first_name="Li", username=None)).ban

    assert await ban_there() is None
    await desk.set_ban(user_id=user_id, mode="shadow", by_id=1)
    assert await ban_there() == "shadow"
    await desk.set_ban(user_id=user_id, mode=None, by_id=1)
    assert await ban_there() is None
