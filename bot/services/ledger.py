"""Which update ids were handled already: in the database by default, in Redis when the
bot runs as several instances with REDIS_URL."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo

KEEP = timedelta(days=2)  # Telegram keeps an undelivered update for 24 hours


class SqlLedger:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._since_prune = 0

    async def first_time(self, *, bot_id: int, update_id: int) -> bool:
        async with self.sessions() as session:
            first = await repo.mark_update_processed(session, bot_id=bot_id, update_id=update_id)
            self._since_prune += 1
            if self._since_prune >= 1000:
                self._since_prune = 0
                await repo.prune_processed_updates(session, older_than=KEEP)
            return first


class RedisLedger:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def first_time(self, *, bot_id: int, update_id: int) -> bool:
        stored = await self.redis.set(f"refund-bot:update:{bot_id}:{update_id}", 1, nx=True, ex=int(KEEP.total_seconds()))
        return bool(stored)
