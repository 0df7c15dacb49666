"""What the console's routes work with: the bot's services, a Bot for the relay and the
evidence files, the operators' role resolution and the support worker (refresh a topic's
card, deliver the outbox at once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.rules import Policy
from bot.services.support import Operators, Role, SupportService, system_clock
from bot.telegram import render
from bot.web.auth import Logins
from bot.web.config import WebSettings


@dataclass
class WebContext:
    settings: Settings
    web: WebSettings
    support: SupportService
    sessions: async_sessionmaker[AsyncSession]
    policy: Policy
    bot: Bot
    operators_of: Callable[[], Operators]
    workspace_of: Callable[[], Any]
    kb: Any = None
    clock: Callable[[], datetime] = system_clock
    logins: Logins = field(init=False)

    def __post_init__(self) -> None:
        self.logins = Logins(
            self.sessions,
            clock=self.clock,
            link_ttl=timedelta(minutes=self.web.link_minutes),
            session_ttl=timedelta(hours=self.web.session_hours),
        )

    async def role(self, user_id: int) -> Role:
        return await self.operators_of().role(user_id)

    def local(self, moment: datetime | None) -> str:
        return render.local_time(moment, self.settings.tz)

    async def after_change(self, case_id: int) -> None:
        """The topic's card follows the case, and the notifications go out now (the worker
        would deliver them within a second anyway)."""
        workspace = self.workspace_of()
        if workspace is None:
            return
        await workspace.refresh(case_id)
        await workspace.deliver_due()


def bot_operators(bot: Bot, settings: Settings, ttl: float = 30.0) -> Operators:
    """Operators resolved like the bot does: the member's status in the support group and
    the configured id lists."""

    async def lookup(user_id: int) -> str:
        if settings.support_chat_id is None:
            return "left"
        member = await bot.get_chat_member(settings.support_chat_id, user_id)
        return str(member.status)

    return Operators(
        lookup=lookup, operator_ids=settings.operator_ids, lead_ids=settings.lead_ids, ttl=ttl
    )
