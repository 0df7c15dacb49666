"""`/healthz`: database, Redis (when configured) and the Bot API; 200 healthy, 503 not."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramServerError
from aiogram.methods import GetMe, SendMessage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ops.health import RUNNING, STOPPING, BotApiWatch, Health
from bot.storage.db import create_engine


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def running(engine: Any, clock: Clock, **kwargs: Any) -> Health:
    health = Health(engine, clock=clock, **kwargs)
    health.state = RUNNING
    health.bot_api.succeeded()
    return health


async def test_healthy_when_running_with_database_and_bot_api(engine: AsyncEngine) -> None:
    healthy, body = await running(engine, Clock()).check()
    assert healthy, body
    assert body["status"] == "ok" and body["state"] == "running"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["bot_api"] == {"ok": True, "last_ok_seconds_ago": 0.0}
    assert "redis" not in body["checks"]  # not configured: not checked


async def test_not_healthy_while_starting_or_stopping(engine: AsyncEngine) -> None:
    health = running(engine, Clock())
    health.state = "starting"
    assert (await health.check())[0] is False
    health.state = STOPPING
    healthy, body = await health.check()
    assert not healthy and body["state"] == "stopping" and body["status"] == "unhealthy"


async def test_not_healthy_when_the_database_does_not_answer() -> None:
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")  # a closed port
    try:
        healthy, body = await running(engine, Clock()).check()
    finally:
        await engine.dispose()
    assert not healthy
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] in ("OSError", "ConnectionRefusedError")


async def test_not_healthy_when_redis_does_not_answer(engine: AsyncEngine) -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        healthy, body = await running(engine, Clock(), redis=redis).check()
    finally:
        await redis.aclose()
    assert not healthy
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


async def test_bot_api_failing_longer_than_the_limit_is_unhealthy(engine: AsyncEngine) -> None:
    clock = Clock()
    health = running(engine, clock, stale_after=60.0)
    clock.now += 10
    health.bot_api.failed(TelegramNetworkError(method=GetMe(), message="down"))
    clock.now += 59  # failing for 59 s: still within the limit
    healthy, body = await health.check()
    assert healthy, body
    assert body["checks"]["bot_api"]["failing_seconds"] == 59.0
    assert body["checks"]["bot_api"]["last_error"] == "TelegramNetworkError"
    clock.now += 2
    healthy, body = await health.check()
    assert not healthy
    assert body["checks"]["bot_api"]["error"] == "calls keep failing"
    health.bot_api.succeeded()  # one call gets through again
    assert (await health.check())[0] is True


async def test_an_idle_webhook_instance_is_healthy_a_silent_poller_is_not(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    webhook = running(engine, clock, polling=False, stale_after=60.0)
    polling = running(engine, clock, polling=True, stale_after=60.0)
    polling.bot_api = webhook.bot_api
    clock.now += 600  # no Bot API call for ten minutes
    assert (await webhook.check())[0] is True  # no traffic: nothing to call
    healthy, body = await polling.check()  # getUpdates should have run every few seconds
    assert not healthy
    assert body["checks"]["bot_api"]["error"] == "no successful call lately"


async def test_no_successful_bot_api_call_yet_is_unhealthy(engine: AsyncEngine) -> None:
    health = Health(engine)
    health.state = RUNNING
    healthy, body = await health.check()
    assert not healthy and body["checks"]["bot_api"]["ok"] is False


async def test_the_watch_counts_a_refusal_as_reaching_the_server() -> None:
    clock = Clock()
    watch = BotApiWatch(clock=clock)
    method = SendMessage(chat_id=1, text="x")

    async def refuse(bot: Any, call: Any) -> Any:
        raise TelegramBadRequest(method=call, message="Bad Request: chat not found")

    async def broken(bot: Any, call: Any) -> Any:
        raise TelegramServerError(method=call, message="Internal Server Error")

    async def fine(bot: Any, call: Any) -> Any:
        return "sent"

    with pytest.raises(TelegramBadRequest):
        await watch(refuse, None, method)
    assert watch.last_ok == 1000.0 and watch.failing_since is None
    clock.now += 5
    with pytest.raises(TelegramServerError):
        await watch(broken, None, method)
    assert watch.failing_since == 1005.0 and watch.last_error == "TelegramServerError"
    clock.now += 5
    with pytest.raises(TelegramServerError):
        await watch(broken, None, method)
    assert watch.failing_since == 1005.0  # since the first failure
    assert await watch(fine, None, method) == "sent"
    assert watch.failing_since is None and watch.last_ok == 1010.0


@pytest.mark.postgres
@pytest.mark.redis
async def test_healthy_on_postgres_and_redis(migrated_url: str, redis_server: str) -> None:
    engine = create_engine(migrated_url)
    redis = Redis.from_url(redis_server)
    try:
        healthy, body = await running(engine, Clock(), redis=redis).check()
    finally:
        await redis.aclose()
        await engine.dispose()
    assert healthy, body
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
