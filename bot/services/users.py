"""Buyers: who they are and which language they chose."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo


class UserService:
    """Users seen in the last minute are not read again on every update (with several
    instances, a language chosen on another one shows here within that minute)."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], remember_seconds: float = 60.0
    ) -> None:
        self.sessions = sessions
        self.remember_seconds = remember_seconds
        self._seen: dict[int, tuple[float, str | None, str | None, str | None]] = {}

    async def touch(
        self, *, user_id: int, first_name: str | None, username: str | None
    ) -> str | None:
        """Record the user; returns the language they chose, if any."""
        seen = self._seen.get(user_id)
        now = time.monotonic()
        if seen and now - seen[0] < self.remember_seconds and seen[1:3] == (first_name, username):
            return seen[3]
        async with self.sessions() as session:
            user = await repo.upsert_user(
                session, user_id=user_id, first_name=first_name, username=username
            )
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen[user_id] = (now, first_name, username, user.language)
        return user.language

    async def set_language(self, *, user_id: int, language: str) -> None:
        async with self.sessions() as session:
            await repo.set_user_language(session, user_id=user_id, language=language)
        self._seen.pop(user_id, None)

    def forget(self, user_id: int) -> None:
        """The user's data was deleted: the next update records them afresh."""
        self._seen.pop(user_id, None)
