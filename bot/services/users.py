"""Buyers: who they are and which language they chose."""

from __future__ import annotations

import time

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo


class UserService:
    """Users seen in the last minute are not read again on every update.

    With Redis (several instances), what an instance remembers is checked against the user's
    generation counter in Redis, which every change of the language and every deletion of
    the user's data moves on: a language chosen on another instance applies to the very next
    update here (one GET instead of a database round trip)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        remember_seconds: float = 60.0,
        redis: Redis | None = None,
    ) -> None:
        self.sessions = sessions
        self.remember_seconds = remember_seconds
        self.redis = redis
        self._seen: dict[int, tuple[float, str | None, str | None, str | None, bytes | None]] = {}

    @staticmethod
    def _generation_key(user_id: int) -> str:
        return f"users:generation:{user_id}"

    async def _generation(self, user_id: int) -> bytes | None:
        if self.redis is None:
            return None
        found = await self.redis.get(self._generation_key(user_id))
        return found if isinstance(found, bytes) else None

    async def _moved_on(self, user_id: int) -> None:
        self._seen.pop(user_id, None)
        if self.redis is not None:
            await self.redis.incr(self._generation_key(user_id))

    async def touch(
        self, *, user_id: int, first_name: str | None, username: str | None
    ) -> str | None:
        """Record the user; returns the language they chose, if any."""
        seen = self._seen.get(user_id)
        now = time.monotonic()
        fresh = (
            seen is not None
            and now - seen[0] < self.remember_seconds
            and seen[1:3] == (first_name, username)
        )
        generation = await self._generation(user_id) if fresh else None
        if seen is not None and fresh and generation == seen[4]:
            return seen[3]
        if not fresh:
            generation = await self._generation(user_id)
        async with self.sessions() as session:
            user = await repo.upsert_user(
                session, user_id=user_id, first_name=first_name, username=username
            )
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[user_id] = (now, first_name, username, user.language, generation)
        return user.language

    async def set_language(self, *, user_id: int, language: str) -> None:
        async with self.sessions() as session:
            await repo.set_user_language(session, user_id=user_id, language=language)
        await self._moved_on(user_id)

    async def forget(self, user_id: int) -> None:
        """The user's data was deleted: the next update, on any instance, records them
        afresh."""
        await self._moved_on(user_id)
