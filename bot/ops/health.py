"""`/healthz`: is this instance fit to take updates?

JSON, 200 when healthy, 503 when not:

    {"status": "ok", "state": "running",
     "checks": {"database": {"ok": true, "ms": 1.2},
                "redis": {"ok": true, "ms": 0.4},            # only with REDIS_URL
                "bot_api": {"ok": true, "last_ok_seconds_ago": 3.1}}}

- `database`: `SELECT 1` answers within `timeout` seconds;
- `redis`: `PING` answers within `timeout` seconds (when Redis is configured);
- `bot_api`: the last Bot API call that reached the server succeeded, or the calls have been
  failing for less than `stale_after` seconds; in polling mode (a getUpdates at least every
  few seconds) also: the last success is less than `stale_after` seconds old;
- `state`: `starting` (the checks at start are not done), `running`, `stopping` (SIGTERM
  received: a load balancer should send updates elsewhere); only `running` is healthy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.ops.metrics import record_bot_api_call

STARTING, RUNNING, STOPPING = "starting", "running", "stopping"


def _reached_server(exc: BaseException) -> bool:
    """Whether a failed Bot API call still got an answer from the server (a refusal such as
    400 or 403 means the road to Telegram works)."""
    from aiogram.exceptions import (
        TelegramAPIError,
        TelegramNetworkError,
        TelegramServerError,
        TelegramUnauthorizedError,
    )

    if isinstance(exc, TelegramNetworkError | TelegramServerError | TelegramUnauthorizedError):
        return False
    return isinstance(exc, TelegramAPIError)


@dataclass
class BotApiWatch:
    """A Bot API request middleware (`bot.session.middleware(watch)`): when the last call
    reached the server, since when calls have been failing, and a count per method."""

    clock: Callable[[], float] = time.monotonic
    last_ok: float | None = None
    failing_since: float | None = None
    last_error: str | None = None

    async def __call__(
        self, make_request: Callable[..., Awaitable[Any]], bot: Any, method: Any
    ) -> Any:
        name = str(getattr(method, "__api_method__", type(method).__name__))
        try:
            response = await make_request(bot, method)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if _reached_server(exc):
                self.succeeded()
                record_bot_api_call(name, "refused")
            else:
                self.failed(exc)
                record_bot_api_call(name, "failed")
            raise
        self.succeeded()
        record_bot_api_call(name, "ok")
        return response

    def succeeded(self) -> None:
        self.last_ok = self.clock()
        self.failing_since = None
        self.last_error = None

    def failed(self, exc: BaseException) -> None:
        if self.failing_since is None:
            self.failing_since = self.clock()
        self.last_error = type(exc).__name__


class Health:
    def __init__(
        self,
        engine: Any,
        redis: Any = None,
        *,
        bot_api: BotApiWatch | None = None,
        polling: bool = False,
        stale_after: float = 120.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.redis = redis
        self.bot_api = bot_api or BotApiWatch(clock=clock)
        self.polling = polling
        self.stale_after = stale_after
        self.timeout = timeout
        self.clock = clock
        self.state = STARTING

    async def _timed(self, probe: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(probe(), self.timeout)
        except Exception as exc:  # noqa: BLE001 - any failure is an unhealthy answer
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}

    async def _database(self) -> None:
        import sqlalchemy as sa

        async with self.engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    async def _redis(self) -> None:
        await self.redis.ping()

    def _bot_api(self) -> dict[str, Any]:
        watch, now = self.bot_api, self.clock()
        result: dict[str, Any] = {"ok": True}
        if watch.last_ok is None:
            result = {"ok": False, "error": "no successful call yet"}
        else:
            age = now - watch.last_ok
            result["last_ok_seconds_ago"] = round(age, 1)
            if self.polling and age > self.stale_after:
                result = {**result, "ok": False, "error": "no successful call lately"}
        if watch.failing_since is not None:
            result["failing_seconds"] = round(now - watch.failing_since, 1)
            result["last_error"] = watch.last_error
            if now - watch.failing_since > self.stale_after:
                result["ok"] = False
                result.setdefault("error", "calls keep failing")
        return result

    async def check(self) -> tuple[bool, dict[str, Any]]:
        probes: dict[str, Callable[[], Awaitable[Any]]] = {"database": self._database}
        if self.redis is not None:
            probes["redis"] = self._redis
        results = await asyncio.gather(*(self._timed(probe) for probe in probes.values()))
        checks: dict[str, Any] = dict(zip(probes, results, strict=True))
        checks["bot_api"] = self._bot_api()
        healthy = self.state == RUNNING and all(check["ok"] for check in checks.values())
        return healthy, {
            "status": "ok" if healthy else "unhealthy",
            "state": self.state,
            "checks": checks,
        }
