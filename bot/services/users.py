"""Buyers: who they are, which language they chose, and whether support banned them."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo


@dataclass(frozen=True)
class Profile:
    """What every update of a buyer needs to know: the language they chose (None: their
    Telegram client's), and the ban support put on them (None, "ban" or "shadow")."""

    language: str | None = None
    ban: str | None = None


@dataclass(frozen=True)
class _Seen:
    at: float
    first_name: str | None
    username: str | None
    profile: Profile
    generation: bytes | None


class UserService:
    """Users seen in the last minute are not read again on every update.

    With Redis (several instances), what an instance remembers is checked against the user's
    generation counter in Redis, which every change of the language and every deletion of
    the user's data and every ban or lift moves on: a language chosen or a ban set on another
    instance applies to the very next update here (one GET instead of database round trips).
    Without Redis, this process is the only bot instance and moves its own memory on."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        remember_seconds: float = 60.0,
        redis: Redis | None = None,
    ) -> None:
        self.sessions = sessions
        self.engine: AsyncEngine = sessions.kw["bind"]
        self.remember_seconds = remember_seconds
        self.redis = redis
        self._seen: dict[int, _Seen] = {}

    @staticmethod
    def generation_key(user_id: int) -> str:
        """The user's generation counter in Redis."""
        return f"users:generation:{user_id}"

    async def _generation(self, user_id: int) -> bytes | None:
        if self.redis is None:
            return None
        found = await self.redis.get(self.generation_key(user_id))
        return found if isinstance(found, bytes) else None

    async def moved_on(self, user_id: int) -> None:
        """What is kept of the user changed (language, ban, deletion): forget it here, and
        on every instance."""
        self._seen.pop(user_id, None)
        if self.redis is not None:
            await self.redis.incr(self.generation_key(user_id))

    async def touch(
        self, *, user_id: int, first_name: str | None, username: str | None
    ) -> str | None:
        """Record the user; returns the language they chose, if any."""
        return (
            await self.profile(user_id=user_id, first_name=first_name, username=username)
        ).language

    async def profile(
        self,
        *,
        user_id: int,
        first_name: str | None,
        username: str | None,
        generation: tuple[bytes | None] | None = None,
    ) -> Profile:
        """Record the user; returns their language and ban. `generation`: the user's
        generation counter as a caller read it from Redis moments ago (one element; None:
        read it here)."""
        seen = self._seen.get(user_id)
        now = time.monotonic()
        fresh = (
            seen is not None
            and now - seen.at < self.remember_seconds
            and (seen.first_name, seen.username) == (first_name, username)
        )
        if generation is not None and self.redis is not None:
            (counter,) = generation
        else:
            counter = await self._generation(user_id)
        if seen is not None and fresh and counter == seen.generation:
            return seen.profile
        # core SQL on the sessions' engine (the ORM's session, identity map and unit of work
        # cost more than the two or three statements)
        async with self.engine.connect() as connection:
            language, ban = await repo.record_user(
                connection, user_id=user_id, first_name=first_name, username=username
            )
        found = Profile(language, ban)
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[user_id] = _Seen(now, first_name, username, found, counter)
        return found

    async def set_language(self, *, user_id: int, language: str) -> None:
        async with self.sessions() as session:
            await repo.set_user_language(session, user_id=user_id, language=language)
        await self.moved_on(user_id)

    async def forget(self, user_id: int) -> None:
        """The user's data was deleted: the next update, on any instance, records them
        afresh."""
        await self.moved_on(user_id)
