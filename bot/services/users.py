"""Buyers: who they are and which language they chose."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo


class UserService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def touch(self, *, user_id: int, first_name: str | None, username: str | None) -> str | None:
        """Record the user; returns the language they chose, if any."""
        async with self.sessions() as session:
            user = await repo.upsert_user(session, user_id=user_id, first_name=first_name, username=username)
            return user.language

    async def set_language(self, *, user_id: int, language: str) -> None:
        async with self.sessions() as session:
            await repo.set_user_language(session, user_id=user_id, language=language)
