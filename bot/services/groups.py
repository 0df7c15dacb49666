"""Per-group choices of the anti-scam guard."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage import repo


class GroupService:
    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], delete_by_default: bool
    ) -> None:
        self.sessions = sessions
        self.delete_by_default = delete_by_default

    async def delete_enabled(self, *, chat_id: int) -> bool:
        async with self.sessions() as session:
            chosen = await repo.get_group_delete(session, chat_id=chat_id)
        return self.delete_by_default if chosen is None else chosen

    async def set_delete(self, *, chat_id: int, enabled: bool) -> None:
        async with self.sessions() as session:
            await repo.set_group_delete(session, chat_id=chat_id, delete_scams=enabled)
